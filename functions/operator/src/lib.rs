//! The operators' API: checks the session, reads each request into a typed command, and calls
//! one method of the operator service with it.

use accreditation::{
    domain::RequestId,
    http::{
        ApiError, bearer_token, json_response, optional_json_object, path_segments, query_parameter, request_language,
        respond,
    },
    services::operator::{OperatorAction, OperatorError, OperatorService, QueueQuery},
};
use lambda_http::{
    Body, Error, Request, RequestExt, Response,
    http::{Method, StatusCode},
};

/// Serves one API Gateway request.
pub async fn handler(service: &OperatorService, request: Request) -> Result<Response<Body>, Error> {
    Ok(respond(&request, route(service, &request)).await)
}

async fn route(service: &OperatorService, request: &Request) -> Result<Response<Body>, ApiError> {
    let operator = service.authorize(bearer_token(request.headers())).await?;
    let segments = path_segments(request.raw_http_path());
    let method = request.method();
    let language = request_language(request);
    match segments.as_slice() {
        ["operator", "requests"] => match *method {
            Method::GET => {
                let query = QueueQuery::read(
                    query_parameter(request, "status"),
                    query_parameter(request, "limit"),
                    query_parameter(request, "cursor"),
                    language,
                )?;
                Ok(json_response(StatusCode::OK, &service.queue(query).await?))
            }
            _ => Err(ApiError::method_not_allowed(&["GET"])),
        },
        ["operator", "requests", id] => match *method {
            Method::GET => Ok(json_response(StatusCode::OK, &service.view(request_id(id)?).await?)),
            _ => Err(ApiError::method_not_allowed(&["GET"])),
        },
        ["operator", "requests", id, action] => {
            if *method != Method::POST {
                return Err(ApiError::method_not_allowed(&["POST"]));
            }
            let body = optional_json_object(request)?;
            let action = OperatorAction::read(action, &body.object, language)
                .ok_or_else(|| ApiError::no_route(request.uri().path()))??;
            let result = service.act(&operator, request_id(id)?, action).await?;
            Ok(json_response(StatusCode::OK, &result))
        }
        _ => Err(ApiError::no_route(request.uri().path())),
    }
}

/// The request id of a path: any other segment names no request.
fn request_id(segment: &str) -> Result<RequestId, OperatorError> {
    RequestId::parse(segment).ok_or(OperatorError::NotFound)
}
