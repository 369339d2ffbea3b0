//! Delivers the outbox: each email owed by a state change is sent at once after the change, and
//! whatever failed is retried by the scheduled `mailer` function, with doubling delays.

use std::sync::Arc;

use time::Duration;

use crate::{
    email,
    ports::{Clock, InfraError, Mailer, Outbox, RequestStore},
};

/// How long a sender holds an email before another may try it (a crashed sender's lease lapses).
pub const LEASE: Duration = Duration::minutes(5);

/// What happened to one email.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Accepted by the mail service.
    Sent,
    /// Not due, already sent, or held by another sender.
    Skipped,
    /// Failed; retried later.
    Retrying,
    /// Failed for the last time; left as `failed` for operators.
    GaveUp,
}

/// Totals of one sweep.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
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

/// Sends outbox emails.
#[derive(Clone)]
pub struct Postman {
    outbox: Arc<dyn Outbox>,
    requests: Arc<dyn RequestStore>,
    mailer: Arc<dyn Mailer>,
    clock: Arc<dyn Clock>,
    retry_base: Duration,
    max_attempts: u32,
}

impl Postman {
    /// A postman retrying after `retry_base`, doubled at each attempt, up to `max_attempts`.
    pub fn new(
        outbox: Arc<dyn Outbox>,
        requests: Arc<dyn RequestStore>,
        mailer: Arc<dyn Mailer>,
        clock: Arc<dyn Clock>,
        retry_base: Duration,
        max_attempts: u32,
    ) -> Self {
        Self { outbox, requests, mailer, clock, retry_base, max_attempts }
    }

    /// The fast path right after a state change: a failure here is logged, never returned, since
    /// the change itself succeeded and the sweep will retry.
    pub async fn deliver_now(&self, id: &str) {
        match self.deliver(id).await {
            Ok(outcome) => tracing::debug!(email_id = %id, ?outcome, "outbox fast path"),
            Err(error) => {
                tracing::error!(email_id = %id, error = %error, "outbox fast path failed; the sweep will retry")
            }
        }
    }

    /// Claims, renders and sends one email, recording the outcome.
    pub async fn deliver(&self, id: &str) -> Result<Delivery, InfraError> {
        let now = self.clock.now();
        let Some(email) = self.outbox.claim(id, now, now.plus(LEASE)).await? else {
            return Ok(Delivery::Skipped);
        };
        let Some(request) = self.requests.find(email.request_id).await? else {
            self.outbox.failed(id, "the request no longer exists", None).await?;
            return Ok(Delivery::GaveUp);
        };
        let message = email::render(email.kind, &request);
        match self.mailer.send(&message).await {
            Ok(message_id) => {
                self.outbox.sent(id, &message_id, self.clock.now()).await?;
                tracing::info!(email_id = %id, kind = ?email.kind, request_id = %request.id, "email sent");
                Ok(Delivery::Sent)
            }
            Err(error) => {
                let reason = error.to_string();
                if email.attempts >= self.max_attempts {
                    tracing::error!(email_id = %id, attempts = email.attempts, error = %reason, "email given up");
                    self.outbox.failed(id, &reason, None).await?;
                    Ok(Delivery::GaveUp)
                } else {
                    let delay = self.retry_base * 2i32.saturating_pow(email.attempts.saturating_sub(1));
                    tracing::warn!(email_id = %id, attempts = email.attempts, error = %reason, "email failed; will retry");
                    self.outbox.failed(id, &reason, Some(self.clock.now().plus(delay))).await?;
                    Ok(Delivery::Retrying)
                }
            }
        }
    }

    /// Sends every due email (up to `limit`), oldest first.
    pub async fn sweep(&self, limit: i32) -> Result<SweepReport, InfraError> {
        let mut report = SweepReport::default();
        for email in self.outbox.due(self.clock.now(), limit).await? {
            match self.deliver(&email.id).await? {
                Delivery::Sent => report.sent += 1,
                Delivery::Retrying => report.retrying += 1,
                Delivery::GaveUp => report.gave_up += 1,
                Delivery::Skipped => report.skipped += 1,
            }
        }
        Ok(report)
    }
}
