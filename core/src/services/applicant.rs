//! What an applicant can do: submit the form, upload and confirm the document, follow the request.

use std::sync::Arc;

use serde::Serialize;
use serde_json::Value;
use time::Duration;

use super::{
    acceptance::{AcceptanceError, DocumentAcceptance, DocumentProblem, upload_key},
    idempotency::IdempotencyKey,
    limits::{Limit, Limiter},
    policy::{IDEMPOTENCY_WINDOW, UPLOAD_VALIDITY},
};
use crate::{
    domain::{
        AccreditationRequest, Actor, ApplicationForm, AuditAction, AuditEntry, Consent, DeclaredDocument, DocumentSlot,
        DocumentType, EidasCountries, EmailKind, FormRules, InvalidForm, OutboxEmail, Reference, RequestId,
        SecretToken, Timestamp,
    },
    ports::{
        CaptchaVerdict, CaptchaVerifier, Clock, CreateError, DocumentStore, IdempotencyRecord, InfraError, NewRequest,
        Outbox, RequestStore, TransitionError, UploadForm,
    },
    workflow::Status,
};

/// At most one "someone used your details" email per active request in this window (in seconds),
/// however many attempts are made: the owner is told, not flooded.
pub const DUPLICATE_NOTICE_WINDOW_SECONDS: i64 = 24 * 3600;

/// The service's settings.
#[derive(Debug, Clone)]
pub struct ApplicantSettings {
    /// Recorded with each consent.
    pub privacy_notice_version: String,
    /// Citizenships refused in favour of eIDAS.
    pub eidas: EidasCountries,
    /// How long a request waits for its document.
    pub request_ttl: Duration,
}

