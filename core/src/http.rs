//! HTTP plumbing shared by the API functions: JSON bodies in, JSON responses out, and the one
//! mapping from errors to status codes and `{"error", "message", "fields"}` bodies.

use std::collections::BTreeMap;

use lambda_http::{
    Body, Request, RequestExt, Response,
    http::{HeaderValue, StatusCode, header},
};
use serde::Serialize;
use serde_json::{Map, Value, json};
use tracing::Instrument;

use crate::{
    domain::{InvalidForm, Language},
    i18n::ApiTexts,
    ports::InfraError,
    services::{acceptance::DocumentProblem, applicant::ApplicantError, auth::AuthError, operator::OperatorError},
    workflow::Status,
};

/// The language of the API's messages (its HTTP contract), except validation's: those follow the
/// language of the form or of the client's `Accept-Language`.
pub const API_LANGUAGE: Language = Language::En;

/// The API's messages.
fn texts() -> &'static ApiTexts {
    &API_LANGUAGE.texts().api
}

/// Largest request body accepted.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// A client-visible error: status, stable code, human message, and per-field details.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    fields: BTreeMap<String, String>,
    extra: Map<String, Value>,
    headers: Vec<(header::HeaderName, String)>,
}

impl ApiError {
    /// An error with `status`, machine-readable `code` and a message.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into(), fields: BTreeMap::new(), extra: Map::new(), headers: Vec::new() }
    }

    /// Adds the per-field messages.
    pub fn fields(mut self, fields: BTreeMap<String, String>) -> Self {
        self.fields = fields;
        self
    }

    /// Adds a top-level member to the body (e.g. `reference`, `status`).
    pub fn with(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.extra.insert(name.to_string(), value.into());
        self
    }

    /// Adds a response header.
    pub fn header(mut self, name: header::HeaderName, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// 404 for a path no route serves.
    pub fn no_route(path: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", (texts().no_route)(path))
    }

    /// 405 with the methods the path allows.
    pub fn method_not_allowed(allowed: &[&str]) -> Self {
        Self::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", (texts().method_not_allowed)(allowed))
            .header(header::ALLOW, allowed.join(", "))
    }

    /// The response.
    pub fn into_response(self) -> Response<Body> {
        let mut body = Map::new();
        body.insert("error".into(), self.code.into());
        body.insert("message".into(), self.message.into());
        if !self.fields.is_empty() {
            body.insert("fields".into(), json!(self.fields));
        }
        body.extend(self.extra);
        let mut response = json_response(self.status, &Value::Object(body));
        for (name, value) in self.headers {
            if let Ok(value) = HeaderValue::from_str(&value) {
                response.headers_mut().insert(name, value);
            }
        }
        response
    }
}

impl From<InfraError> for ApiError {
    fn from(error: InfraError) -> Self {
        match error {
            InfraError::Throttled(service) => {
                tracing::warn!(%service, "throttled");
                Self::new(StatusCode::TOO_MANY_REQUESTS, "throttled", texts().throttled)
                    .header(header::RETRY_AFTER, "1")
            }
            InfraError::Unavailable(service, ref source) => {
                tracing::error!(%service, error = %source, "dependency unavailable");
                Self::new(StatusCode::SERVICE_UNAVAILABLE, "service_unavailable", texts().unavailable)
                    .header(header::RETRY_AFTER, "5")
            }
            InfraError::Unexpected(..) => {
                tracing::error!(error = %error_chain(&error), "unexpected failure");
                Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal_error", texts().internal)
            }
        }
    }
}

impl From<InvalidForm> for ApiError {
    /// `400 validation_failed` with every refused field, told in the client's language.
    fn from(invalid: InvalidForm) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "validation_failed", invalid.language.texts().api.invalid_form)
            .fields(invalid.errors.messages(invalid.language))
    }
}

/// `429 rate_limited` with `Retry-After`.
fn rate_limited(seconds: i64) -> ApiError {
    ApiError::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", (texts().rate_limited)(seconds))
        .header(header::RETRY_AFTER, seconds.to_string())
}

