//! The applicant API: routes each request to one call of the applicant service.

use accreditation::{
    http::{
        ApiError, bearer_token, header_text, json_object, json_response, optional_json_object, path_segments, respond,
        source_ip,
    },
    services::applicant::{ApplicantService, Submission},
};
use lambda_http::{
    Body, Error, Request, RequestExt, Response,
    http::{Method, StatusCode},
};

/// Serves one API Gateway request.
pub async fn handler(service: &ApplicantService, request: Request) -> Result<Response<Body>, Error> {
    Ok(respond(&request, route(service, &request)).await)
}

async fn route(service: &ApplicantService, request: &Request) -> Result<Response<Body>, ApiError> {
    let segments = path_segments(request.raw_http_path());
    let method = request.method();
    let token = bearer_token(request.headers());
    match segments.as_slice() {
        ["requests"] => match *method {
            Method::POST => {
                let body = json_object(request)?;
                let ip = source_ip(request);
                let submission = Submission {
                    raw: &body.raw,
                    form: &body.object,
                    idempotency_key: header_text(request, "idempotency-key"),
                    remote_ip: ip.as_deref(),
                };
                Ok(json_response(StatusCode::CREATED, &service.submit(submission).await?))
            }
            _ => Err(ApiError::method_not_allowed(&["POST"])),
        },
        ["requests", id] => match *method {
            Method::GET => Ok(json_response(StatusCode::OK, &service.status(id, token).await?)),
            _ => Err(ApiError::method_not_allowed(&["GET"])),
        },
        ["requests", id, "document"] => match *method {
            Method::POST => Ok(json_response(StatusCode::OK, &service.confirm_document(id, token).await?)),
            _ => Err(ApiError::method_not_allowed(&["POST"])),
        },
        ["requests", id, "upload-url"] => match *method {
            Method::POST => {
                let body = optional_json_object(request)?;
                let declared = (!body.object.is_empty()).then_some(&body.object);
                Ok(json_response(StatusCode::OK, &service.new_upload(id, token, declared).await?))
            }
            _ => Err(ApiError::method_not_allowed(&["POST"])),
        },
        _ => Err(ApiError::no_route(request.uri().path())),
    }
}
