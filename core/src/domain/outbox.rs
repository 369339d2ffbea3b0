//! Emails owed to people, written in the same transaction as the change that owes them and sent
//! by the outbox's sender (the mailer).

use serde::{Deserialize, Serialize};

use super::{RequestId, Timestamp, Username};

/// The kinds of email the service sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EmailKind {
    /// "We received your request": the reference and what happens next.
    Confirmation,
    /// Username and temporary password (or activation link) of an account.
    Credentials,
    /// The request was rejected, with the reason.
    Rejection,
    /// An operator asks for more documents, with the message (and the configured PDF form).
    InfoRequest,
    /// "Your password was changed".
    PasswordChanged,
    /// A password reset link (its token made at send time, replacing earlier ones).
    PasswordReset,
    /// Someone submitted a new request with the details of this active one (the owner is told;
    /// the submitter learns nothing).
    DuplicateAttempt,
}

/// State of an outbox email.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutboxStatus {
    /// Waiting to be sent (or retried at `due_at`).
    Pending,
    /// Accepted by SES.
    Sent,
    /// Given up after the maximum attempts: operators must look at it.
    Failed,
}

/// An email owed to an applicant, written in the same transaction as the change that owes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxEmail {
    /// Identifier (random UUID).
    pub id: String,
    /// What to send.
    pub kind: EmailKind,
    /// The request it is about (recipient and content are read from it at send time).
    pub request_id: Option<RequestId>,
    /// The account it is about (credentials, password changes).
    pub username: Option<Username>,
    /// The operator's reason or message, for rejections and requests for information.
    pub note: Option<String>,
    /// Where it stands.
    pub status: OutboxStatus,
    /// Attempts so far.
    pub attempts: u32,
    /// When it may next be attempted.
    pub due_at: Timestamp,
    /// When it was written.
    pub created_at: Timestamp,
    /// The last error, for operators.
    pub last_error: Option<String>,
    /// SES message id once sent.
    pub message_id: Option<String>,
}

impl OutboxEmail {
    /// A new pending email of `kind` about a request, due at once.
    pub fn about_request(kind: EmailKind, request_id: RequestId, note: Option<String>, now: Timestamp) -> Self {
        Self { request_id: Some(request_id), note, ..Self::pending(kind, now) }
    }

    /// A new pending email of `kind` about an account, due at once.
    pub fn about_account(kind: EmailKind, username: &Username, now: Timestamp) -> Self {
        Self { username: Some(username.clone()), ..Self::pending(kind, now) }
    }

    fn pending(kind: EmailKind, now: Timestamp) -> Self {
        Self {
            id: uuid::Uuid::new_v4().to_string(),
            kind,
            request_id: None,
            username: None,
            note: None,
            status: OutboxStatus::Pending,
            attempts: 0,
            due_at: now,
            created_at: now,
            last_error: None,
            message_id: None,
        }
    }
}
