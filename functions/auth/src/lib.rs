//! Login, logout, password changes and forgotten passwords: reads each request into a typed
//! command and calls one method of the auth service (or, for a forgotten password, the recovery)
//! with it.

use accreditation::{
    http::{
        ApiError, bearer_token, json_object, json_response, no_content, path_segments, request_language, respond,
        source_ip,
    },
    services::{
        auth::{AuthService, ChangeAuthority, ChangeBy, Login, MfaAnswer, PasswordChange},
        recovery::{PasswordRecovery, ResetConfirm, ResetRequest},
    },
};
use lambda_http::{
    Body, Error, Request, RequestExt, Response,
    http::{Method, StatusCode},
};

/// The services the auth function serves.
pub struct Services<'a> {
    /// Login, logout and password changes.
    pub auth: &'a AuthService,
    /// Forgotten passwords.
    pub recovery: &'a PasswordRecovery,
}

/// Serves one API Gateway request.
pub async fn handler(services: Services<'_>, request: Request) -> Result<Response<Body>, Error> {
    Ok(respond(&request, route(services, &request)).await)
}

async fn route(services: Services<'_>, request: &Request) -> Result<Response<Body>, ApiError> {
    let Services { auth, recovery } = services;
    let segments = path_segments(request.raw_http_path());
    let language = request_language(request);
    match (segments.as_slice(), request.method()) {
        (["auth", "login"], &Method::POST) => {
            let login =
                Login { source_ip: source_ip(request), ..Login::read(&json_object(request)?.object, language)? };
            Ok(json_response(StatusCode::OK, &auth.login(login).await?))
        }
        (["auth", "password"], &Method::POST) => {
            let change = PasswordChange::read(&json_object(request)?.object, language)?;
            let authority = match change.by {
                ChangeBy::Token(token) => ChangeAuthority::Grant(token),
                ChangeBy::CurrentPassword(current_password) => ChangeAuthority::Session {
                    claims: auth.session(bearer_token(request.headers())).await?,
                    current_password,
                },
            };
            Ok(json_response(StatusCode::OK, &auth.change_password(authority, change.new_password).await?))
        }
        (["auth", "logout"], &Method::POST) => {
            auth.logout(bearer_token(request.headers())).await?;
            Ok(no_content())
        }
        (["auth", "mfa"], &Method::POST) => {
            let answer = MfaAnswer {
                source_ip: source_ip(request),
                ..MfaAnswer::read(&json_object(request)?.object, language)?
            };
            Ok(json_response(StatusCode::OK, &auth.second_factor(answer).await?))
        }
        (["auth", "mfa", "enrol"], &Method::POST) => {
            Ok(json_response(StatusCode::OK, &auth.start_enrolment(bearer_token(request.headers())).await?))
        }
        (["auth", "password-reset"], &Method::POST) => {
            let reset = ResetRequest::read(&json_object(request)?.object, source_ip(request), language)?;
            Ok(json_response(StatusCode::ACCEPTED, &recovery.request(reset).await?))
        }
        (["auth", "password-reset", "confirm"], &Method::POST) => {
            let confirm = ResetConfirm::read(&json_object(request)?.object, language)?;
            Ok(json_response(StatusCode::OK, &recovery.confirm(confirm).await?))
        }
        (
            ["auth", "login"]
            | ["auth", "password"]
            | ["auth", "logout"]
            | ["auth", "mfa"]
            | ["auth", "mfa", "enrol"]
            | ["auth", "password-reset"]
            | ["auth", "password-reset", "confirm"],
            _,
        ) => Err(ApiError::method_not_allowed(&["POST"])),
        _ => Err(ApiError::no_route(request.uri().path())),
    }
}
