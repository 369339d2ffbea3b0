//! Document acceptance: the one check every uploaded document passes, whether the applicant
//! confirms it (`POST /requests/{id}/document`) or S3 reports it (the `document-uploaded`
//! trigger). Size, then magic bytes against the declared type; an accepted file moves to a key no
//! upload form allows, and the request to `submitted` with its confirmation email; a bad file is
//! deleted. Idempotent: the API and the trigger race on every upload, and settle on one winner.

use std::sync::Arc;

use super::postman::Postman;
use crate::{
    domain::{
        AcceptedDocument, AccreditationRequest, Actor, AuditEntry, DocumentSlot, DocumentType, EmailKind, Event,
        MAX_DOCUMENT_BYTES, OutboxEmail, RequestId, SNIFF_BYTES, random_bytes,
    },
    ports::{Clock, DocumentStore, InfraError, RequestStore, Transition, TransitionError},
    workflow::Status,
};

/// Checks of one acceptance before it gives up on an upload that keeps being replaced.
const CHECKS_PER_ACCEPTANCE: usize = 3;

/// Why an upload was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum AcceptanceError {
    /// No live request awaits this upload.
    #[error("request not found")]
    NotFound,
    /// The request's status does not allow a document.
    #[error("not allowed while the request is {0}")]
    InvalidTransition(Status),
    /// Nothing was uploaded yet.
    #[error("no document uploaded")]
    DocumentNotUploaded,
    /// The uploaded file was refused and deleted.
    #[error("document refused: {0:?}")]
    DocumentRefused(DocumentProblem),
    /// Infrastructure failure.
    #[error(transparent)]
    Infra(#[from] InfraError),
}

/// Why an uploaded document was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentProblem {
    /// Zero bytes.
    Empty,
    /// Over 3 MiB.
    TooLarge(u64),
    /// Not a PDF, JPEG or PNG at all (e.g. an executable or HTML page renamed).
    UnsupportedType,
    /// A supported type, but not the one declared.
    TypeMismatch {
        /// What the applicant declared.
        declared: DocumentType,
        /// What the bytes are.
        actual: DocumentType,
    },
}

/// The acceptance check and what follows it.
pub struct DocumentAcceptance {
    requests: Arc<dyn RequestStore>,
    documents: Arc<dyn DocumentStore>,
    postman: Postman,
    clock: Arc<dyn Clock>,
}

impl DocumentAcceptance {
    /// Wires the check to its ports.
    pub fn new(
        requests: Arc<dyn RequestStore>,
        documents: Arc<dyn DocumentStore>,
        postman: Postman,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self { requests, documents, postman, clock }
    }

    /// The S3 `ObjectCreated` trigger: the acceptance of the upload at `key`, its request found by
    /// the key. Uploads that belong to no live request, or to a slot already accepted, are deleted.
    pub async fn uploaded(&self, key: &str) -> Result<Status, AcceptanceError> {
        let request = match key.split('/').nth(1).and_then(RequestId::parse) {
            Some(id) => self.requests.find(id).await?,
            None => None,
        };
        let now = self.clock.now();
        let awaited = |r: &AccreditationRequest| {
            let slot = r.current_document();
            slot.upload_key == key && slot.accepted.is_none() && !r.is_expired(now)
        };
        let Some(request) = request.filter(awaited) else {
            tracing::warn!(%key, "upload belongs to no document awaited: deleting it");
            self.documents.delete(key).await?;
            return Err(AcceptanceError::NotFound);
        };
        Ok(self.accept(request, Actor::system()).await?.status())
    }

