//! Credential issuance: how an account gets its first access, a temporary password or a
//! single-use activation link.
//!
//! The change that owes credentials (an approval, a re-issue, a new operator) writes, in its own
//! transaction, the email that will carry them ([`CredentialIssuer::owed`]). The credential itself
//! is minted when that email is sent ([`CredentialIssuer::issue`], called by the postman): its hash
//! replaces the previous one before the email leaves, so a retried email never leaves two valid
//! credentials, and no plaintext credential is ever stored.

use std::sync::Arc;

use secrecy::{ExposeSecret, SecretString};
use time::Duration;

use super::{passwords::PasswordHasher, policy::RESET_TOKEN_TTL};
use crate::{
    domain::{
        Account, AccountEvent, ChangeGrant, EmailKind, GrantPurpose, IssuedCredential, OutboxEmail, SecretToken,
        Timestamp, Username, temporary_password,
    },
    email::Credential,
    ports::{AccountStore, Clock, GrantStore, InfraError, TransitionError},
};

/// How first access is granted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialDelivery {
    /// A temporary password in the email, to change at first login.
    TemporaryPassword,
    /// A single-use activation link instead (OWASP ASVS 2.5.1).
    ActivationLink,
}

/// The issuer's settings.
#[derive(Debug, Clone)]
pub struct CredentialSettings {
    /// The portal's login page: the activation links' base, and named in the emails.
    pub login_url: String,
    /// How long temporary passwords and activation links work.
    pub validity: Duration,
    /// How first access is granted.
    pub delivery: CredentialDelivery,
    /// The password reset page: the reset links' base.
    pub reset_url: String,
}

/// A password reset link minted for the one email that carries it.
pub struct ResetLink {
    /// The account.
    pub account: Account,
    /// `<reset page>#token=<token>`.
    pub link: SecretString,
    /// When it stops working.
    pub expires_at: Timestamp,
}

/// Fresh credentials of an account, for the one email that carries them.
pub struct Issued {
    /// The account as saved with the credentials' hash.
    pub account: Account,
    /// When they stop working.
    pub expires_at: Timestamp,
    secret: SecretString,
    delivery: CredentialDelivery,
}

impl Issued {
    /// The credential, as the email shows it.
    pub fn credential(&self) -> Credential<'_> {
        match self.delivery {
            CredentialDelivery::TemporaryPassword => Credential::Password(self.secret.expose_secret()),
            CredentialDelivery::ActivationLink => Credential::ActivationLink(self.secret.expose_secret()),
        }
    }
}

/// Why no credentials were issued.
#[derive(Debug, thiserror::Error)]
pub enum IssueError {
    /// There is nothing to issue any more: the account is gone or already chose its password.
    #[error("{0}")]
    Settled(&'static str),
    /// Infrastructure failure: trying again may work.
    #[error(transparent)]
    Infra(#[from] InfraError),
}

/// Mints credentials.
#[derive(Clone)]
pub struct CredentialIssuer {
    accounts: Arc<dyn AccountStore>,
    grants: Arc<dyn GrantStore>,
    hasher: PasswordHasher,
    clock: Arc<dyn Clock>,
    settings: Arc<CredentialSettings>,
}

impl CredentialIssuer {
    /// An issuer saving to `accounts` (and `grants`, for activation links).
    pub fn new(
        accounts: Arc<dyn AccountStore>,
        grants: Arc<dyn GrantStore>,
        hasher: PasswordHasher,
        clock: Arc<dyn Clock>,
        settings: CredentialSettings,
    ) -> Self {
        Self { accounts, grants, hasher, clock, settings: Arc::new(settings) }
    }

    /// The email that will carry new credentials of `username`: written by the change that owes
    /// them, in the same transaction; sending it issues them.
    pub fn owed(username: &Username, now: Timestamp) -> OutboxEmail {
        OutboxEmail::about_account(EmailKind::Credentials, username, now)
    }

    /// The portal's login page.
    pub fn login_url(&self) -> &str {
        &self.settings.login_url
    }

    /// A password reset link for `username` (32 bytes from the OS CSPRNG, stored hashed, bound to
    /// the account's current credential, valid [`RESET_TOKEN_TTL`]), replacing any earlier one.
    pub async fn reset_link(&self, username: &Username) -> Result<ResetLink, IssueError> {
        let account =
            self.accounts.account(username).await?.ok_or(IssueError::Settled("the account no longer exists"))?;
        if account.is_disabled() {
            return Err(IssueError::Settled("the account is disabled"));
        }
        let token = SecretToken::generate().map_err(|e| InfraError::unexpected("no randomness", e))?;
        let expires_at = self.clock.now().plus(RESET_TOKEN_TTL);
        let grant = ChangeGrant {
            username: account.username().clone(),
            purpose: GrantPurpose::Reset,
            pending_secret: None,
            credential: account.credential(),
            expires_at,
        };
        self.grants.store_reset(&token.hash(), &grant).await?;
        let link = SecretString::from(format!("{}#token={}", self.settings.reset_url, token.expose()));
        Ok(ResetLink { account, link, expires_at })
    }

    /// New credentials for `username`, replacing any earlier ones (only their hash is stored), as
    /// long as the account still awaits its first login.
    pub async fn issue(&self, username: &Username) -> Result<Issued, IssueError> {
        let account =
            self.accounts.account(username).await?.ok_or(IssueError::Settled("the account no longer exists"))?;
        if !account.password().awaits_first_login() {
            return Err(IssueError::Settled("the account already chose its password"));
        }
        let now = self.clock.now();
        let expires_at = now.plus(self.settings.validity);
        let expected = account.version();
        let randomness = |e: getrandom::Error| InfraError::unexpected("no randomness", e);
        let (account, secret) = match self.settings.delivery {
            CredentialDelivery::TemporaryPassword => {
                let password = temporary_password().map_err(randomness)?;
                let hash = self.hasher.hash(password.clone()).await?;
                let issued = IssuedCredential::TemporaryPassword { hash, expires_at };
                (account.apply(AccountEvent::CredentialsIssued(issued), now), password)
            }
            CredentialDelivery::ActivationLink => {
                let token = SecretToken::generate().map_err(randomness)?;
                let issued = IssuedCredential::ActivationLink { grant: token.hash(), expires_at };
                let account = account.apply(AccountEvent::CredentialsIssued(issued), now);
                let grant = ChangeGrant {
                    username: account.username().clone(),
                    purpose: GrantPurpose::Change,
                    pending_secret: None,
                    credential: account.credential(),
                    expires_at,
                };
                self.grants.store_grant(&token.hash(), &grant).await?;
                (account, SecretString::from(format!("{}#activation={}", self.settings.login_url, token.expose())))
            }
        };
        match self.accounts.save_account(&account, expected).await {
            Ok(()) => Ok(Issued { account, expires_at, secret, delivery: self.settings.delivery }),
            Err(TransitionError::Infra(e)) => Err(e.into()),
            Err(_) => Err(InfraError::Unexpected("the account changed while issuing credentials".into(), None).into()),
        }
    }
}
