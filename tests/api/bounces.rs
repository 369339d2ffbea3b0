//! SES bounces and complaints reach the request they concern, where operators see them.

use accreditation_tests::{TestApp, valid_form};

#[tokio::test]
async fn a_bounce_shows_on_the_request_and_in_its_audit_trail() {
    let app = TestApp::spawn().await;
    let form = valid_form();
    let address = form["email"].as_str().unwrap().to_string();
    let created = app.submitted_request(&form).await;

    app.bounce(&created.id, &address).await.expect("bounce recorded");

    let operator = app.operator_session().await;
    let view = app.get(&format!("/operator/requests/{}", created.id), Some(&operator)).await;
    assert_eq!(view.status, 200, "{:#}", view.body);
    let problem = &view.body["undeliverable"];
    assert_eq!(problem["kind"], "bounce");
    assert_eq!(problem["addresses"][0], address.as_str());
    assert_eq!(problem["detail"], "Permanent/NoEmail");
    let audit = view.body["audit"].as_array().unwrap();
    let line = audit.iter().find(|l| l["action"] == "email_bounced").expect("an audit line");
    assert_eq!(line["from"], line["to"], "a bounce does not change the status");
    assert_eq!(view.body["status"], "submitted");

    let approve =
        app.post(&format!("/operator/requests/{}/approve", created.id), Some(&operator), &serde_json::json!({})).await;
    assert_eq!(approve.status, 200, "the request stays workable: {:#}", approve.body);
}

#[tokio::test]
async fn bounces_of_unknown_requests_are_settled_not_retried() {
    let app = TestApp::spawn().await;
    let request_of_the_sample = "0b8f1a52-3c4d-4e5f-8a9b-1c2d3e4f5a6b";
    app.bounce(request_of_the_sample, "maria.rossi@example.org").await.expect("nothing to record is no failure");
}

#[tokio::test]
async fn a_bounce_notification_delivered_twice_is_recorded_once() {
    let app = TestApp::spawn().await;
    let form = valid_form();
    let address = form["email"].as_str().unwrap().to_string();
    let created = app.submitted_request(&form).await;
    let audit_lines = |items: &[std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>]| {
        items.iter().filter(|item| item["SK"].as_s().is_ok_and(|sk| sk.starts_with("AUDIT#"))).count()
    };
    let before = audit_lines(&app.all_items().await);

    // SNS delivers at least once: the same notification twice, one after the other and at once.
    app.bounce(&created.id, &address).await.expect("bounce recorded");
    app.bounce(&created.id, &address).await.expect("the same bounce again");
    let (a, b) = tokio::join!(app.bounce(&created.id, &address), app.bounce(&created.id, &address));
    a.expect("the same bounce, concurrently");
    b.expect("the same bounce, concurrently");

    assert_eq!(audit_lines(&app.all_items().await), before + 1, "one email_bounced audit line for one bounce");
    let request = app.raw_item(&format!("REQ#{}", created.id), "META").await.unwrap();
    assert_eq!(request["status"].as_s().unwrap(), "submitted", "a bounce does not change the status");
}