/// Why an applicant's call failed.
#[derive(Debug, thiserror::Error)]
pub enum ApplicantError {
    /// The form has invalid fields.
    #[error("the form is invalid")]
    Invalid(InvalidForm),
    /// The CAPTCHA answer was refused.
    #[error("the CAPTCHA check failed")]
    CaptchaFailed,
    /// The person already has an active request (its owner is emailed; the caller learns nothing
    /// of it).
    #[error("the person already has an active request")]
    PersonHasActiveRequest,
    /// Too many calls from this source, or for this email or request: retry after this many seconds.
    #[error("rate limited")]
    RateLimited(i64),
    /// The `Idempotency-Key` header is malformed.
    #[error("malformed idempotency key")]
    InvalidIdempotencyKey,
    /// The idempotency key was already used for a different body.
    #[error("idempotency key reused with a different body")]
    IdempotencyKeyReused,
    /// No such request for this token (or it expired).
    #[error("request not found")]
    NotFound,
    /// The request's status does not allow this.
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

impl From<AcceptanceError> for ApplicantError {
    fn from(error: AcceptanceError) -> Self {
        match error {
            AcceptanceError::NotFound => Self::NotFound,
            AcceptanceError::InvalidTransition(status) => Self::InvalidTransition(status),
            AcceptanceError::DocumentNotUploaded => Self::DocumentNotUploaded,
            AcceptanceError::DocumentRefused(problem) => Self::DocumentRefused(problem),
            AcceptanceError::Infra(error) => Self::Infra(error),
        }
    }
}

/// The answer to a new request: shown once, it holds the access token.
#[derive(Debug, Serialize)]
pub struct Created {
    /// Request id.
    pub id: RequestId,
    /// Human-readable reference.
    pub reference: Reference,
    /// Bearer token for the applicant's later calls (never stored in clear).
    pub access_token: String,
    /// Always `awaiting_document`.
    pub status: Status,
    /// Where and how to upload the document.
    pub upload: UploadForm,
}

/// A fresh upload for a request still waiting for its document.
#[derive(Debug, Serialize)]
pub struct UploadGrant {
    /// Request id.
    pub id: RequestId,
    /// Reference.
    pub reference: Reference,
    /// Current status.
    pub status: Status,
    /// Where and how to upload.
    pub upload: UploadForm,
}

/// What the applicant sees of their request.
#[derive(Debug, Serialize)]
pub struct StatusView {
    /// Request id.
    pub id: RequestId,
    /// Reference.
    pub reference: Reference,
    /// Current status.
    pub status: Status,
    /// Creation time.
    pub created_at: Timestamp,
    /// When it lapses without a document (only while awaiting one).
    pub expires_at: Option<Timestamp>,
    /// When it entered the operators' queue.
    pub submitted_at: Option<Timestamp>,
    /// The document the applicant uploads now (the identity document, or the last one an
    /// operator asked for).
    pub document: DocumentView,
    /// Every document, the identity document first.
    pub documents: Vec<DocumentView>,
    /// Status changes, oldest first.
    pub timeline: Vec<TimelineEntry>,
    /// Messages operators addressed to the applicant.
    pub messages: Vec<MessageView>,
}

/// The document as the applicant sees it.
#[derive(Debug, Serialize)]
pub struct DocumentView {
    /// Declared type.
    pub content_type: DocumentType,
    /// Declared size.
    pub declared_size: u64,
    /// True once accepted.
    pub accepted: bool,
    /// Real size, once accepted.
    pub size: Option<u64>,
}

/// One status change.
#[derive(Debug, Serialize)]
pub struct TimelineEntry {
    /// When.
    pub at: Timestamp,
    /// The status entered.
    pub status: Status,
}

/// A message from the assistance service.
#[derive(Debug, Serialize)]
pub struct MessageView {
    /// When.
    pub at: Timestamp,
    /// The text.
    pub message: String,
}

/// `POST /requests` as read at the edge.
pub struct Submission {
    /// SHA-256 of the raw body: a retry with the same key must send the same body.
    pub fingerprint: String,
    /// The `Idempotency-Key`, if sent.
    pub idempotency_key: Option<IdempotencyKey>,
    /// The form as read; a refused one is answered after the idempotent replay, so that a retry
    /// gets the original response whatever the rules became meanwhile.
    pub form: Result<ApplicationForm, InvalidForm>,
    /// The client's IP address, for the CAPTCHA check.
    pub remote_ip: Option<String>,
}

/// `POST /requests/{id}/upload-url {"document"?}` as read at the edge.
pub struct UploadRequest {
    /// The document declared for a new slot (after an operator asked for one).
    pub declared: Option<DeclaredDocument>,
}

/// The stores and checks the applicant service uses.
#[derive(Clone)]
pub struct ApplicantPorts {
    /// Requests.
    pub requests: Arc<dyn RequestStore>,
    /// The uploads.
    pub documents: Arc<dyn DocumentStore>,
    /// The CAPTCHA check of submissions.
    pub captcha: Arc<dyn CaptchaVerifier>,
    /// The emails telling an active request's owner of a duplicate attempt.
    pub outbox: Arc<dyn Outbox>,
    /// The time.
    pub clock: Arc<dyn Clock>,
}

/// The applicant's side of the service.
pub struct ApplicantService {
    requests: Arc<dyn RequestStore>,
    documents: Arc<dyn DocumentStore>,
    captcha: Arc<dyn CaptchaVerifier>,
    outbox: Arc<dyn Outbox>,
    clock: Arc<dyn Clock>,
    acceptance: DocumentAcceptance,
    limiter: Limiter,
    settings: ApplicantSettings,
}

impl ApplicantService {
    /// Wires the service to its ports.
    pub fn new(
        ports: ApplicantPorts,
        acceptance: DocumentAcceptance,
        limiter: Limiter,
        settings: ApplicantSettings,
    ) -> Self {
        let ApplicantPorts { requests, documents, captcha, outbox, clock } = ports;
        Self { requests, documents, captcha, outbox, clock, acceptance, limiter, settings }
    }