    /// The idempotent acceptance check of the current slot: size, magic bytes against the declared
    /// type, then the file moves to its permanent key and the request to `submitted`, with the
    /// confirmation email, in one transaction. A bad file is deleted.
    pub async fn accept(
        &self,
        request: AccreditationRequest,
        actor: Actor,
    ) -> Result<AccreditationRequest, AcceptanceError> {
        let slot = request.current_document().clone();
        if slot.accepted.is_some() {
            return if request.status().accepts_document() {
                Err(AcceptanceError::DocumentNotUploaded)
            } else {
                Ok(request)
            };
        }
        if !request.status().accepts_document() {
            return Err(AcceptanceError::InvalidTransition(request.status()));
        }
        let (key, size) = match self.check_and_keep(&request, &slot).await {
            Ok(kept) => kept,
            // The API and the S3 trigger race: the other one may have moved the file meanwhile.
            Err(error @ (AcceptanceError::DocumentNotUploaded | AcceptanceError::Infra(_))) => {
                return match self.settled(request.id, &slot.upload_key).await? {
                    (current, true) => Ok(current),
                    _ => Err(error),
                };
            }
            Err(error) => return Err(error),
        };
        let declared = slot.declared.content_type;

        let now = self.clock.now();
        let event =
            Event::DocumentAccepted(AcceptedDocument { key: key.clone(), size, content_type: declared, at: now });
        let audit_action = event.audit_action();
        let accepted = request.apply(event, now).map_err(|invalid| AcceptanceError::InvalidTransition(invalid.from))?;
        let first_document = request.status() == Status::AwaitingDocument;
        let email = first_document.then(|| OutboxEmail::about_request(EmailKind::Confirmation, request.id, None, now));
        let change = Transition {
            audit: AuditEntry {
                at: now,
                actor,
                action: audit_action,
                from: Some(request.status()),
                to: accepted.status(),
                note: None,
                for_applicant: false,
            },
            request: accepted,
            expected_version: request.version(),
            email: email.clone(),
            account: None,
        };
        // Both boxed: the handlers' futures are deep already, and a test's lives on its thread's
        // 2 MiB stack.
        let (current, ours) = Box::pin(self.write(&change, &slot.upload_key, &key)).await?;
        // The slot is accepted (by this check or a racing one): the upload goes (a failure leaves
        // it to the bucket's lifecycle rule, which deletes uploads still tagged pending).
        if let Err(error) = self.documents.delete(&slot.upload_key).await {
            tracing::warn!(request_id = %request.id, error = %error, "accepted upload left to the lifecycle rule");
        }
        if ours && let Some(email) = email {
            Box::pin(self.postman.deliver_now(&email.id)).await;
        }
        Ok(current)
    }

    /// Writes the acceptance `change` of the upload `upload_key`, copied to `key`: the request as
    /// it is then, and whether this acceptance is the one it holds (or another one, which won).
    async fn write(
        &self,
        change: &Transition,
        upload_key: &str,
        key: &str,
    ) -> Result<(AccreditationRequest, bool), AcceptanceError> {
        let id = change.request.id;
        let error = match self.requests.transition(change).await {
            Ok(()) => {
                tracing::info!(request_id = %id, "document accepted, request submitted");
                return Ok((change.request.clone(), true));
            }
            Err(TransitionError::Conflict | TransitionError::UsernameTaken) => {
                // Our copy lost: it must not outlive the race (no request points at it).
                self.drop_copy(id, key).await;
                return match self.settled(id, upload_key).await? {
                    (current, true) => Ok((current, false)),
                    (current, false) => Err(AcceptanceError::InvalidTransition(current.status())),
                };
            }
            Err(TransitionError::Infra(error)) => error,
        };
        // The write may have landed behind a lost answer: a consistent read tells. Landed, it
        // stands. Another acceptance landed: our copy goes. Not landed yet, or not known: the copy
        // stays, since a write that timed out can still land after the read, and a copy no request
        // names is better than a request naming no copy.
        match self.settled(id, upload_key).await {
            Ok((current, true)) if current.documents().any(|d| d.accepted.as_ref().is_some_and(|a| a.key == key)) => {
                tracing::info!(request_id = %id, "document accepted behind a lost answer");
                Ok((current, true))
            }
            Ok((current, true)) => {
                self.drop_copy(id, key).await;
                Ok((current, false))
            }
            Ok((_, false)) | Err(_) => {
                tracing::warn!(request_id = %id, %key, "the acceptance's write failed: its copy is kept");
                Err(error.into())
            }
        }
    }

    /// Deletes a copy that no request names.
    async fn drop_copy(&self, id: RequestId, key: &str) {
        if let Err(error) = self.documents.delete(key).await {
            tracing::warn!(request_id = %id, %key, error = %error, "unreferenced document copy left");
        }
    }

