//! The HTTP API's Lambda authorizer of `/operator/*` (simple responses, payload 2.0): only a valid,
//! unexpired operator session token whose session is still open gets through. The operator
//! function checks it again (so an ended session is refused at once, whatever the API caches).

use accreditation::{
    domain::{Role, Timestamp},
    http::bearer_token,
    services::sessions::LiveSessions,
};
use aws_lambda_events::apigw::{ApiGatewayV2CustomAuthorizerSimpleResponse, ApiGatewayV2CustomAuthorizerV2Request};
use lambda_runtime::{Error, LambdaEvent};
use serde_json::json;

/// Allows the request when its `Authorization: Bearer` token is an operator's live session;
/// the username and role travel to the function in the authorizer context. A failure to read the
/// table is an error (API Gateway answers 500), never an allowance.
pub async fn handler(
    sessions: &LiveSessions,
    now: Timestamp,
    event: LambdaEvent<ApiGatewayV2CustomAuthorizerV2Request>,
) -> Result<ApiGatewayV2CustomAuthorizerSimpleResponse, Error> {
    let claims = sessions.live(bearer_token(&event.payload.headers), now).await?;
    let mut response = ApiGatewayV2CustomAuthorizerSimpleResponse::default();
    match claims {
        Some(claims) if claims.role == Role::Operator => {
            response.is_authorized = true;
            response.context = json!({ "username": claims.sub, "role": "operator" });
        }
        Some(claims) => tracing::info!(username = %claims.sub, "not an operator: denied"),
        None => tracing::info!("no valid session token: denied"),
    }
    Ok(response)
}
