//! Sessions end on the server: a logout ends its own, a password change every other one, and
//! every reader of a session (the authorizer, the auth and operator functions) refuses an ended
//! one at once.

use accreditation_tests::{STRONG_PASSWORD, TestApp, aws_calls::as_function, read_event};
use lambda_runtime::LambdaEvent;
use serde_json::json;

/// What the API's authorizer says of `token`.
async fn authorizer_allows(app: &TestApp, token: &str) -> bool {
    let mut event = read_event("apigw-authorizer.json");
    event["headers"]["authorization"] = json!(format!("Bearer {token}"));
    let event = serde_json::from_value(event).expect("authorizer event");
    let clock = accreditation::ports::Clock::now(app.clock.as_ref());
    let response = authorizer::handler(&app.app.sessions, clock, LambdaEvent::new(event, Default::default()));
    as_function("authorizer", response).await.expect("the authorizer answers").is_authorized
}

/// The status of the operators' queue for `token`.
async fn queue_status(app: &TestApp, token: &str) -> u16 {
    app.get("/operator/requests", Some(token)).await.status
}

#[tokio::test]
async fn a_logout_ends_that_session_on_the_server_and_no_other() {
    let app = TestApp::spawn().await;
    let operator = app.operator_account().await;
    let first = operator.token.clone();
    let second = app.operator_login(&operator).await;
    assert_eq!((queue_status(&app, &first).await, queue_status(&app, &second).await), (200, 200));

    let logout = app.post("/auth/logout", Some(&first), &json!({})).await;
    assert_eq!((logout.status, &logout.body), (204, &serde_json::Value::Null));
    assert_eq!(queue_status(&app, &first).await, 401, "the token of an ended session is refused");
    assert!(!authorizer_allows(&app, &first).await, "the authorizer refuses it too");
    let change = json!({"current_password": STRONG_PASSWORD, "new_password": "Un altro giorno a Torino 1999"});
    assert_eq!(app.post("/auth/password", Some(&first), &change).await.status, 401);
    assert_eq!(queue_status(&app, &second).await, 200, "the other session goes on");
    assert!(authorizer_allows(&app, &second).await);

    assert_eq!(app.post("/auth/logout", Some(&first), &json!({})).await.status, 204, "logging out again is fine");
    let nobody = app.post("/auth/logout", None, &json!({})).await;
    assert_eq!((nobody.status, nobody.body["error"].as_str()), (401, Some("unauthorized")));
    let forged = app.post("/auth/logout", Some(&format!("{second}x")), &json!({})).await;
    assert_eq!(forged.status, 401);
    assert_eq!(app.get("/auth/logout", Some(&second)).await.status, 405);
}

#[tokio::test]
async fn a_password_change_ends_every_other_session_of_the_account() {
    let app = TestApp::spawn().await;
    let operator = app.operator_account().await;
    let first = operator.token.clone();
    let second = app.operator_login(&operator).await;
    let next = "Lungomare di Napoli al tramonto 2026";
    let change = json!({"current_password": STRONG_PASSWORD, "new_password": next});
    let changed = app.post("/auth/password", Some(&second), &change).await;
    assert_eq!(changed.status, 200, "{:#}", changed.body);
    let third = changed.body["token"].as_str().unwrap();

    for ended in [&first, &second] {
        assert_eq!(queue_status(&app, ended).await, 401);
        assert!(!authorizer_allows(&app, ended).await);
    }
    assert_eq!(queue_status(&app, third).await, 200, "the session the change opened works");
    assert!(authorizer_allows(&app, third).await);
}