    /// Checks the upload of `slot` (size, then magic bytes against the declared type) and copies
    /// it to its permanent key: that key and the size. A bad file is deleted.
    async fn check_and_keep(
        &self,
        request: &AccreditationRequest,
        slot: &DocumentSlot,
    ) -> Result<(String, u64), AcceptanceError> {
        let declared = slot.declared.content_type;
        // A still-valid upload form may replace the file while it is checked: only the version
        // checked is read and copied, and a replaced one is checked again from the start.
        for _ in 0..CHECKS_PER_ACCEPTANCE {
            let object = self.documents.head(&slot.upload_key).await?.ok_or(AcceptanceError::DocumentNotUploaded)?;
            let size = object.size;
            let problem = match size {
                0 => Some(DocumentProblem::Empty),
                s if s > MAX_DOCUMENT_BYTES => Some(DocumentProblem::TooLarge(s)),
                _ => {
                    let read = self.documents.first_bytes(&slot.upload_key, SNIFF_BYTES, Some(&object.etag)).await?;
                    let Some(first_bytes) = read else { continue };
                    match DocumentType::sniff(&first_bytes) {
                        None => Some(DocumentProblem::UnsupportedType),
                        Some(actual) if actual != declared => Some(DocumentProblem::TypeMismatch { declared, actual }),
                        Some(_) => None,
                    }
                }
            };
            if let Some(problem) = problem {
                tracing::info!(request_id = %request.id, ?problem, size, "document refused and deleted");
                self.documents.delete(&slot.upload_key).await?;
                return Err(AcceptanceError::DocumentRefused(problem));
            }
            let key = document_key(request.id)?;
            if self.documents.promote(&slot.upload_key, &object.etag, &key).await? {
                return Ok((key, size));
            }
            tracing::warn!(request_id = %request.id, "the upload was replaced while it was checked: checking it again");
        }
        Err(AcceptanceError::DocumentNotUploaded)
    }

    /// The request `id` as it is now, and whether the upload `upload_key` is accepted on it.
    async fn settled(&self, id: RequestId, upload_key: &str) -> Result<(AccreditationRequest, bool), AcceptanceError> {
        let current = self.requests.find(id).await?.ok_or(AcceptanceError::NotFound)?;
        let accepted = current.documents().any(|d| d.upload_key == upload_key && d.accepted.is_some());
        Ok((current, accepted))
    }
}

/// A fresh upload key: `uploads/<id>/<random>`, not guessable from the reference.
pub fn upload_key(id: RequestId) -> Result<String, InfraError> {
    random_key("uploads", id)
}

/// A fresh permanent key for an accepted document: `documents/<id>/<random>`.
fn document_key(id: RequestId) -> Result<String, InfraError> {
    random_key("documents", id)
}

