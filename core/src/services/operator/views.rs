//! What an operator sees: the queue, a request with its documents and audit trail, the outcome
//! of an action.

use serde::Serialize;

use super::*;

/// One line of the queue.
#[derive(Debug, Serialize)]
pub struct QueueItem {
    /// Request id.
    pub id: RequestId,
    /// Reference.
    pub reference: Reference,
    /// Status.
    pub status: Status,
    /// When it entered the queue.
    pub submitted_at: Option<Timestamp>,
    /// Given name.
    pub name: String,
    /// Surname.
    pub surname: String,
    /// Citizenship.
    pub citizenship: String,
}

/// A page of the queue.
#[derive(Debug, Serialize)]
pub struct QueuePage {
    /// Oldest first.
    pub items: Vec<QueueItem>,
    /// Opaque cursor of the next page; `null` at the end.
    pub next_cursor: Option<String>,
}

/// A document as an operator sees it.
#[derive(Debug, Clone, Serialize)]
pub struct DocumentDetail {
    /// Real content type (declared, when not yet accepted).
    pub content_type: DocumentType,
    /// Real size, once accepted.
    pub size: Option<u64>,
    /// True once accepted.
    pub accepted: bool,
    /// A pre-signed download (attachment), valid 5 minutes; none before acceptance.
    pub download_url: Option<String>,
    /// When the download link stops working.
    pub expires_at: Option<Timestamp>,
}

/// An audit line as an operator sees it.
#[derive(Debug, Serialize)]
pub struct AuditLine {
    /// When.
    pub at: Timestamp,
    /// Who.
    pub actor: String,
    /// What.
    pub action: AuditAction,
    /// Status before.
    pub from: Option<Status>,
    /// Status after.
    pub to: Status,
    /// Note, reason or message.
    pub note: Option<String>,
}

/// Everything about one request.
#[derive(Debug, Serialize)]
pub struct RequestDetail {
    /// Request id.
    pub id: RequestId,
    /// Reference.
    pub reference: Reference,
    /// Status.
    pub status: Status,
    /// The submitted fields.
    pub applicant: Applicant,
    /// The privacy consent given.
    pub consent: Consent,
    /// When created.
    pub created_at: Timestamp,
    /// When submitted.
    pub submitted_at: Option<Timestamp>,
    /// The account, once approved.
    pub username: Option<Username>,
    /// The last bounce or complaint of an email to the applicant: operators contact them otherwise.
    pub undeliverable: Option<DeliveryProblem>,
    /// The identity document.
    pub document: DocumentDetail,
    /// Every document, the identity document first.
    pub documents: Vec<DocumentDetail>,
    /// The audit trail, oldest first.
    pub audit: Vec<AuditLine>,
}

/// The answer to an action.
#[derive(Debug, Serialize)]
pub struct ActionResult {
    /// Request id.
    pub id: RequestId,
    /// The status now.
    pub status: Status,
    /// The applicant's username (approval and re-issue).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<Username>,
}
