//! Emails are never lost: a failed send stays in the outbox and the scheduled sweep delivers it.

use accreditation_tests::{TestApp, file_of, unique, valid_form};

#[tokio::test]
async fn a_confirmation_that_ses_refused_is_sent_by_the_sweep() {
    let sender = format!("unverified-{}@accreditamento.example.it", unique());
    let app = TestApp::spawn_with(&[("SENDER_EMAIL", &sender)]).await;
    let form = valid_form();
    let to = form["email"].as_str().unwrap().to_string();
    let created = app.submit(&form).await;
    app.upload(&created.body["upload"], file_of("png", 2048)).await;

    let accepted = app.post_with_token(&format!("/requests/{}/document", created.id), &created.token).await;
    assert_eq!(accepted.status, 200, "the acceptance stands even though the email failed");
    assert!(app.emails_to(&to).await.is_empty());
    let pending: Vec<_> =
        app.all_items().await.into_iter().filter(|item| item["PK"].as_s().unwrap().starts_with("OUTBOX#")).collect();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0]["status"].as_s().unwrap(), "pending");
    assert!(pending[0]["last_error"].as_s().unwrap().contains("SES"), "{pending:?}");

    accreditation::adapters::bootstrap::verify_sender(&app.clients.ses, &sender).await.unwrap();
    let report = app.sweep().await;
    assert_eq!(report.sent, 1, "{report:?}");
    let emails = app.emails_to(&to).await;
    assert_eq!(emails.len(), 1);
    assert!(emails[0]["subject"].as_str().unwrap().contains(created.body["reference"].as_str().unwrap()));
    assert_eq!(app.sweep().await.sent, 0, "sent once");
}
