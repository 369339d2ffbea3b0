//! The applicant API: reads each request into a typed command and calls one method of the
//! applicant service with it.

use accreditation::{
    domain::RequestId,
    http::{
        ApiError, bearer_token, header_text, json_object, json_response, optional_json_object, path_segments,
        request_language, respond, source_ip,
    },
    services::applicant::{ApplicantError, ApplicantService, Submission, UploadRequest},
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
                let key = header_text(request, "idempotency-key");
                let submission =
                    Submission::read(&body.raw, &body.object, key, source_ip(request), &service.form_rules())?;
                Ok(json_response(StatusCode::CREATED, &service.submit(submission).await?))
            }
            _ => Err(ApiError::method_not_allowed(&["POST"])),
        },
        ["requests", id] => match *method {
            Method::GET => {
                let status = service.status(request_id(id)?, token, source_ip(request).as_deref()).await?;
                Ok(json_response(StatusCode::OK, &status))
            }
            _ => Err(ApiError::method_not_allowed(&["GET"])),
        },
        ["requests", id, "document"] => match *method {
            Method::POST => Ok(json_response(StatusCode::OK, &service.confirm_document(request_id(id)?, token).await?)),
            _ => Err(ApiError::method_not_allowed(&["POST"])),
        },
        ["requests", id, "upload-url"] => match *method {
            Method::POST => {
                let body = optional_json_object(request)?;
                let upload = UploadRequest::read(&body.object, request_language(request));
                Ok(json_response(StatusCode::OK, &service.new_upload(request_id(id)?, token, upload).await?))
            }
            _ => Err(ApiError::method_not_allowed(&["POST"])),
        },
        _ => Err(ApiError::no_route(request.uri().path())),
    }
}

/// The request id of a path: any other segment is answered as an unknown request.
fn request_id(segment: &str) -> Result<RequestId, ApplicantError> {
    RequestId::parse(segment).ok_or(ApplicantError::NotFound)
}
