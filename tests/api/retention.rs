//! Personal data kept no longer than needed: the scheduled `retention` function erases rejected
//! requests once their period ends, `admin erase` one person's request on demand; the decision
//! record and the audit trail (without its notes) stay.

use accreditation::ports::{ErasureReason, ErasureStore};
use accreditation_tests::{TestApp, aws_calls, read_event, valid_form};
use serde_json::{Value, json};
use time::Duration;

/// The scheduled run of the `retention` function.
async fn sweep(app: &TestApp) -> accreditation::services::retention::RetentionReport {
    let event = lambda_runtime::LambdaEvent::new(read_event("scheduled-outbox-sweep.json"), Default::default());
    aws_calls::as_function("retention", retention::handler(&app.app.retention, event)).await.expect("sweep")
}

/// A submitted request rejected by an operator with `reason`: its id, token and form.
async fn rejected(app: &TestApp, reason: &str) -> (String, String, Value) {
    let form = valid_form();
    let created = app.submitted_request(&form).await;
    let operator = app.operator_session().await;
    let path = format!("/operator/requests/{}/reject", created.id);
    assert_eq!(app.post(&path, Some(&operator), &json!({"reason": reason})).await.status, 200);
    (created.id, created.token, form)
}

/// Every attribute value of every item, as one text; without the records of sent emails when
/// `but_sent_emails` (they keep a username for 30 days, then the table's TTL deletes them).
async fn table_text(app: &TestApp, but_sent_emails: bool) -> String {
    format!("{:?}", table_items(app, but_sent_emails).await)
}

/// Every item; without the records of sent emails when `but_sent_emails`.
async fn table_items(app: &TestApp, but_sent_emails: bool) -> Vec<Item> {
    let items = app.all_items().await.into_iter().filter(|item| {
        let sent = item.get("status").and_then(|s| s.as_s().ok()).is_some_and(|s| s == "sent");
        !(but_sent_emails && sent && item.contains_key("ttl"))
    });
    items.collect()
}

type Item = std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>;

#[tokio::test]
async fn rejected_requests_are_erased_once_their_period_ends_keeping_the_decision() {
    let app = TestApp::spawn_with(&[("REJECTED_RETENTION_DAYS", "90")]).await;
    let (old, old_token, old_form) = rejected(&app, "Documento illeggibile: Mario Bianchi, passaporto YA1234567").await;
    let accepted_key = app.accepted_key(&old).await;
    app.clock.advance(Duration::days(60));
    let (recent, _, recent_form) = rejected(&app, "Foto mancante").await;

    assert_eq!(sweep(&app).await.erased, 0, "nothing is 90 days old yet");
    app.clock.advance(Duration::days(31));
    let report = sweep(&app).await;
    assert_eq!(report.erased, 1, "{report:?}");

    let text = table_text(&app, false).await;
    for personal in [&old_form["email"], &old_form["identification_code"]] {
        assert!(!text.contains(personal.as_str().unwrap()), "{personal} is still in the table");
    }
    let with_reason: Vec<Item> =
        app.all_items().await.into_iter().filter(|item| format!("{item:?}").contains("Mario Bianchi")).collect();
    assert!(with_reason.is_empty(), "the operator's reason is erased with the request: {with_reason:#?}");
    assert!(text.contains(recent_form["email"].as_str().unwrap()), "the recent one is kept");
    assert!(!app.object_exists(&accepted_key).await, "its document is deleted");
    assert!(app.object_exists(&app.accepted_key(&recent).await).await);

    let status = app.get(&format!("/requests/{old}"), Some(&old_token)).await;
    assert_eq!(status.status, 404);
    let operator = app.operator_session().await;
    assert_eq!(app.get(&format!("/operator/requests/{old}"), Some(&operator)).await.status, 404);
    let queue = app.get("/operator/requests?status=rejected", Some(&operator)).await;
    let listed: Vec<&str> = queue.body["items"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap()).collect();
    assert_eq!(listed, [recent.as_str()]);

    let record = app
        .legacy_store()
        .erasure(accreditation::domain::RequestId::parse(&old).unwrap())
        .await
        .unwrap()
        .expect("the decision is kept");
    assert_eq!(record.status.to_string(), "rejected");
    assert!(record.decided_by.as_deref().is_some_and(|by| by.starts_with("operator:")), "{record:?}");
    assert!(record.decided_at.is_some() && record.erased_at > record.decided_at.unwrap());
    assert_eq!(record.reason, ErasureReason::Retention);
    let audit: Vec<Item> = app
        .all_items()
        .await
        .into_iter()
        .filter(|item| {
            item["PK"].as_s().unwrap() == &format!("REQ#{old}") && item["SK"].as_s().unwrap().starts_with("AUDIT#")
        })
        .collect();
    assert_eq!(audit.len(), 3, "created, document accepted, rejected: the trail stays");
    let noted = |line: &Item| line.get("note").is_some_and(|note| !note.is_null());
    assert!(audit.iter().all(|line| !noted(line) && line.contains_key("actor")), "{audit:#?}");
}

#[tokio::test]
async fn an_erasure_on_request_removes_the_person_and_their_account_and_lets_them_apply_again() {
    let app = TestApp::spawn().await;
    let (username, temporary, address, id) = app.approved().await;
    let reference = {
        let operator = app.operator_session().await;
        app.get(&format!("/operator/requests/{id}"), Some(&operator)).await.body["reference"]
            .as_str()
            .unwrap()
            .to_string()
    };

    let record = app.app.retention.erase_on_request(&reference, Some("GDPR-42".into())).await.unwrap();
    assert_eq!(record.reason, ErasureReason::Request { ticket: Some("GDPR-42".into()) });
    assert_eq!(record.status.to_string(), "approved");

    let remaining = table_items(&app, true).await;
    let traces: Vec<&Item> = remaining
        .iter()
        .filter(|item| {
            let text = format!("{item:?}");
            // The username counter stays: an erased username is never given to someone else
            // (it would inherit the erased person's pairwise `sub` at every relying party).
            let counter = item["PK"].as_s().unwrap().starts_with("USERNAME#");
            (text.contains(&address) || text.contains(&username)) && !counter
        })
        .collect();
    assert!(traces.is_empty(), "no trace of the person: {traces:#?}");
    assert_eq!(app.login(&username, &temporary).await.status, 401, "the account is gone");
    let again = app.app.retention.erase_on_request(&reference, None).await;
    assert!(again.is_err(), "an erased request cannot be erased twice");

    // The same person may apply again: the duplicate-check locks went with the request.
    let mut form = valid_form();
    form["email"] = json!(address);
    assert_eq!(app.post_json("/requests", &form).await.status, 201);
}

#[tokio::test]
async fn the_privacy_notice_states_the_configured_periods() {
    let event = accreditation_tests::api_event("GET", "/privacy", &[], None);
    let request = lambda_http::request::from_str(&event.to_string()).expect("API Gateway v2 event");
    let page = web::handler(&accreditation_tests::test_site(), request).await.expect("the handler never fails");
    let lambda_http::Body::Text(text) = page.body() else { panic!("a page") };
    for stated in ["entro 24 ore", "30 giorni dopo la decisione", "90 giorni dopo il rifiuto", "within 24 hours"] {
        assert!(text.contains(stated), "{stated:?} not stated");
    }
    assert!(text.contains("30 days after the decision") && text.contains("90 days after the rejection"));
    assert!(!text.contains("{{"), "every placeholder filled");
}
