//! What an operator asks: a page of the queue, an action on a request (read at the edge,
//! `crate::wire::operator`).

use super::*;

/// `GET /operator/requests` as read from its query string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueQuery {
    /// The listed status (`submitted` unless asked).
    pub status: Status,
    /// The page size (50 unless asked).
    pub limit: i32,
    /// Where the previous page ended, as that page said.
    pub cursor: Option<String>,
}

/// An operator's action on one request, as read from its path and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OperatorAction {
    /// `approve {"note"?}`.
    Approve {
        /// A note for the audit trail.
        note: Option<Note>,
    },
    /// `reject {"reason"}`: mailed to the applicant.
    Reject {
        /// Why.
        reason: Note,
    },
    /// `request-info {"message"}`: mailed to the applicant.
    RequestInfo {
        /// What is asked.
        message: Note,
    },
    /// `reissue-credentials`.
    ReissueCredentials,
}
