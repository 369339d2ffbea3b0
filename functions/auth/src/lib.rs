//! Login and password changes: routes each request to one call of the auth service.

use std::collections::BTreeMap;

use accreditation::{
    http::{ApiError, bearer_token, json_object, json_response, path_segments, respond},
    services::auth::{AuthService, ChangeAuthority},
};
use lambda_http::{
    Body, Error, Request, RequestExt, Response,
    http::{Method, StatusCode},
};
use secrecy::SecretString;
use serde_json::{Map, Value};

/// Serves one API Gateway request.
pub async fn handler(service: &AuthService, request: Request) -> Result<Response<Body>, Error> {
    Ok(respond(&request, route(service, &request)).await)
}

async fn route(service: &AuthService, request: &Request) -> Result<Response<Body>, ApiError> {
    let segments = path_segments(request.raw_http_path());
    match (segments.as_slice(), request.method()) {
        (["auth", "login"], &Method::POST) => {
            let body = json_object(request)?;
            let mut fields = Fields::new(&body.object);
            let username = fields.text("username");
            let password = fields.text("password");
            let (Some(username), Some(password)) = (username, password) else { return Err(fields.error()) };
            let outcome = service.login(&username, SecretString::from(password)).await?;
            Ok(json_response(StatusCode::OK, &outcome))
        }
        (["auth", "password"], &Method::POST) => {
            let body = json_object(request)?;
            let mut fields = Fields::new(&body.object);
            let new_password = fields.text("new_password");
            let change_token = fields.optional_text("change_token");
            let current_password = fields.optional_text("current_password");
            let Some(new_password) = new_password else { return Err(fields.error()) };
            let authority = match (change_token, current_password) {
                (Some(token), _) => ChangeAuthority::Grant(token),
                (None, Some(current)) => ChangeAuthority::Session {
                    claims: service.session(bearer_token(request.headers()))?,
                    current_password: SecretString::from(current),
                },
                (None, None) => {
                    fields.missing("change_token");
                    return Err(fields.error());
                }
            };
            let session = service.change_password(authority, SecretString::from(new_password)).await?;
            Ok(json_response(StatusCode::OK, &session))
        }
        (["auth", "login"] | ["auth", "password"], _) => Err(ApiError::method_not_allowed(&["POST"])),
        _ => Err(ApiError::no_route(request.uri().path())),
    }
}

/// Reads the text fields of a body, collecting the missing ones.
struct Fields<'a> {
    body: &'a Map<String, Value>,
    errors: BTreeMap<String, String>,
}

impl<'a> Fields<'a> {
    fn new(body: &'a Map<String, Value>) -> Self {
        Self { body, errors: BTreeMap::new() }
    }

    fn text(&mut self, name: &str) -> Option<String> {
        let value = self.optional_text(name);
        if value.is_none() {
            self.missing(name);
        }
        value
    }

    fn optional_text(&self, name: &str) -> Option<String> {
        self.body.get(name).and_then(Value::as_str).filter(|v| !v.is_empty()).map(str::to_string)
    }

    fn missing(&mut self, name: &str) {
        self.errors.insert(name.to_string(), "This field is required (text).".into());
    }

    fn error(self) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "validation_failed", "Some fields are not valid.").fields(self.errors)
    }
}