fn random_key(prefix: &str, id: RequestId) -> Result<String, InfraError> {
    let suffix = random_bytes::<16>().map_err(|e| InfraError::unexpected("no randomness for a key", e))?;
    Ok(format!("{prefix}/{id}/{}", hex::encode(suffix)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{domain::EmailKind, fakes::World};

    #[tokio::test]
    async fn a_file_replaced_while_it_is_checked_is_checked_again_never_copied_unchecked() {
        let world = World::new();
        let request = world.awaiting_request();
        let upload = request.current_document().upload_key.clone();
        world.bucket.upload(&upload, &World::png(2048));
        // A second upload with the same still-valid form lands between the check and the copy.
        let html = b"<html><script>alert(1)</script></html>".repeat(40);
        world.bucket.upload_after_next_read(&upload, &html);

        let refused = world.acceptance.accept(request.clone(), Actor::system()).await;

        assert!(
            matches!(refused, Err(AcceptanceError::DocumentRefused(DocumentProblem::UnsupportedType))),
            "{refused:?}"
        );
        assert!(world.bucket.keys().is_empty(), "the unchecked bytes were never copied, and are deleted");
        assert_eq!(world.store.tables().requests[&request.id], request, "still awaiting its document");
    }

    #[tokio::test]
    async fn a_failed_promotion_changes_nothing_and_the_retry_accepts() {
        let world = World::new();
        let request = world.awaiting_request();
        let upload = request.current_document().upload_key.clone();
        world.bucket.upload(&upload, &World::png(2048));
        world.bucket.faults.fail_next("promote", 1);

        let failed = world.acceptance.accept(request.clone(), Actor::applicant()).await;

        assert!(matches!(failed, Err(AcceptanceError::Infra(_))), "{failed:?}");
        let stored = world.store.tables().requests[&request.id].clone();
        assert_eq!(stored, request, "the request is as it was");
        assert_eq!(world.bucket.keys(), [upload], "the upload is kept for the retry");
        assert!(world.store.tables().outbox.is_empty(), "no confirmation owed");

        let accepted = world.acceptance.accept(request, Actor::applicant()).await.unwrap();
        assert_eq!(accepted.status(), Status::Submitted);
        let key = accepted.current_document().accepted.as_ref().unwrap().key.clone();
        assert_eq!(world.bucket.keys(), [key], "moved to its permanent key");
        let emails: Vec<_> = world.store.tables().outbox.values().map(|e| e.kind).collect();
        assert_eq!(emails, [EmailKind::Confirmation]);
    }

    #[tokio::test]
    async fn an_acceptance_written_behind_a_lost_answer_stands() {
        let world = World::new();
        let request = world.awaiting_request();
        world.bucket.upload(&request.current_document().upload_key, &World::png(2048));
        let (bucket, clock, before) = (world.bucket.clone(), world.clock.clone(), request.clone());
        world.store.before("transition", move |tables| {
            // The transaction is written; then its answer is lost (the fault below).
            let key = bucket.keys().into_iter().find(|k| k.starts_with("documents/")).unwrap();
            let document = AcceptedDocument { key, size: 2048, content_type: DocumentType::Png, at: clock.now() };
            let landed = before.apply(Event::DocumentAccepted(document), clock.now()).unwrap();
            tables.requests.insert(landed.id, landed);
        });
        world.store.faults.fail_next("transition", 1);

        let accepted = world.acceptance.accept(request, Actor::applicant()).await.unwrap();

        assert_eq!(accepted.status(), Status::Submitted, "a success, not a 503 for what was done");
        let key = accepted.current_document().accepted.as_ref().unwrap().key.clone();
        assert_eq!(world.bucket.keys(), [key], "the document it names is kept");
    }

    #[tokio::test]
    async fn an_acceptance_whose_write_failed_keeps_its_copy() {
        let world = World::new();
        let request = world.awaiting_request();
        world.bucket.upload(&request.current_document().upload_key, &World::png(2048));
        world.store.faults.fail_next("transition", 1);

        let failed = world.acceptance.accept(request.clone(), Actor::applicant()).await;

        assert!(matches!(failed, Err(AcceptanceError::Infra(_))), "{failed:?}");
        assert_eq!(world.store.tables().requests[&request.id], request, "still awaiting its document");
        let copies: Vec<String> = world.bucket.keys().into_iter().filter(|k| k.starts_with("documents/")).collect();
        assert_eq!(copies.len(), 1, "the write may still land: its document stays");
    }

    #[tokio::test]
    async fn when_the_trigger_wins_the_race_the_api_answers_submitted_and_drops_its_copy() {
        let world = World::new();
        let request = world.awaiting_request();
        world.bucket.upload(&request.current_document().upload_key, &World::png(2048));
        let winner_key = format!("documents/{}/winner", request.id);
        let won = request
            .apply(
                Event::DocumentAccepted(AcceptedDocument {
                    key: winner_key.clone(),
                    size: 2048,
                    content_type: DocumentType::Png,
                    at: world.clock.now(),
                }),
                world.clock.now(),
            )
            .unwrap();
        let bucket = world.bucket.clone();
        let winner = winner_key.clone();
        world.store.before("transition", move |tables| {
            bucket.upload(&winner, &World::png(2048));
            tables.requests.insert(won.id, won);
        });

        let outcome = world.acceptance.accept(request, Actor::applicant()).await.unwrap();

        assert_eq!(outcome.status(), Status::Submitted);
        assert_eq!(outcome.current_document().accepted.as_ref().unwrap().key, winner_key);
        assert_eq!(world.bucket.keys(), [winner_key], "the loser's copy is deleted");
    }
}