impl From<ApplicantError> for ApiError {
    fn from(error: ApplicantError) -> Self {
        use ApplicantError::*;
        match error {
            Invalid(invalid) => invalid.into(),
            CaptchaFailed => Self::new(StatusCode::BAD_REQUEST, "captcha_failed", texts().captcha_failed)
                .fields(BTreeMap::from([("captcha_token".into(), texts().captcha_refused.into())])),
            PersonHasActiveRequest => Self::new(StatusCode::CONFLICT, "duplicate_request", texts().duplicate_request),
            RateLimited(seconds) => rate_limited(seconds),
            InvalidIdempotencyKey => {
                Self::new(StatusCode::BAD_REQUEST, "invalid_idempotency_key", texts().invalid_idempotency_key)
            }
            IdempotencyKeyReused => {
                Self::new(StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_reused", texts().idempotency_key_reused)
            }
            NotFound => Self::new(StatusCode::NOT_FOUND, "not_found", texts().request_not_found),
            InvalidTransition(status) => invalid_transition(status),
            DocumentNotUploaded => {
                Self::new(StatusCode::UNPROCESSABLE_ENTITY, "document_not_uploaded", texts().document_not_uploaded)
            }
            DocumentRefused(problem) => {
                let texts = texts();
                let (reason, message) = match problem {
                    DocumentProblem::Empty => ("empty", texts.document_empty.to_string()),
                    DocumentProblem::TooLarge(size) => ("too_large", (texts.document_too_large)(size)),
                    DocumentProblem::UnsupportedType => ("unsupported_type", texts.document_unsupported.to_string()),
                    DocumentProblem::TypeMismatch { declared, actual } => {
                        ("type_mismatch", (texts.document_mismatch)(&declared.to_string(), &actual.to_string()))
                    }
                };
                Self::new(StatusCode::UNPROCESSABLE_ENTITY, "document_refused", (texts.document_refused)(&message))
                    .with("reason", reason)
                    .fields(BTreeMap::from([("document".into(), message)]))
            }
            Infra(error) => error.into(),
        }
    }
}

impl From<AuthError> for ApiError {
    fn from(error: AuthError) -> Self {
        let texts = texts();
        match error {
            AuthError::InvalidCredentials => {
                Self::new(StatusCode::UNAUTHORIZED, "invalid_credentials", texts.invalid_credentials)
            }
            AuthError::TemporaryPasswordExpired => {
                Self::new(StatusCode::UNAUTHORIZED, "temporary_password_expired", texts.temporary_password_expired)
            }
            AuthError::Locked(seconds) => {
                Self::new(StatusCode::TOO_MANY_REQUESTS, "account_locked", (texts.account_locked)(seconds))
                    .header(header::RETRY_AFTER, seconds.to_string())
            }
            AuthError::InvalidChangeToken => {
                Self::new(StatusCode::UNAUTHORIZED, "invalid_change_token", texts.invalid_change_token)
            }
            AuthError::ReauthenticationRequired => {
                Self::new(StatusCode::UNAUTHORIZED, "reauthentication_required", texts.reauthentication_required)
                    .header(header::WWW_AUTHENTICATE, "Bearer")
            }
            AuthError::AlreadyEnrolled => Self::new(StatusCode::CONFLICT, "already_enrolled", texts.already_enrolled),
            AuthError::InvalidCode => Self::new(StatusCode::UNAUTHORIZED, "invalid_code", texts.invalid_code),
            AuthError::InvalidMfaToken => {
                Self::new(StatusCode::UNAUTHORIZED, "invalid_mfa_token", texts.invalid_mfa_token)
            }
            AuthError::InvalidResetToken => {
                Self::new(StatusCode::UNAUTHORIZED, "invalid_reset_token", texts.invalid_reset_token)
            }
            AuthError::RateLimited(seconds) => rate_limited(seconds),
            AuthError::Unauthenticated => unauthenticated(),
            AuthError::WeakPassword(reasons) => {
                let message = reasons.iter().map(|r| r.message(API_LANGUAGE)).collect::<Vec<_>>().join(" ");
                Self::new(StatusCode::BAD_REQUEST, "weak_password", (texts.weak_password)(&message))
                    .with("reasons", reasons.iter().map(|r| r.code()).collect::<Vec<_>>())
                    .fields(BTreeMap::from([("new_password".to_string(), message)]))
            }
            AuthError::Infra(error) => error.into(),
        }
    }
}

impl From<OperatorError> for ApiError {
    fn from(error: OperatorError) -> Self {
        let texts = texts();
        match error {
            OperatorError::Unauthenticated => unauthenticated(),
            OperatorError::Forbidden => Self::new(StatusCode::FORBIDDEN, "forbidden", texts.forbidden),
            OperatorError::Invalid(invalid) => invalid.into(),
            OperatorError::InvalidCursor => Self::new(StatusCode::BAD_REQUEST, "invalid_cursor", texts.invalid_cursor),
            OperatorError::NotFound => Self::new(StatusCode::NOT_FOUND, "not_found", texts.no_such_request),
            OperatorError::InvalidTransition(status) => invalid_transition(status),
            OperatorError::CredentialsAlreadyUsed => {
                Self::new(StatusCode::CONFLICT, "credentials_already_used", texts.credentials_already_used)
            }
            OperatorError::Infra(error) => error.into(),
        }
    }
}

/// `409 invalid_transition`, naming the request's status.
fn invalid_transition(status: Status) -> ApiError {
    ApiError::new(StatusCode::CONFLICT, "invalid_transition", (texts().invalid_transition)(status.as_str()))
        .with("status", status.as_str())
}

fn unauthenticated() -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", texts().unauthenticated)
        .header(header::WWW_AUTHENTICATE, "Bearer")
}

