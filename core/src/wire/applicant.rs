//! The applicant's bodies read into the applicant service's commands: the submission (with its
//! `Idempotency-Key`) and the upload of another document.

use serde_json::{Map, Value};

use crate::{
    domain::{ApplicationForm, DeclaredDocument, FormRules, InvalidForm, Language},
    services::{
        applicant::{ApplicantError, Submission, UploadRequest},
        idempotency::{IdempotencyKey, fingerprint},
    },
};

impl Submission {
    /// Reads the `raw` body (its JSON object `body`), the `Idempotency-Key` header and the client's
    /// IP address; a malformed key is refused at once.
    pub fn read(
        raw: &[u8],
        body: &Map<String, Value>,
        idempotency_key: Option<&str>,
        remote_ip: Option<String>,
        rules: &FormRules<'_>,
    ) -> Result<Self, ApplicantError> {
        let idempotency_key = idempotency_key
            .map(|k| IdempotencyKey::parse(k).ok_or(ApplicantError::InvalidIdempotencyKey))
            .transpose()?;
        Ok(Self {
            fingerprint: fingerprint(raw),
            idempotency_key,
            form: ApplicationForm::parse(body, rules),
            remote_ip,
        })
    }
}

impl UploadRequest {
    /// Reads the body: empty, or `{"document": {"content_type", "size"}}`; errors told in `language`.
    pub fn read(body: &Map<String, Value>, language: Language) -> Result<Self, InvalidForm> {
        if body.is_empty() {
            return Ok(Self { declared: None });
        }
        let declared = DeclaredDocument::parse_request(body).map_err(|invalid| InvalidForm { language, ..invalid })?;
        Ok(Self { declared: Some(declared) })
    }
}
