//! Every sample in `events/` is a real event its function handles (the same files work with
//! `cargo lambda invoke --data-file`).

use accreditation_tests::{TestApp, aws_calls::as_function, invoke_function, invoke_requests, read_event};

#[tokio::test]
async fn the_sample_post_creates_a_request() {
    let app = TestApp::spawn().await;
    let response = invoke_requests(&app.app, &read_event("post-request.json")).await;
    assert_eq!(response.status, 201, "{:#}", response.body);
    assert_eq!(response.body["status"], "awaiting_document");
    let replay = invoke_requests(&app.app, &read_event("post-request.json")).await;
    assert_eq!(replay.body, response.body, "the sample carries an Idempotency-Key");
}

#[tokio::test]
async fn the_samples_with_a_placeholder_token_answer_not_found() {
    let app = TestApp::spawn().await;
    for name in ["get-request.json", "post-document.json", "post-upload-url.json"] {
        let response = invoke_requests(&app.app, &read_event(name)).await;
        assert_eq!(response.status, 404, "{name}");
        assert_eq!(response.body["error"], "not_found", "{name}");
    }
}

#[tokio::test]
async fn the_sample_s3_and_schedule_events_are_handled() {
    let app = TestApp::spawn().await;
    let key = read_event("s3-object-created.json")["Records"][0]["s3"]["object"]["key"].as_str().unwrap().to_string();
    app.object_created(&key).await.expect("an object of no request is settled");
    let report = app.sweep().await;
    assert_eq!((report.sent, report.retrying, report.gave_up), (0, 0, 0));
}

#[tokio::test]
async fn the_auth_and_operator_samples_reach_their_functions() {
    let app = TestApp::spawn().await;
    let login = invoke_requests(&app.app, &read_event("post-auth-login.json")).await;
    assert_eq!((login.status, login.body["error"].as_str()), (401, Some("invalid_credentials")));
    let change = invoke_requests(&app.app, &read_event("post-auth-password.json")).await;
    assert_eq!((change.status, change.body["error"].as_str()), (401, Some("invalid_change_token")));
    for name in [
        "get-operator-requests.json",
        "get-operator-request.json",
        "post-operator-approve.json",
        "post-operator-reject.json",
        "post-operator-request-info.json",
        "post-operator-reissue-credentials.json",
    ] {
        let response = invoke_requests(&app.app, &read_event(name)).await;
        assert_eq!((response.status, response.body["error"].as_str()), (401, Some("unauthorized")), "{name}");
    }
}

#[tokio::test]
async fn the_sample_operator_events_work_with_a_real_session() {
    let app = TestApp::spawn().await;
    let operator = app.operator_session().await;
    let mut event = read_event("get-operator-requests.json");
    event["headers"]["authorization"] = serde_json::json!(format!("Bearer {operator}"));
    let queue = invoke_requests(&app.app, &event).await;
    assert_eq!(queue.status, 200, "{:#}", queue.body);
    assert_eq!(queue.body["items"], serde_json::json!([]));
}

#[tokio::test]
async fn the_sample_stream_event_is_handled() {
    let app = TestApp::spawn().await;
    let event = read_event("dynamodb-outbox-stream.json");
    let event = lambda_runtime::LambdaEvent::new(event, Default::default());
    let report = as_function("mailer", mailer::handler(&app.app.postman, event)).await.expect("stream event");
    assert_eq!(report.skipped, 1, "an email this table does not hold is not sent: {report:?}");
}

#[tokio::test]
async fn the_page_sample_gets_the_form() {
    let page = invoke_function(&TestApp::spawn().await.app, "web", &read_event("get-form-page.json")).await;
    assert_eq!(page.status, 200);
    assert_eq!(page.headers["content-type"], "text/html; charset=utf-8");
    assert!(page.body.as_str().unwrap().contains("<form id=\"request-form\""));
}
