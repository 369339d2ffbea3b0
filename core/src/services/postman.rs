//! Delivers the outbox: each email owed by a state change is sent at once after the change, and
//! whatever failed is retried (DynamoDB stream and the scheduled sweep of the `mailer` function),
//! with doubling delays.
//!
//! Credentials are made at send time, by the [`CredentialIssuer`]: each attempt mints a new
//! temporary password (or activation link) and stores only its hash, replacing the previous one,
//! before sending. So a retry never leaves two valid passwords, and no plaintext one is stored.

use std::sync::Arc;

use secrecy::ExposeSecret;
use serde::Serialize;
use time::Duration;

use super::credentials::{CredentialIssuer, IssueError};
use crate::{
    domain::{EmailKind, OutboxEmail},
    email,
    ports::{AccountStore, Attachment, Clock, DocumentStore, InfraError, Mailer, Outbox, OutgoingEmail, RequestStore},
};

/// How long a sender holds an email before another may try it (a crashed sender's lease lapses).
pub const LEASE: Duration = Duration::minutes(5);
/// Tries at recording a sent email (each with the SDK's own retries), 100 ms apart and doubling.
const MARK_SENT_ATTEMPTS: u32 = 3;
/// Largest attachment read from the bucket.
const MAX_ATTACHMENT: u64 = 10 * 1024 * 1024;

/// The postman's settings.
#[derive(Debug, Clone)]
pub struct PostmanSettings {
    /// First retry delay; doubled at each attempt.
    pub retry_base: Duration,
    /// Attempts before an email is given up.
    pub max_attempts: u32,
    /// Key in the document bucket of the PDF form attached to requests for information.
    pub info_form_key: Option<String>,
}

/// What happened to one email.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Accepted by the mail service.
    Sent,
    /// Not due, already sent, or held by another sender.
    Skipped,
    /// Failed; retried later.
    Retrying,
    /// Failed for the last time, or pointless (its subject is gone): left as `failed`.
    GaveUp,
}

/// Totals of one sweep.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SweepReport {
    /// Emails sent.
    pub sent: u32,
    /// Emails that failed and will be retried.
    pub retrying: u32,
    /// Emails given up.
    pub gave_up: u32,
    /// Emails someone else was sending.
    pub skipped: u32,
}

/// The ports the postman reads and writes.
#[derive(Clone)]
pub struct PostmanPorts {
    /// The outbox.
    pub outbox: Arc<dyn Outbox>,
    /// Requests (recipients and content).
    pub requests: Arc<dyn RequestStore>,
    /// Accounts (password change notices).
    pub accounts: Arc<dyn AccountStore>,
    /// Mints the credentials of credential emails.
    pub credentials: CredentialIssuer,
    /// The bucket (attachments).
    pub documents: Arc<dyn DocumentStore>,
    /// Sends.
    pub mailer: Arc<dyn Mailer>,
    /// The time.
    pub clock: Arc<dyn Clock>,
}

/// Sends outbox emails.
#[derive(Clone)]
pub struct Postman {
    ports: PostmanPorts,
    settings: Arc<PostmanSettings>,
}

/// An email that cannot be rendered, and whether trying again could help.
enum Unsendable {
    /// Its subject is gone or settled: give up at once.
    Pointless(String),
    /// A transient failure: retry.
    Infra(InfraError),
}

impl From<InfraError> for Unsendable {
    fn from(error: InfraError) -> Self {
        Self::Infra(error)
    }
}

impl Postman {
    /// A postman with its ports and settings.
    pub fn new(ports: PostmanPorts, settings: PostmanSettings) -> Self {
        Self { ports, settings: Arc::new(settings) }
    }

    /// The fast path right after a state change: a failure here is logged, never returned, since
    /// the change itself succeeded and the mailer will retry.
    pub async fn deliver_now(&self, id: &str) {
        match self.deliver(id).await {
            Ok(outcome) => tracing::debug!(email_id = %id, ?outcome, "outbox fast path"),
            Err(error) => {
                tracing::error!(email_id = %id, error = %error, "outbox fast path failed; the mailer will retry")
            }
        }
    }

