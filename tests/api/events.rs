//! Every sample in `events/` is a real event its function handles (the same files work with
//! `cargo lambda invoke --data-file`).

use accreditation_tests::{TestApp, invoke_requests, read_event};

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