/// The cause chain of an error on one line, for logs.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Writes [`error_chain`] as an error's `Debug`: Rust prints a failed `main`'s error with `Debug`,
/// so a function's cold-start errors read in words in its log, not as variant names.
pub fn debug_as_chain(error: &dyn std::error::Error, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
    f.write_str(&error_chain(error))
}

/// A JSON response with the headers every API answer carries.
pub fn json_response(status: StatusCode, body: &impl Serialize) -> Response<Body> {
    let text = serde_json::to_string(body).unwrap_or_else(|_| r#"{"error":"internal_error"}"#.to_string());
    let mut response = Response::new(Body::Text(text));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json; charset=utf-8"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    response
}

/// An empty `204 No Content` with the headers every API answer carries.
pub fn no_content() -> Response<Body> {
    let mut response = Response::new(Body::Empty);
    *response.status_mut() = StatusCode::NO_CONTENT;
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    response
}

/// A request body that is a JSON object, with its raw bytes.
pub struct JsonObject {
    /// The bytes as received.
    pub raw: Vec<u8>,
    /// The parsed object.
    pub object: Map<String, Value>,
}

/// Reads the body as a JSON object: 415 unless `Content-Type` is JSON, 413 over 64 KiB, 400 when
/// it is not a JSON object.
pub fn json_object(request: &Request) -> Result<JsonObject, ApiError> {
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or_default().trim().to_ascii_lowercase());
    if content_type.as_deref() != Some("application/json") {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            texts().unsupported_media_type,
        ));
    }
    let raw: &[u8] = request.body().as_ref();
    if raw.len() > MAX_BODY_BYTES {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            (texts().payload_too_large)(raw.len(), MAX_BODY_BYTES),
        ));
    }
    match serde_json::from_slice::<Value>(raw) {
        Ok(Value::Object(object)) => Ok(JsonObject { raw: raw.to_vec(), object }),
        Ok(_) => Err(ApiError::new(StatusCode::BAD_REQUEST, "invalid_json", texts().not_an_object)),
        Err(e) => Err(ApiError::new(StatusCode::BAD_REQUEST, "invalid_json", (texts().invalid_json)(&e.to_string()))),
    }
}