    /// Claims, renders and sends one email, recording the outcome.
    pub async fn deliver(&self, id: &str) -> Result<Delivery, InfraError> {
        let now = self.ports.clock.now();
        let Some(email) = self.ports.outbox.claim(id, now, now.plus(LEASE)).await? else {
            return Ok(Delivery::Skipped);
        };
        let sent = match self.render(&email).await {
            Ok(message) => self.ports.mailer.send(&message).await.map_err(Unsendable::Infra),
            Err(unsendable) => Err(unsendable),
        };
        match sent {
            Ok(message_id) => {
                self.mark_sent(id, &message_id).await?;
                tracing::info!(email_id = %id, kind = ?email.kind, "email sent");
                Ok(Delivery::Sent)
            }
            Err(Unsendable::Pointless(reason)) => {
                tracing::warn!(email_id = %id, kind = ?email.kind, %reason, "email dropped");
                self.ports.outbox.failed(id, &reason, None).await?;
                Ok(Delivery::GaveUp)
            }
            Err(Unsendable::Infra(error)) => {
                let reason = error.to_string();
                if email.attempts >= self.settings.max_attempts {
                    tracing::error!(email_id = %id, attempts = email.attempts, error = %reason, "email given up");
                    self.ports.outbox.failed(id, &reason, None).await?;
                    Ok(Delivery::GaveUp)
                } else {
                    let delay = self.settings.retry_base * 2i32.saturating_pow(email.attempts.saturating_sub(1));
                    tracing::warn!(email_id = %id, attempts = email.attempts, error = %reason, "email failed; will retry");
                    self.ports.outbox.failed(id, &reason, Some(self.ports.clock.now().plus(delay))).await?;
                    Ok(Delivery::Retrying)
                }
            }
        }
    }

    /// Records that the email left. It did, whatever the table says: an email still marked pending
    /// is sent again once its lease lapses, so the record is retried (it is idempotent) past the
    /// SDK's own retries before the failure is given up to the caller.
    async fn mark_sent(&self, id: &str, message_id: &str) -> Result<(), InfraError> {
        let mut pause = std::time::Duration::from_millis(100);
        for _ in 1..MARK_SENT_ATTEMPTS {
            match self.ports.outbox.sent(id, message_id, self.ports.clock.now()).await {
                Ok(()) => return Ok(()),
                Err(error) => {
                    tracing::warn!(email_id = %id, error = %error, "recording a sent email failed; retrying");
                    tokio::time::sleep(pause).await;
                    pause *= 2;
                }
            }
        }
        self.ports.outbox.sent(id, message_id, self.ports.clock.now()).await.inspect_err(|error| {
            tracing::error!(email_id = %id, error = %error, "a sent email stays pending: it will be sent again");
        })
    }

    /// Sends every due email (up to `limit`), oldest first.
    pub async fn sweep(&self, limit: i32) -> Result<SweepReport, InfraError> {
        let mut report = SweepReport::default();
        for email in self.ports.outbox.due(self.ports.clock.now(), limit).await? {
            match self.deliver(&email.id).await? {
                Delivery::Sent => report.sent += 1,
                Delivery::Retrying => report.retrying += 1,
                Delivery::GaveUp => report.gave_up += 1,
                Delivery::Skipped => report.skipped += 1,
            }
        }
        Ok(report)
    }

    async fn render(&self, email: &OutboxEmail) -> Result<OutgoingEmail, Unsendable> {
        match email.kind {
            EmailKind::Credentials => self.credentials(email).await,
            EmailKind::PasswordReset => {
                let username =
                    email.username.as_ref().ok_or_else(|| Unsendable::Pointless("no account named".into()))?;
                let reset = self.ports.credentials.reset_link(username).await.map_err(|error| match error {
                    IssueError::Settled(reason) => Unsendable::Pointless(reason.into()),
                    IssueError::Infra(error) => Unsendable::Infra(error),
                })?;
                let message = email::password_reset(&reset.account, reset.link.expose_secret(), reset.expires_at);
                Ok(OutgoingEmail { request_id: reset.account.request_id(), ..message })
            }
            EmailKind::PasswordChanged => {
                let account = self.account_of(email).await?;
                let at = account.password_changed_at().unwrap_or(email.created_at);
                Ok(OutgoingEmail { request_id: account.request_id(), ..email::password_changed(&account, at) })
            }
            kind => {
                let id = email.request_id.ok_or_else(|| Unsendable::Pointless("no request named".into()))?;
                let request = self
                    .ports
                    .requests
                    .find(id)
                    .await?
                    .ok_or_else(|| Unsendable::Pointless("the request no longer exists".into()))?;
                let note = email.note.as_deref().unwrap_or_default();
                let message = match kind {
                    EmailKind::Rejection => email::rejection(&request, note),
                    EmailKind::InfoRequest => email::info_request(&request, note, self.info_form().await?),
                    EmailKind::DuplicateAttempt => email::duplicate_attempt(&request),
                    _ => email::confirmation(&request),
                };
                Ok(OutgoingEmail { request_id: Some(id), ..message })
            }
        }
    }