    /// `POST /requests`: validates the form, checks the CAPTCHA, refuses a second active request of
    /// the same person, and creates the request with its upload. Returns the response body, which
    /// a retry with the same idempotency key gets again.
    pub async fn submit(&self, submission: Submission) -> Result<Value, ApplicantError> {
        let Submission { fingerprint: body_fingerprint, idempotency_key: key, form, remote_ip } = submission;
        let now = self.clock.now();
        if let Some(key) = &key
            && let Some(record) = self.requests.idempotency_record(&key.hash(), now).await?
        {
            return replay(key, &record, &body_fingerprint);
        }

        let form = form.map_err(ApplicantError::Invalid)?;
        match self.captcha.verify(&form.captcha_token, remote_ip.as_deref()).await? {
            CaptchaVerdict::Passed => {}
            CaptchaVerdict::Failed(reason) => {
                tracing::info!(%reason, "CAPTCHA refused");
                return Err(ApplicantError::CaptchaFailed);
            }
        }
        // Counted once the CAPTCHA passed: what a person (or a paid solver) gets through.
        let email = form.applicant.email.normalized();
        let mut hits = vec![(Limit::SubmissionEmail, email.as_str())];
        hits.extend(remote_ip.as_deref().map(|address| (Limit::SubmissionAddress, address)));
        if let Some(seconds) = self.limiter.count(&hits, now).await? {
            return Err(ApplicantError::RateLimited(seconds));
        }

        let id = RequestId::generate();
        let token = SecretToken::generate().map_err(|e| InfraError::unexpected("no randomness for a token", e))?;
        let number = self.requests.next_reference_number(now.datetime().year()).await?;
        let expires_at = now.plus(self.settings.request_ttl);
        let request = AccreditationRequest::new(
            id,
            Reference::new(now.datetime().year(), number),
            form.applicant,
            Consent { at: now, privacy_notice_version: self.settings.privacy_notice_version.clone() },
            token.hash(),
            DocumentSlot { upload_key: upload_key(id)?, declared: form.document, accepted: None },
            now,
            expires_at,
        );
        let upload = self.upload_for(&request, now).await?;
        let created = Created {
            id,
            reference: request.reference.clone(),
            access_token: token.expose().to_string(),
            status: request.status(),
            upload,
        };
        let response =
            serde_json::to_value(&created).map_err(|e| InfraError::unexpected("encoding the response", e))?;
        let idempotency = key
            .as_ref()
            .map(|key| {
                Ok::<_, InfraError>(IdempotencyRecord {
                    key_hash: key.hash(),
                    fingerprint: body_fingerprint.clone(),
                    sealed_response: key.seal(&response)?,
                    expires_at: now.plus(IDEMPOTENCY_WINDOW),
                })
            })
            .transpose()?;
        let audit = AuditEntry {
            at: now,
            actor: Actor::applicant(),
            action: AuditAction::Created,
            from: None,
            to: Status::AwaitingDocument,
            note: None,
            for_applicant: false,
        };
        let new = NewRequest { request, audit, idempotency };
        match self.requests.create(&new, now).await {
            Ok(()) => {
                tracing::info!(request_id = %id, reference = %new.request.reference, "request created");
                Ok(response)
            }
            Err(CreateError::PersonHasActiveRequest) => {
                if let Some(active) = self.requests.active_request_of(&new.request, now).await? {
                    self.tell_owner_of(active, now).await?;
                }
                Err(ApplicantError::PersonHasActiveRequest)
            }
            Err(CreateError::IdempotencyKeyUsed) => {
                let key = key
                    .as_ref()
                    .ok_or_else(|| InfraError::Unexpected("idempotency conflict without a key".into(), None))?;
                let record = self
                    .requests
                    .idempotency_record(&key.hash(), now)
                    .await?
                    .ok_or_else(|| InfraError::Unexpected("idempotency record vanished".into(), None))?;
                replay(key, &record, &body_fingerprint)
            }
            Err(CreateError::Infra(e)) => Err(e.into()),
        }
    }

    /// Emails the owner of the `active` request that someone tried to submit another with the
    /// same details (once per [`DUPLICATE_NOTICE_WINDOW_SECONDS`]: repeated attempts cannot flood
    /// them).
    async fn tell_owner_of(&self, active: RequestId, now: Timestamp) -> Result<(), InfraError> {
        let scope = format!("duplicate-notice#{active}");
        let first = self.limiter.first_in(&scope, DUPLICATE_NOTICE_WINDOW_SECONDS, now).await?;
        if first {
            self.outbox.enqueue(&OutboxEmail::about_request(EmailKind::DuplicateAttempt, active, None, now)).await?;
        }
        tracing::info!(event = "duplicate_request", request_id = %active, owner_emailed = first,
            "a submission matched an active request");
        Ok(())
    }

    /// What the form is checked against today: the date and the eIDAS refusal list.
    pub fn form_rules(&self) -> FormRules<'_> {
        FormRules { today: self.clock.now().datetime().date(), eidas: &self.settings.eidas }
    }

    /// `GET /requests/{id}`: the request as its applicant sees it.
    /// Limited per source address and per request.
    pub async fn status(
        &self,
        id: RequestId,
        token: Option<&str>,
        source_ip: Option<&str>,
    ) -> Result<StatusView, ApplicantError> {
        let request_key = id.to_string();
        let mut hits = vec![(Limit::StatusRequest, request_key.as_str())];
        hits.extend(source_ip.map(|address| (Limit::StatusAddress, address)));
        if let Some(seconds) = self.limiter.count(&hits, self.clock.now()).await? {
            return Err(ApplicantError::RateLimited(seconds));
        }
        let request = self.authenticate(id, token).await?;
        self.view(request).await
    }