/// The token of an `Authorization: Bearer <token>` header.
pub fn bearer_token(headers: &lambda_http::http::HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    (scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty()).then(|| token.trim())
}

/// A request header as text.
pub fn header_text<'a>(request: &'a Request, name: &str) -> Option<&'a str> {
    request.headers().get(name)?.to_str().ok()
}

/// The language of the client's `Accept-Language` (the first of ours in its order of preference),
/// for messages of bodies that carry none; the default (English) otherwise.
pub fn request_language(request: &Request) -> Language {
    header_text(request, "accept-language").and_then(Language::from_accept_language).unwrap_or_default()
}

/// The client's IP address as API Gateway saw it.
pub fn source_ip(request: &Request) -> Option<String> {
    match request.request_context_ref()? {
        lambda_http::request::RequestContext::ApiGatewayV2(context) => context.http.source_ip.clone(),
        _ => None,
    }
}

/// A query string parameter.
pub fn query_parameter<'a>(request: &'a Request, name: &str) -> Option<&'a str> {
    request.query_string_parameters_ref()?.first(name)
}

/// The body as a JSON object; an empty body is an empty object.
pub fn optional_json_object(request: &Request) -> Result<JsonObject, ApiError> {
    if request.body().is_empty() {
        Ok(JsonObject { raw: Vec::new(), object: Map::new() })
    } else {
        json_object(request)
    }
}

/// The segments of a path, without empty ones (`/requests/x/` is `["requests", "x"]`).
pub fn path_segments(path: &str) -> Vec<&str> {
    path.split('/').filter(|s| !s.is_empty()).collect()
}

/// Answers one API call: `route` runs in a span naming the call, and its error becomes the JSON
/// error response.
pub async fn respond(
    request: &Request,
    route: impl Future<Output = Result<Response<Body>, ApiError>>,
) -> Response<Body> {
    // Every event of the request (the authentication decisions among them) carries its id and
    // the client's address.
    let request_id = match request.request_context_ref() {
        Some(lambda_http::request::RequestContext::ApiGatewayV2(context)) => context.request_id.clone(),
        _ => None,
    };
    let span = tracing::info_span!(
        "request",
        method = %request.method(),
        path = %request.uri().path(),
        request_id = request_id.as_deref().unwrap_or_default(),
        source_ip = source_ip(request).as_deref().unwrap_or_default(),
    );
    route.instrument(span).await.unwrap_or_else(ApiError::into_response)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::application_form::InvalidForm;
    use crate::domain::{FieldError, FieldErrors};

    fn body_of(response: &Response<Body>) -> Value {
        match response.body() {
            Body::Text(text) => serde_json::from_str(text).unwrap(),
            other => panic!("unexpected body {other:?}"),
        }
    }

    #[test]
    fn throttling_is_429_with_retry_after() {
        let response = ApiError::from(InfraError::Throttled("DynamoDB")).into_response();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()[header::RETRY_AFTER], "1");
        assert_eq!(body_of(&response)["error"], "throttled");
    }

    #[test]
    fn unexpected_failures_are_opaque_500s() {
        let error = InfraError::Unexpected("decoding item REQ#secret-detail".into(), None);
        let response = ApiError::from(error).into_response();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = body_of(&response);
        assert_eq!(body["error"], "internal_error");
        assert!(!body.to_string().contains("secret-detail"), "no internals reach the client");
    }

    #[test]
    fn validation_errors_list_fields_in_the_applicants_language() {
        let mut errors = FieldErrors::default();
        errors.add("email", FieldError::InvalidEmail);
        errors.add("phone", FieldError::InvalidPhone);
        let invalid = InvalidForm { language: Language::It, errors };
        let response = ApiError::from(ApplicantError::Invalid(invalid)).into_response();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        let body = body_of(&response);
        assert_eq!(body["error"], "validation_failed");
        assert_eq!(body["fields"]["email"], "Indirizzo email non valido.");
        assert!(body["fields"]["phone"].is_string());
        assert_eq!(response.headers()[header::CACHE_CONTROL], "no-store");
    }
}
