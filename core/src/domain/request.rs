//! The accreditation request as stored: the applicant, their document, consent and status.

use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Applicant, DeclaredDocument, DocumentType, Timestamp, TokenHash, Username};
use crate::workflow::{Action, InvalidTransition, Status, transition};

/// The opaque identifier of a request (a random UUID).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RequestId(Uuid);

impl RequestId {
    /// A new random identifier.
    pub fn generate() -> Self {
        Self(Uuid::new_v4())
    }

    /// Parses the identifier from a URL path segment or object key.
    pub fn parse(value: &str) -> Option<Self> {
        Uuid::from_str(value).ok().map(Self)
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The human-readable, unique and sortable reference: `UE-2026-000123`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Reference(String);

impl Reference {
    /// The reference of the `number`-th request of `year`.
    pub fn new(year: i32, number: u64) -> Self {
        Self(format!("UE-{year}-{number:06}"))
    }

    /// The reference text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The privacy consent: when it was given and to which version of the notice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consent {
    /// When the form with the consent was received.
    pub at: Timestamp,
    /// The privacy notice version shown to the applicant.
    pub privacy_notice_version: String,
}

/// A document that passed the acceptance check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AcceptedDocument {
    /// Where the accepted copy is kept: `documents/<id>/<random>`, a key no upload form allows.
    pub key: String,
    /// Its real size.
    pub size: u64,
    /// Its real type, recognised from its bytes.
    pub content_type: DocumentType,
    /// When it was accepted.
    pub at: Timestamp,
}

/// One document the applicant uploads: where it goes and what is known of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentSlot {
    /// The key upload forms target, fixed per slot: `uploads/<id>/<random>`. An accepted file is
    /// copied away from it, so a late upload can never replace an accepted document.
    pub upload_key: String,
    /// What the applicant declared.
    pub declared: DeclaredDocument,
    /// Set once the file passed the acceptance check.
    pub accepted: Option<AcceptedDocument>,
}

/// What SES reported about an email to the applicant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryProblemKind {
    /// A permanent bounce: the address does not receive mail.
    Bounce,
    /// The recipient marked the email as spam.
    Complaint,
}

/// An applicant's address SES could not (or may no longer) deliver to, shown to operators.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryProblem {
    /// Bounce or complaint.
    pub kind: DeliveryProblemKind,
    /// The addresses concerned.
    pub addresses: Vec<String>,
    /// SES's classification (e.g. `Permanent/NoEmail`, `abuse`).
    pub detail: String,
    /// When SES reported it.
    pub at: Timestamp,
}

/// One accreditation request. What the workflow owns (status, version, the times it marks, the
/// account) is private: it changes only by [`AccreditationRequest::apply`], and every other change
/// by a method that bumps the version the next conditional write expects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccreditationRequest {
    /// Identifier.
    pub id: RequestId,
    /// Human-readable reference.
    pub reference: Reference,
    status: Status,
    version: u64,
    /// The applicant's data.
    pub applicant: Applicant,
    /// The privacy consent.
    pub consent: Consent,
    /// Digest of the applicant's access token.
    pub access_token_hash: TokenHash,
    document: DocumentSlot,
    #[serde(default)]
    additional_documents: Vec<DocumentSlot>,
    /// When the request was created.
    pub created_at: Timestamp,
    expires_at: Option<Timestamp>,
    submitted_at: Option<Timestamp>,
    #[serde(default)]
    username: Option<Username>,
    #[serde(default)]
    undeliverable: Option<DeliveryProblem>,
}

/// What happens to a request in the workflow, with what it brings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The current slot's upload passed the acceptance check.
    DocumentAccepted(AcceptedDocument),
    /// An operator approved; the applicant's account has this username.
    Approved(Username),
    /// An operator rejected.
    Rejected,
    /// An operator asked for another document.
    InfoRequested,
}

impl Event {
    /// The workflow action of the event.
    pub fn action(&self) -> Action {
        match self {
            Self::DocumentAccepted(_) => Action::AcceptDocument,
            Self::Approved(_) => Action::Approve,
            Self::Rejected => Action::Reject,
            Self::InfoRequested => Action::RequestInfo,
        }
    }

    /// How the audit trail names it.
    pub fn audit_action(&self) -> AuditAction {
        match self {
            Self::DocumentAccepted(_) => AuditAction::DocumentAccepted,
            Self::Approved(_) => AuditAction::Approve,
            Self::Rejected => AuditAction::Reject,
            Self::InfoRequested => AuditAction::RequestInfo,
        }
    }
}