    async fn account_of(&self, email: &OutboxEmail) -> Result<crate::domain::Account, Unsendable> {
        let username = email.username.as_ref().ok_or_else(|| Unsendable::Pointless("no account named".into()))?;
        self.ports
            .accounts
            .account(username)
            .await?
            .ok_or_else(|| Unsendable::Pointless("the account no longer exists".into()))
    }

    /// Credentials minted for this email (replacing earlier ones) and the email that shows them.
    async fn credentials(&self, email: &OutboxEmail) -> Result<OutgoingEmail, Unsendable> {
        let username = email.username.as_ref().ok_or_else(|| Unsendable::Pointless("no account named".into()))?;
        let issued = self.ports.credentials.issue(username).await.map_err(|error| match error {
            IssueError::Settled(reason) => Unsendable::Pointless(reason.into()),
            IssueError::Infra(error) => Unsendable::Infra(error),
        })?;
        let account = &issued.account;
        let reference = match account.request_id() {
            Some(id) => self.ports.requests.find(id).await?.map(|r| r.reference.to_string()),
            None => None,
        };
        let login_url = self.ports.credentials.login_url();
        let message =
            email::credentials(account, reference.as_deref(), issued.credential(), issued.expires_at, login_url);
        Ok(OutgoingEmail { request_id: account.request_id(), ..message })
    }

    async fn info_form(&self) -> Result<Option<Attachment>, InfraError> {
        let Some(key) = &self.settings.info_form_key else { return Ok(None) };
        let content = self.ports.documents.first_bytes(key, MAX_ATTACHMENT, None).await?.unwrap_or_default();
        let file_name = key.rsplit('/').next().unwrap_or("form.pdf").to_string();
        Ok(Some(Attachment { file_name, content_type: "application/pdf".into(), content }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        domain::{Email, Language, OutboxStatus, Role, Username},
        fakes::{MAX_ATTEMPTS, RETRY, World},
        services::{credentials::CredentialIssuer, operator::create_operator},
    };

    #[tokio::test]
    async fn a_failing_email_is_retried_after_doubling_delays_then_given_up() {
        let world = World::new();
        world.mailer.faults.fail_next("send", MAX_ATTEMPTS);
        let username = Username::parse("op.anna").unwrap();
        let email = Email::parse("anna@assistenza.example.it").unwrap();
        let outcome = create_operator(
            world.store.as_ref(),
            &world.postman,
            world.clock.as_ref(),
            username.clone(),
            email,
            Language::It,
        )
        .await
        .unwrap();
        assert_eq!(outcome, Delivery::Retrying);
        let id = world.store.tables().outbox.keys().next().cloned().unwrap();

        for delay in [RETRY, RETRY * 2] {
            world.clock.advance(delay - time::Duration::seconds(1));
            assert_eq!(world.postman.deliver(&id).await.unwrap(), Delivery::Skipped, "not due yet");
            world.clock.advance(time::Duration::seconds(1));
            let outcome = world.postman.deliver(&id).await.unwrap();
            let expected = if delay == RETRY { Delivery::Retrying } else { Delivery::GaveUp };
            assert_eq!(outcome, expected, "after {delay}");
        }
        let email = world.store.tables().outbox[&id].clone();
        assert_eq!((email.status, email.attempts), (OutboxStatus::Failed, MAX_ATTEMPTS));
        assert!(world.mailer.sent().is_empty());
        assert_eq!(world.store.tables().accounts[&username].role(), Role::Operator);
    }

    #[tokio::test]
    async fn credentials_for_an_account_that_chose_its_password_are_dropped_not_retried() {
        let world = World::new();
        let username = Username::parse("op.bruno").unwrap();
        let email = Email::parse("bruno@assistenza.example.it").unwrap();
        create_operator(
            world.store.as_ref(),
            &world.postman,
            world.clock.as_ref(),
            username.clone(),
            email,
            Language::En,
        )
        .await
        .unwrap();
        let chosen = crate::domain::AccountEvent::PasswordChosen { hash: "a chosen one".into(), at_login: true };
        let account = world.store.tables().accounts.remove(&username).unwrap().apply(chosen, world.clock.now());
        world.store.tables().accounts.insert(username.clone(), account);
        let owed = CredentialIssuer::owed(&username, world.clock.now());
        world.store.tables().outbox.insert(owed.id.clone(), owed.clone());

        assert_eq!(world.postman.deliver(&owed.id).await.unwrap(), Delivery::GaveUp);
        assert_eq!(world.store.tables().outbox[&owed.id].status, OutboxStatus::Failed);
        assert_eq!(world.mailer.sent().len(), 1, "only the first credentials email left");
    }
}
