//! The emails still to send.

use async_trait::async_trait;

use super::InfraError;
use crate::domain::{OutboxEmail, Timestamp};

/// The emails still to send.
#[async_trait]
pub trait Outbox: Send + Sync {
    /// Adds an email that no other write owes (its sender, the mailer, sends it from the table's
    /// stream or its sweep).
    async fn enqueue(&self, email: &OutboxEmail) -> Result<(), InfraError>;
    /// Pending emails due at `now`, oldest first.
    async fn due(&self, now: Timestamp, limit: i32) -> Result<Vec<OutboxEmail>, InfraError>;
    /// Takes the email for sending until `lease_until` if it is pending and due; `None` when
    /// another sender holds it or it is already sent.
    async fn claim(&self, id: &str, now: Timestamp, lease_until: Timestamp) -> Result<Option<OutboxEmail>, InfraError>;
    /// Records the successful send.
    async fn sent(&self, id: &str, message_id: &str, at: Timestamp) -> Result<(), InfraError>;
    /// Records a failed attempt: retried at `retry_at`, or given up when `None`.
    async fn failed(&self, id: &str, error: &str, retry_at: Option<Timestamp>) -> Result<(), InfraError>;
}