impl AccreditationRequest {
    /// A new request awaiting its identity document, which it must receive before `expires_at`.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        id: RequestId,
        reference: Reference,
        applicant: Applicant,
        consent: Consent,
        access_token_hash: TokenHash,
        document: DocumentSlot,
        created_at: Timestamp,
        expires_at: Timestamp,
    ) -> Self {
        Self {
            id,
            reference,
            status: Status::AwaitingDocument,
            version: 1,
            applicant,
            consent,
            access_token_hash,
            document,
            additional_documents: Vec::new(),
            created_at,
            expires_at: Some(expires_at),
            submitted_at: None,
            username: None,
            undeliverable: None,
        }
    }

    /// The request after `event` at `now`, if the workflow allows it from the current status: the
    /// new status, what the event brings, and the next version.
    pub fn apply(&self, event: Event, now: Timestamp) -> Result<Self, InvalidTransition> {
        let mut next = self.revised();
        next.status = transition(self.status, event.action())?;
        match event {
            Event::DocumentAccepted(accepted) => {
                next.current_document_mut().accepted = Some(accepted);
                next.expires_at = None;
                next.submitted_at = Some(now);
            }
            Event::Approved(username) => next.username = Some(username),
            Event::Rejected | Event::InfoRequested => {}
        }
        Ok(next)
    }

    /// The request with a new slot for the document an operator asked for.
    pub fn with_new_slot(&self, slot: DocumentSlot) -> Self {
        let mut next = self.revised();
        next.additional_documents.push(slot);
        next
    }

    /// The request with the current slot's declaration replaced (before anything is accepted in it).
    pub fn with_declared(&self, declared: DeclaredDocument) -> Self {
        let mut next = self.revised();
        next.current_document_mut().declared = declared;
        next
    }

    /// The request marked with an email problem SES reported.
    pub fn with_delivery_problem(&self, problem: DeliveryProblem) -> Self {
        let mut next = self.revised();
        next.undeliverable = Some(problem);
        next
    }

    /// The request unchanged but for its version: a write recorded against it (re-issued
    /// credentials) that must not pass a concurrent change.
    pub fn revised(&self) -> Self {
        Self { version: self.version + 1, ..self.clone() }
    }

    /// Current status.
    pub fn status(&self) -> Status {
        self.status
    }

    /// Incremented by every change: the condition of the next write.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// When it lapses if no document is accepted (only while awaiting it).
    pub fn expires_at(&self) -> Option<Timestamp> {
        self.expires_at
    }

    /// When the document was accepted and the request entered the queue.
    pub fn submitted_at(&self) -> Option<Timestamp> {
        self.submitted_at
    }

    /// The applicant's account, once approved.
    pub fn username(&self) -> Option<&Username> {
        self.username.as_ref()
    }

    /// The last bounce or complaint of an email to the applicant.
    pub fn undeliverable(&self) -> Option<&DeliveryProblem> {
        self.undeliverable.as_ref()
    }

    /// True when the request lapsed at `now` (the table may still hold it until TTL removes it).
    pub fn is_expired(&self, now: Timestamp) -> bool {
        self.expires_at.is_some_and(|at| at <= now)
    }

    /// The slot the applicant uploads to now: the last one asked for.
    pub fn current_document(&self) -> &DocumentSlot {
        self.additional_documents.last().unwrap_or(&self.document)
    }

    fn current_document_mut(&mut self) -> &mut DocumentSlot {
        self.additional_documents.last_mut().unwrap_or(&mut self.document)
    }

    /// The identity document.
    pub fn identity_document(&self) -> &DocumentSlot {
        &self.document
    }

    /// Every document slot, the identity document first.
    pub fn documents(&self) -> impl Iterator<Item = &DocumentSlot> {
        std::iter::once(&self.document).chain(&self.additional_documents)
    }
}

/// Who did something to a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Actor(String);

impl Actor {
    /// The applicant, acting with their access token.
    pub fn applicant() -> Self {
        Self("applicant".into())
    }

    /// The service itself (S3 event, scheduled job).
    pub fn system() -> Self {
        Self("system".into())
    }

    /// An operator, by username.
    pub fn operator(username: &str) -> Self {
        Self(format!("operator:{username}"))
    }

    /// The actor's name as recorded.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One line of a request's audit trail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// When.
    pub at: Timestamp,
    /// Who.
    pub actor: Actor,
    /// What.
    pub action: AuditAction,
    /// Status before (none for creation).
    pub from: Option<Status>,
    /// Status after.
    pub to: Status,
    /// A note; shown to the applicant only when `for_applicant`.
    pub note: Option<String>,
    /// True when the note is addressed to the applicant.
    pub for_applicant: bool,
}

/// What an audit line records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    /// The applicant sent the form.
    Created,
    /// A document passed the acceptance check.
    DocumentAccepted,
    /// An operator approved.
    Approve,
    /// An operator rejected.
    Reject,
    /// An operator asked for another document.
    RequestInfo,
    /// An operator re-issued the applicant's credentials.
    ReissueCredentials,
    /// SES reported a permanent bounce of an email to the applicant.
    EmailBounced,
    /// The applicant marked an email as spam.
    EmailComplaint,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_zero_padded_and_sort_by_number() {
        assert_eq!(Reference::new(2026, 123).as_str(), "UE-2026-000123");
        assert!(Reference::new(2026, 99).as_str() < Reference::new(2026, 100).as_str());
    }

    #[test]
    fn request_ids_parse_only_uuids() {
        let id = RequestId::generate();
        assert_eq!(RequestId::parse(&id.to_string()), Some(id));
        assert_eq!(RequestId::parse("UE-2026-000001"), None);
        assert_eq!(RequestId::parse("../etc"), None);
    }
}
