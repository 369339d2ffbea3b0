//! A way back in after a forgotten password (OWASP ASVS 4.0.3 V2.5, the Forgot Password Cheat
//! Sheet): a request always answers the same, whether or not an account matches, and only queues
//! an email; the email's single-use link (its token made at send time, stored hashed, valid 30
//! minutes, replacing any earlier one) lets the person choose a new password, which ends every
//! session and grant of the account. Requests are limited per source address and per account as
//! typed, and never lock an account.

use std::sync::Arc;

use secrecy::SecretString;
use serde::Serialize;
use subtle::ConstantTimeEq;

use super::{
    auth::{AuthError, PasswordSetter, SetError},
    limits::{Limit, Limiter},
    passwords::PasswordHasher,
    postman::Postman,
};
use crate::{
    domain::{Email, EmailKind, GrantPurpose, OutboxEmail, TokenHash, Username},
    ports::{AccountStore, Clock, GrantStore, LoginAttemptStore, Outbox},
};

/// Whose password is forgotten, as typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Forgotten {
    /// By username (any text: an unknown one is answered the same).
    Username(String),
    /// By email address.
    Email(Email),
}

/// `POST /auth/password-reset` as read at the edge.
#[derive(Debug, Clone)]
pub struct ResetRequest {
    /// Whose password.
    pub who: Forgotten,
    /// The client's address, when the API tells it.
    pub source_ip: Option<String>,
}

/// `POST /auth/password-reset/confirm` as read at the edge.
pub struct ResetConfirm {
    /// The token of the link.
    pub token: String,
    /// The password chosen.
    pub new_password: SecretString,
}

/// The answer to every reset request.
#[derive(Debug, Serialize)]
pub struct ResetRequested {
    /// Always `reset_requested`.
    pub status: &'static str,
}

/// The answer to a confirmed reset (no session: the person logs in).
#[derive(Debug, Serialize)]
pub struct PasswordReset {
    /// Always `password_changed`.
    pub status: &'static str,
}

/// The stores the recovery reads and writes.
#[derive(Clone)]
pub struct RecoveryPorts {
    /// Accounts.
    pub accounts: Arc<dyn AccountStore>,
    /// Reset grants.
    pub grants: Arc<dyn GrantStore>,
    /// Login attempts (cleared by a reset).
    pub attempts: Arc<dyn LoginAttemptStore>,
    /// The reset emails.
    pub outbox: Arc<dyn Outbox>,
    /// The limits per source address and per account as typed.
    pub limiter: Limiter,
    /// The time.
    pub clock: Arc<dyn Clock>,
}

/// Forgotten passwords.
pub struct PasswordRecovery {
    ports: RecoveryPorts,
    hasher: PasswordHasher,
    postman: Postman,
}

impl PasswordRecovery {
    /// Wires the service.
    pub fn new(ports: RecoveryPorts, hasher: PasswordHasher, postman: Postman) -> Self {
        Self { ports, hasher, postman }
    }

    /// `POST /auth/password-reset`: queues a reset email for every enabled account that matches
    /// (none, one, or the accounts sharing an email address), after the limits; the answer and the
    /// work do not depend on whether any matched (the email leaves from the mailer).
    pub async fn request(&self, request: ResetRequest) -> Result<ResetRequested, AuthError> {
        let now = self.ports.clock.now();
        let typed = match &request.who {
            Forgotten::Username(username) => format!("username:{}", username.trim().to_ascii_lowercase()),
            Forgotten::Email(email) => format!("email:{}", email.normalized()),
        };
        let mut hits = vec![(Limit::ResetAccount, typed.as_str())];
        hits.extend(request.source_ip.as_deref().map(|address| (Limit::ResetAddress, address)));
        let retry = self.ports.limiter.count(&hits, now).await?;
        if let Some(seconds) = retry {
            tracing::warn!(event = "password_reset_requested", outcome = "rate_limited", source_ip = ?request.source_ip);
            return Err(AuthError::RateLimited(seconds));
        }
        let accounts = match &request.who {
            Forgotten::Username(typed) => match Username::parse(typed) {
                Some(username) => self.ports.accounts.account(&username).await?.into_iter().collect(),
                None => Vec::new(),
            },
            Forgotten::Email(email) => self.ports.accounts.accounts_with_email(email).await?,
        };
        if accounts.is_empty() {
            tracing::info!(event = "password_reset_requested", outcome = "no_account", source_ip = ?request.source_ip);
        }
        for account in accounts.iter().filter(|account| !account.is_disabled()) {
            let email = OutboxEmail::about_account(EmailKind::PasswordReset, account.username(), now);
            self.ports.outbox.enqueue(&email).await?;
            tracing::info!(event = "password_reset_requested", username = %account.username(), outcome = "emailed",
                source_ip = ?request.source_ip, "password reset link queued");
        }
        Ok(ResetRequested { status: "reset_requested" })
    }

    /// `POST /auth/password-reset/confirm`: sets the new password if the token is the account's
    /// latest, unused and unexpired, for its current credential; every session and grant of the
    /// account ends, the failed logins are forgotten, and a "password changed" email goes out.
    pub async fn confirm(&self, confirm: ResetConfirm) -> Result<PasswordReset, AuthError> {
        let now = self.ports.clock.now();
        let hash = TokenHash::of(&confirm.token);
        let grant = self.ports.grants.grant(&hash, now).await?;
        let grant = grant.filter(|g| g.purpose == GrantPurpose::Reset).ok_or(AuthError::InvalidResetToken)?;
        let latest = self.ports.grants.latest_reset(&grant.username, now).await?;
        let is_latest =
            latest.is_some_and(|latest| bool::from(latest.as_str().as_bytes().ct_eq(hash.as_str().as_bytes())));
        let account = self.ports.accounts.account(&grant.username).await?;
        let account = account
            .filter(|account| is_latest && account.credential() == grant.credential && !account.is_disabled())
            .ok_or(AuthError::InvalidResetToken)?;
        let setter = PasswordSetter { accounts: &*self.ports.accounts, hasher: &self.hasher, postman: &self.postman };
        let account =
            setter.set(account, confirm.new_password, Some(&hash), false, now).await.map_err(|e| match e {
                SetError::Refused(e) => e,
                SetError::GrantUsed => AuthError::InvalidResetToken,
            })?;
        self.ports.attempts.clear_login_failures(account.username().as_str(), None).await?;
        tracing::info!(event = "password_reset_confirmed", username = %account.username(), outcome = "changed",
            "password reset: every session ended");
        Ok(PasswordReset { status: "password_changed" })
    }
}