    /// `POST /requests/{id}/upload-url`: a fresh upload form while a document is awaited. When an
    /// operator asked for another document, the declared one (the same shape as the form's
    /// `document`) opens a new slot for it. A refused body is answered only after the access and
    /// status checks, so that it tells a stranger nothing.
    pub async fn new_upload(
        &self,
        id: RequestId,
        token: Option<&str>,
        upload: Result<UploadRequest, InvalidForm>,
    ) -> Result<UploadGrant, ApplicantError> {
        let request = self.authenticate(id, token).await?;
        if !request.status().accepts_document() {
            return Err(ApplicantError::InvalidTransition(request.status()));
        }
        let declared = upload.map_err(ApplicantError::Invalid)?.declared;
        let now = self.clock.now();
        let current = request.current_document();
        let changed = match declared {
            Some(declared) if current.accepted.is_some() => Some(request.with_new_slot(DocumentSlot {
                upload_key: upload_key(request.id)?,
                declared,
                accepted: None,
            })),
            Some(declared) if declared != current.declared => Some(request.with_declared(declared)),
            None if current.accepted.is_some() => {
                return Err(ApplicantError::Invalid(DeclaredDocument::missing_declaration()));
            }
            _ => None,
        };
        let request = match changed {
            None => request,
            Some(changed) => match self.requests.update(&changed, request.version()).await {
                Ok(()) => changed,
                Err(TransitionError::Infra(e)) => return Err(e.into()),
                Err(_) => {
                    let current = self.requests.find(request.id).await?.ok_or(ApplicantError::NotFound)?;
                    return Err(ApplicantError::InvalidTransition(current.status()));
                }
            },
        };
        let upload = self.upload_for(&request, now).await?;
        Ok(UploadGrant { id: request.id, status: request.status(), reference: request.reference, upload })
    }

    /// `POST /requests/{id}/document`: runs the acceptance check on the uploaded file.
    pub async fn confirm_document(&self, id: RequestId, token: Option<&str>) -> Result<StatusView, ApplicantError> {
        let request = self.authenticate(id, token).await?;
        let accepted = self.acceptance.accept(request, Actor::applicant()).await?;
        self.view(accepted).await
    }

    /// The request `id` if `token` is its access token and it has not lapsed; otherwise the same
    /// `NotFound` whatever was wrong.
    async fn authenticate(&self, id: RequestId, token: Option<&str>) -> Result<AccreditationRequest, ApplicantError> {
        let Some(token) = token else { return Err(ApplicantError::NotFound) };
        let request = self.requests.find(id).await?.ok_or(ApplicantError::NotFound)?;
        if !request.access_token_hash.matches(token) || request.is_expired(self.clock.now()) {
            return Err(ApplicantError::NotFound);
        }
        Ok(request)
    }

    async fn upload_for(&self, request: &AccreditationRequest, now: Timestamp) -> Result<UploadForm, InfraError> {
        let mut expires_at = now.plus(UPLOAD_VALIDITY);
        if let Some(lapse) = request.expires_at() {
            expires_at = expires_at.min(lapse);
        }
        let slot = request.current_document();
        self.documents.upload_form(&slot.upload_key, slot.declared.content_type, expires_at).await
    }

    async fn view(&self, request: AccreditationRequest) -> Result<StatusView, ApplicantError> {
        let trail = self.requests.audit_trail(request.id).await?;
        let timeline = trail.iter().map(|e| TimelineEntry { at: e.at, status: e.to }).collect();
        let messages = trail
            .iter()
            .filter(|e| e.for_applicant)
            .filter_map(|e| e.note.clone().map(|message| MessageView { at: e.at, message }))
            .collect();
        Ok(StatusView {
            id: request.id,
            document: DocumentView::of(request.current_document()),
            documents: request.documents().map(DocumentView::of).collect(),
            status: request.status(),
            expires_at: request.expires_at(),
            submitted_at: request.submitted_at(),
            reference: request.reference,
            created_at: request.created_at,
            timeline,
            messages,
        })
    }
}

impl DocumentView {
    fn of(slot: &DocumentSlot) -> Self {
        Self {
            content_type: slot.declared.content_type,
            declared_size: slot.declared.size,
            accepted: slot.accepted.is_some(),
            size: slot.accepted.as_ref().map(|a| a.size),
        }
    }
}

/// The stored response of an earlier call with the same key and body.
fn replay(key: &IdempotencyKey, record: &IdempotencyRecord, body_fingerprint: &str) -> Result<Value, ApplicantError> {
    if record.fingerprint != body_fingerprint {
        return Err(ApplicantError::IdempotencyKeyReused);
    }
    key.open(&record.sealed_response)
        .ok_or_else(|| InfraError::Unexpected("stored response does not open with its key".into(), None).into())
}
