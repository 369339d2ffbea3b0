//! The operators' API: checks the session, then routes each request to one call of the operator
//! service.

use accreditation::{
    http::{ApiError, bearer_token, json_response, optional_json_object, path_segments, query_parameter, respond},
    services::operator::OperatorService,
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
    let operator = service.authorize(bearer_token(request.headers()))?;
    let segments = path_segments(request.raw_http_path());
    let method = request.method();
    match segments.as_slice() {
        ["operator", "requests"] => match *method {
            Method::GET => {
                let page = service
                    .queue(
                        query_parameter(request, "status"),
                        query_parameter(request, "limit"),
                        query_parameter(request, "cursor"),
                    )
                    .await?;
                Ok(json_response(StatusCode::OK, &page))
            }
            _ => Err(ApiError::method_not_allowed(&["GET"])),
        },
        ["operator", "requests", id] => match *method {
            Method::GET => Ok(json_response(StatusCode::OK, &service.view(id).await?)),
            _ => Err(ApiError::method_not_allowed(&["GET"])),
        },
        ["operator", "requests", id, action] => {
            if *method != Method::POST {
                return Err(ApiError::method_not_allowed(&["POST"]));
            }
            let body = optional_json_object(request)?;
            let result = match *action {
                "approve" => service.approve(&operator, id, &body.object).await?,
                "reject" => service.reject(&operator, id, &body.object).await?,
                "request-info" => service.request_info(&operator, id, &body.object).await?,
                "reissue-credentials" => service.reissue_credentials(&operator, id).await?,
                _ => return Err(ApiError::no_route(request.uri().path())),
            };
            Ok(json_response(StatusCode::OK, &result))
        }
        _ => Err(ApiError::no_route(request.uri().path())),
    }
}
