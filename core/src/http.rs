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
    ports::InfraError,
    services::{acceptance::DocumentProblem, applicant::ApplicantError, auth::AuthError, operator::OperatorError},
};

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
        Self::new(StatusCode::NOT_FOUND, "not_found", format!("No resource at {path}."))
    }

    /// 405 with the methods the path allows.
    pub fn method_not_allowed(allowed: &[&str]) -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            format!("Use {} on this resource.", allowed.join(" or ")),
        )
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
                Self::new(StatusCode::TOO_MANY_REQUESTS, "throttled", "Too many requests right now: retry in a moment.")
                    .header(header::RETRY_AFTER, "1")
            }
            InfraError::Unavailable(service, ref source) => {
                tracing::error!(%service, error = %source, "dependency unavailable");
                Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "service_unavailable",
                    "The service is temporarily unavailable: retry in a few seconds.",
                )
                .header(header::RETRY_AFTER, "5")
            }
            InfraError::Unexpected(..) => {
                tracing::error!(error = %error_chain(&error), "unexpected failure");
                Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal_error",
                    "Something went wrong on our side. Nothing was lost: please retry later.",
                )
            }
        }
    }
}

impl From<InvalidForm> for ApiError {
    /// `400 validation_failed` with every refused field, told in the client's language.
    fn from(invalid: InvalidForm) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "validation_failed",
            invalid.language.pick("Alcuni campi non sono validi.", "Some fields are not valid."),
        )
        .fields(invalid.errors.messages(invalid.language))
    }
}

/// `429 rate_limited` with `Retry-After`.
fn rate_limited(seconds: i64) -> ApiError {
    ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        format!("Too many requests: try again in {seconds} seconds."),
    )
    .header(header::RETRY_AFTER, seconds.to_string())
}

impl From<ApplicantError> for ApiError {
    fn from(error: ApplicantError) -> Self {
        use ApplicantError::*;
        match error {
            Invalid(invalid) => invalid.into(),
            CaptchaFailed => {
                Self::new(StatusCode::BAD_REQUEST, "captcha_failed", "The CAPTCHA check failed: please try again.")
                    .fields(BTreeMap::from([("captcha_token".into(), "The CAPTCHA answer was not accepted.".into())]))
            }
            PersonHasActiveRequest => Self::new(
                StatusCode::CONFLICT,
                "duplicate_request",
                "This person (same citizenship and identification code, or same email) already has an active request: \
                 its owner has been told by email.",
            ),
            RateLimited(seconds) => rate_limited(seconds),
            InvalidIdempotencyKey => Self::new(
                StatusCode::BAD_REQUEST,
                "invalid_idempotency_key",
                "Idempotency-Key must be 16 to 255 visible ASCII characters (a UUID is fine).",
            ),
            IdempotencyKeyReused => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency_key_reused",
                "This Idempotency-Key was already used with a different body.",
            ),
            NotFound => Self::new(
                StatusCode::NOT_FOUND,
                "not_found",
                "No request matches this id and access token (requests without a document expire after 24 hours).",
            ),
            InvalidTransition(status) => Self::new(
                StatusCode::CONFLICT,
                "invalid_transition",
                format!("Not possible while the request is {status}."),
            )
            .with("status", status.as_str()),
            DocumentNotUploaded => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "document_not_uploaded",
                "No document has been uploaded yet: upload it with the upload form first.",
            ),
            DocumentRefused(problem) => {
                let (reason, message) = match problem {
                    DocumentProblem::Empty => ("empty", "The file is empty.".to_string()),
                    DocumentProblem::TooLarge(size) => {
                        ("too_large", format!("The file has {size} bytes; at most 3145728 (3 MiB) are accepted."))
                    }
                    DocumentProblem::UnsupportedType => {
                        ("unsupported_type", "The file is not a PDF, JPEG or PNG document.".to_string())
                    }
                    DocumentProblem::TypeMismatch { declared, actual } => {
                        ("type_mismatch", format!("The file is {actual} but {declared} was declared."))
                    }
                };
                Self::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "document_refused",
                    format!("{message} The file was deleted: upload the signed, double-sided document again."),
                )
                .with("reason", reason)
                .fields(BTreeMap::from([("document".into(), message)]))
            }
            Infra(error) => error.into(),
        }
    }
}

