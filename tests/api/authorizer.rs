//! The HTTP API authorizer in front of `/operator/*` lets through live operator sessions only:
//! not an applicant's, nor a well-signed token the server never opened a session for.

use accreditation::{
    domain::{Role, Username},
    ports::Clock,
};
use accreditation_tests::{TestApp, aws_calls::as_function, read_event};
use aws_lambda_events::apigw::ApiGatewayV2CustomAuthorizerSimpleResponse;
use lambda_runtime::LambdaEvent;
use serde_json::json;

async fn authorize(app: &TestApp, authorization: Option<String>) -> ApiGatewayV2CustomAuthorizerSimpleResponse {
    let mut event = read_event("apigw-authorizer.json");
    match authorization {
        Some(value) => event["headers"]["authorization"] = json!(value),
        None => _ = event["headers"].as_object_mut().unwrap().remove("authorization"),
    }
    let event = serde_json::from_value(event).expect("authorizer event");
    let response = authorizer::handler(&app.app.sessions, app.clock.now(), LambdaEvent::new(event, Default::default()));
    as_function("authorizer", response).await.expect("the authorizer answers")
}

#[tokio::test]
async fn only_live_operator_sessions_pass_the_authorizer() {
    let app = TestApp::spawn().await;
    let operator = app.operator_session().await;

    let allowed = authorize(&app, Some(format!("Bearer {operator}"))).await;
    assert!(allowed.is_authorized);
    assert_eq!(allowed.context["role"], "operator");
    assert!(allowed.context["username"].as_str().unwrap().starts_with("op."));

    let (username, _, applicant) = app.applicant_account().await;
    let unrecorded = Username::parse(&username).unwrap();
    let unrecorded = app
        .app
        .sessions
        .tokens()
        .issue(&unrecorded, Role::Operator, accreditation::domain::Authentication::PasswordAndCode, app.clock.now())
        .unwrap()
        .0;
    for denied in [
        Some(format!("Bearer {applicant}")),
        Some(format!("Bearer {}", unrecorded.token)),
        Some(format!("Bearer {operator}x")),
        Some(operator.clone()),
        Some("Bearer replace-with-a-session-token".to_string()),
        None,
    ] {
        assert!(!authorize(&app, denied.clone()).await.is_authorized, "{denied:?}");
    }

    app.clock.advance(time::Duration::minutes(16));
    assert!(!authorize(&app, Some(format!("Bearer {operator}"))).await.is_authorized, "expired sessions are refused");
}
