//! Login, logout and password changes: reads each request into a typed command and calls one method of
//! the auth service with it.

use accreditation::{
    http::{ApiError, bearer_token, json_object, json_response, no_content, path_segments, request_language, respond},
    services::auth::{AuthService, ChangeAuthority, ChangeBy, Login, PasswordChange},
};
use lambda_http::{
    Body, Error, Request, RequestExt, Response,
    http::{Method, StatusCode},
};

/// Serves one API Gateway request.
pub async fn handler(service: &AuthService, request: Request) -> Result<Response<Body>, Error> {
    Ok(respond(&request, route(service, &request)).await)
}

async fn route(service: &AuthService, request: &Request) -> Result<Response<Body>, ApiError> {
    let segments = path_segments(request.raw_http_path());
    let language = request_language(request);
    match (segments.as_slice(), request.method()) {
        (["auth", "login"], &Method::POST) => {
            let login = Login::read(&json_object(request)?.object, language)?;
            Ok(json_response(StatusCode::OK, &service.login(login).await?))
        }
        (["auth", "password"], &Method::POST) => {
            let change = PasswordChange::read(&json_object(request)?.object, language)?;
            let authority = match change.by {
                ChangeBy::Token(token) => ChangeAuthority::Grant(token),
                ChangeBy::CurrentPassword(current_password) => ChangeAuthority::Session {
                    claims: service.session(bearer_token(request.headers())).await?,
                    current_password,
                },
            };
            Ok(json_response(StatusCode::OK, &service.change_password(authority, change.new_password).await?))
        }
        (["auth", "logout"], &Method::POST) => {
            service.logout(bearer_token(request.headers())).await?;
            Ok(no_content())
        }
        (["auth", "login"] | ["auth", "password"] | ["auth", "logout"], _) => {
            Err(ApiError::method_not_allowed(&["POST"]))
        }
        _ => Err(ApiError::no_route(request.uri().path())),
    }
}