impl From<AuthError> for ApiError {
    fn from(error: AuthError) -> Self {
        match error {
            AuthError::InvalidCredentials => {
                Self::new(StatusCode::UNAUTHORIZED, "invalid_credentials", "Wrong username or password.")
            }
            AuthError::TemporaryPasswordExpired => Self::new(
                StatusCode::UNAUTHORIZED,
                "temporary_password_expired",
                "The temporary password has expired: ask the assistance service for new credentials.",
            ),
            AuthError::Locked(seconds) => Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                "account_locked",
                format!("Too many failed attempts: try again in {seconds} seconds."),
            )
            .header(header::RETRY_AFTER, seconds.to_string()),
            AuthError::InvalidChangeToken => Self::new(
                StatusCode::UNAUTHORIZED,
                "invalid_change_token",
                "The change token is invalid, used or expired: log in again.",
            ),
            AuthError::ReauthenticationRequired => Self::new(
                StatusCode::UNAUTHORIZED,
                "reauthentication_required",
                "Log in again to add an authenticator: your last login was more than 5 minutes ago.",
            )
            .header(header::WWW_AUTHENTICATE, "Bearer"),
            AuthError::AlreadyEnrolled => Self::new(
                StatusCode::CONFLICT,
                "already_enrolled",
                "A second factor is already enrolled for this account.",
            ),
            AuthError::InvalidCode => Self::new(
                StatusCode::UNAUTHORIZED,
                "invalid_code",
                "The code is wrong or was already used: type the code the authenticator shows now.",
            ),
            AuthError::InvalidMfaToken => Self::new(
                StatusCode::UNAUTHORIZED,
                "invalid_mfa_token",
                "The time to give the second factor ran out: log in again.",
            ),
            AuthError::InvalidResetToken => Self::new(
                StatusCode::UNAUTHORIZED,
                "invalid_reset_token",
                "The reset link is invalid, used, replaced by a newer one or expired: ask for a new one.",
            ),
            AuthError::RateLimited(seconds) => rate_limited(seconds),
            AuthError::Unauthenticated => unauthenticated(),
            AuthError::WeakPassword(reasons) => {
                let message = reasons.iter().map(|r| r.message()).collect::<Vec<_>>().join(" ");
                Self::new(StatusCode::BAD_REQUEST, "weak_password", format!("The new password is refused. {message}"))
                    .with("reasons", reasons.iter().map(|r| r.code()).collect::<Vec<_>>())
                    .fields(BTreeMap::from([("new_password".to_string(), message)]))
            }
            AuthError::Infra(error) => error.into(),
        }
    }
}

impl From<OperatorError> for ApiError {
    fn from(error: OperatorError) -> Self {
        match error {
            OperatorError::Unauthenticated => unauthenticated(),
            OperatorError::Forbidden => {
                Self::new(StatusCode::FORBIDDEN, "forbidden", "Only operators may use this resource.")
            }
            OperatorError::Invalid(invalid) => invalid.into(),
            OperatorError::InvalidCursor => Self::new(
                StatusCode::BAD_REQUEST,
                "invalid_cursor",
                "The cursor is not one this listing returned: start again without it.",
            ),
            OperatorError::NotFound => Self::new(StatusCode::NOT_FOUND, "not_found", "No such request."),
            OperatorError::InvalidTransition(status) => Self::new(
                StatusCode::CONFLICT,
                "invalid_transition",
                format!("Not possible while the request is {status}."),
            )
            .with("status", status.as_str()),
            OperatorError::CredentialsAlreadyUsed => Self::new(
                StatusCode::CONFLICT,
                "credentials_already_used",
                "The applicant already chose a password: there are no credentials to re-issue.",
            ),
            OperatorError::Infra(error) => error.into(),
        }
    }
}

fn unauthenticated() -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", "Log in first: send Authorization: Bearer <session token>.")
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
            "Send the body as JSON with Content-Type: application/json.",
        ));
    }
    let raw: &[u8] = request.body().as_ref();
    if raw.len() > MAX_BODY_BYTES {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!(
                "The body has {} bytes; at most {MAX_BODY_BYTES} are accepted (the document is uploaded separately).",
                raw.len()
            ),
        ));
    }
    match serde_json::from_slice::<Value>(raw) {
        Ok(Value::Object(object)) => Ok(JsonObject { raw: raw.to_vec(), object }),
        Ok(_) => Err(ApiError::new(StatusCode::BAD_REQUEST, "invalid_json", "The body must be a JSON object.")),
        Err(e) => {
            Err(ApiError::new(StatusCode::BAD_REQUEST, "invalid_json", format!("The body is not valid JSON: {e}.")))
        }
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

/// The language of the client's `Accept-Language` (the first of Italian and English in its order
/// of preference), for messages of bodies that carry none; English otherwise.
pub fn request_language(request: &Request) -> Language {
    header_text(request, "accept-language").and_then(preferred_language).unwrap_or_default()
}

fn preferred_language(header: &str) -> Option<Language> {
    let mut ranges: Vec<(f32, &str)> = header
        .split(',')
        .filter_map(|range| {
            let mut parts = range.split(';');
            let tag = parts.next()?.trim();
            let weight = match parts.find_map(|p| p.trim().strip_prefix("q=")) {
                Some(q) => q.trim().parse::<f32>().ok()?,
                None => 1.0,
            };
            Some((weight, tag))
        })
        .collect();
    // Stable: ranges of equal weight keep the client's order.
    ranges.sort_by(|a, b| b.0.total_cmp(&a.0));
    ranges
        .into_iter()
        .filter(|(weight, _)| *weight > 0.0)
        .find_map(|(_, tag)| Language::parse(&tag.split('-').next()?.to_ascii_lowercase()))
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
    fn the_language_is_the_first_of_italian_and_english_the_client_prefers() {
        assert_eq!(preferred_language("it-IT,it;q=0.9,en;q=0.8"), Some(Language::It));
        assert_eq!(preferred_language("de-DE, en-GB;q=0.7, it;q=0.5"), Some(Language::En));
        assert_eq!(preferred_language("en;q=0.4, IT;q=0.6"), Some(Language::It));
        assert_eq!(preferred_language("it;q=0, en"), Some(Language::En));
        assert_eq!(preferred_language("fr, de"), None);
        assert_eq!(preferred_language(""), None);
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
