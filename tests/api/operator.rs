//! The operators' API: who may use it, the queue, decisions, races and emails that must arrive.

use accreditation_tests::{STRONG_PASSWORD, TestApp, file_of, unique, valid_form};
use serde_json::{Value, json};

#[tokio::test]
async fn only_operator_sessions_may_use_the_operator_api() {
    let app = TestApp::spawn().await;
    let created = app.submitted_request(&valid_form()).await;
    let view = format!("/operator/requests/{}", created.id);

    let none = app.get(&view, None).await;
    assert_eq!((none.status, none.body["error"].as_str()), (401, Some("unauthorized")));
    assert_eq!(none.headers["www-authenticate"], "Bearer");
    assert_eq!(app.get(&view, Some("not-a-jwt")).await.status, 401);
    assert_eq!(app.get(&view, Some(&created.token)).await.status, 401, "a request access token is no session");

    // An applicant's session is a valid session of the wrong role.
    let operator = app.operator_session().await;
    let form = valid_form();
    let address = form["email"].as_str().unwrap().to_string();
    let other = app.submitted_request(&form).await;
    app.post(&format!("/operator/requests/{}/approve", other.id), Some(&operator), &json!({})).await;
    let (username, temporary) = app.credentials_sent_to(&address).await;
    let first = app.login(&username, &temporary).await;
    let applicant = app
        .post(
            "/auth/password",
            None,
            &json!({"change_token": first.body["change_token"], "new_password": STRONG_PASSWORD}),
        )
        .await;
    let applicant = applicant.body["token"].as_str().unwrap().to_string();
    for path in [view.clone(), "/operator/requests".into()] {
        let forbidden = app.get(&path, Some(&applicant)).await;
        assert_eq!((forbidden.status, forbidden.body["error"].as_str()), (403, Some("forbidden")), "{path}");
    }
    let approve = app.post(&format!("{view}/approve"), Some(&applicant), &json!({})).await;
    assert_eq!(approve.status, 403);
    assert_eq!(app.get(&view, Some(&operator)).await.status, 200);
}

#[tokio::test]
async fn the_queue_pages_oldest_first_with_opaque_cursors() {
    let app = TestApp::spawn().await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(app.submitted_request(&valid_form()).await.id);
    }
    app.submit(&valid_form()).await; // still awaiting its document: not in the queue
    let operator = app.operator_session().await;

    let first = app.get("/operator/requests?limit=2", Some(&operator)).await;
    assert_eq!(first.status, 200, "{:#}", first.body);
    let page: Vec<&str> = first.body["items"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap()).collect();
    assert_eq!(page, [ids[0].as_str(), ids[1].as_str()]);
    let cursor = first.body["next_cursor"].as_str().expect("more to come");
    let second =
        app.get(&format!("/operator/requests?status=submitted&limit=2&cursor={cursor}"), Some(&operator)).await;
    let page: Vec<&str> = second.body["items"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap()).collect();
    assert_eq!(page, [ids[2].as_str()]);
    assert_eq!(second.body["next_cursor"], Value::Null);

    let mut forged = cursor.to_string();
    forged.replace_range(0..1, if forged.starts_with('A') { "B" } else { "A" });
    let tampered = app.get(&format!("/operator/requests?limit=2&cursor={forged}"), Some(&operator)).await;
    assert_eq!((tampered.status, tampered.body["error"].as_str()), (400, Some("invalid_cursor")));
    let other_listing = app.get(&format!("/operator/requests?status=rejected&cursor={cursor}"), Some(&operator)).await;
    assert_eq!(other_listing.body["error"], "invalid_cursor");
    for bad in ["limit=101", "limit=0", "limit=ten", "status=awaiting_document", "status=everything"] {
        let refused = app.get(&format!("/operator/requests?{bad}"), Some(&operator)).await;
        assert_eq!((refused.status, refused.body["error"].as_str()), (400, Some("validation_failed")), "{bad}");
    }
    let empty = app.get("/operator/requests?status=approved", Some(&operator)).await;
    assert_eq!(empty.body, json!({"items": [], "next_cursor": null}));
}

#[tokio::test]
async fn a_rejection_is_mailed_with_its_reason_and_frees_the_person() {
    let app = TestApp::spawn().await;
    let form = valid_form();
    let address = form["email"].as_str().unwrap().to_string();
    let created = app.submitted_request(&form).await;
    let operator = app.operator_session().await;
    let reject = format!("/operator/requests/{}/reject", created.id);

    let no_reason = app.post(&reject, Some(&operator), &json!({"reason": "  "})).await;
    assert_eq!((no_reason.status, no_reason.body["error"].as_str()), (400, Some("validation_failed")));
    assert!(no_reason.body["fields"]["reason"].is_string());

    let reason = "The document is not signed on both sides.";
    let rejected = app.post(&reject, Some(&operator), &json!({"reason": reason})).await;
    assert_eq!(rejected.status, 200, "{:#}", rejected.body);
    assert_eq!(rejected.body["status"], "rejected");
    let emails = app.emails_to(&address).await;
    let rejection =
        emails.iter().find(|e| e["subject"].as_str().unwrap().contains("not accepted")).expect("rejection email");
    assert!(rejection["body"].as_str().unwrap().contains(reason));

    let status = app.get_with_token(&format!("/requests/{}", created.id), &created.token).await;
    assert_eq!(status.body["status"], "rejected");
    assert_eq!(status.body["messages"][0]["message"], reason);

    let again = app.post(&reject, Some(&operator), &json!({"reason": reason})).await;
    assert_eq!((again.status, again.body["status"].as_str()), (409, Some("rejected")));
    let approve = app.post(&format!("/operator/requests/{}/approve", created.id), Some(&operator), &json!({})).await;
    assert_eq!(
        (approve.status, approve.body["error"].as_str(), approve.body["status"].as_str()),
        (409, Some("invalid_transition"), Some("rejected"))
    );

    let view = app.get(&format!("/operator/requests/{}", created.id), Some(&operator)).await;
    let last = view.body["audit"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["action"], "reject");
    assert_eq!((last["from"].as_str(), last["to"].as_str()), (Some("submitted"), Some("rejected")));
    assert_eq!(last["note"], reason);
    assert!(last["actor"].as_str().unwrap().starts_with("operator:op."));

    app.submit(&form).await; // the same person may apply again
}

#[tokio::test]
async fn a_request_for_information_mails_the_form_and_the_next_document_resubmits() {
    let app = TestApp::spawn_with(&[("INFO_REQUEST_FORM_KEY", "forms/modulo-utente-estero.pdf")]).await;
    let pdf_form = file_of("pdf", 5000);
    app.clients
        .s3
        .put_object()
        .bucket(&app.bucket)
        .key("forms/modulo-utente-estero.pdf")
        .body(pdf_form.clone().into())
        .send()
        .await
        .unwrap();
    let form = valid_form();
    let address = form["email"].as_str().unwrap().to_string();
    let created = app.submitted_request(&form).await;
    let operator = app.operator_session().await;

    let message = "Please send the attached form, filled in and signed.";
    let asked = app
        .post(&format!("/operator/requests/{}/request-info", created.id), Some(&operator), &json!({"message": message}))
        .await;
    assert_eq!((asked.status, asked.body["status"].as_str()), (200, Some("info_requested")), "{:#}", asked.body);

    let raw = app.raw_emails_to(&address).await;
    assert_eq!(raw.len(), 1, "the email with an attachment goes out as MIME");
    let mime = raw[0]["raw_data"].as_str().unwrap();
    assert!(mime.contains("modulo-utente-estero.pdf"), "{mime}");
    assert!(mime.contains("application/pdf"));
    assert!(mime.contains("attached form"));

    let status = app.get_with_token(&format!("/requests/{}", created.id), &created.token).await;
    assert_eq!(status.body["status"], "info_requested");
    assert_eq!(status.body["messages"][0]["message"], message);

    let upload_url = format!("/requests/{}/upload-url", created.id);
    let undeclared = app.post_with_token(&upload_url, &created.token).await;
    assert_eq!((undeclared.status, undeclared.body["error"].as_str()), (400, Some("validation_failed")));
    let declared = app
        .post(
            &upload_url,
            Some(&created.token),
            &json!({"document": {"content_type": "application/pdf", "size": 6000}}),
        )
        .await;
    assert_eq!(declared.status, 200, "{:#}", declared.body);
    assert_ne!(declared.body["upload"]["fields"]["key"], created.body["upload"]["fields"]["key"], "a new slot");
    app.upload(&declared.body["upload"], file_of("pdf", 6000)).await;
    let resubmitted = app.post_with_token(&format!("/requests/{}/document", created.id), &created.token).await;
    assert_eq!((resubmitted.status, resubmitted.body["status"].as_str()), (200, Some("submitted")));

    let view = app.get(&format!("/operator/requests/{}", created.id), Some(&operator)).await;
    let documents = view.body["documents"].as_array().unwrap();
    assert_eq!(documents.len(), 2);
    assert_eq!(documents[1]["size"], 6000);
    assert!(documents[1]["download_url"].is_string());
}

#[tokio::test]
async fn concurrent_approvals_have_exactly_one_winner_and_send_one_email() {
    let app = TestApp::spawn().await;
    let form = valid_form();
    let address = form["email"].as_str().unwrap().to_string();
    let created = app.submitted_request(&form).await;
    let (a, b) = (app.operator_session().await, app.operator_session().await);
    let path = format!("/operator/requests/{}/approve", created.id);
    let body = json!({});
    let (a, b) = (Some(a.as_str()), Some(b.as_str()));
    let results = tokio::join!(
        app.post(&path, a, &body),
        app.post(&path, b, &body),
        app.post(&path, a, &body),
        app.post(&path, b, &body),
        app.post(&path, a, &body),
        app.post(&path, b, &body),
        app.post(&path, a, &body),
        app.post(&path, b, &body)
    );
    let responses = [results.0, results.1, results.2, results.3, results.4, results.5, results.6, results.7];
    let winners = responses.iter().filter(|r| r.status == 200).count();
    assert_eq!(winners, 1, "{:#?}", responses.iter().map(|r| (r.status, r.body.clone())).collect::<Vec<_>>());
    for loser in responses.iter().filter(|r| r.status != 200) {
        assert_eq!(
            (loser.status, loser.body["error"].as_str(), loser.body["status"].as_str()),
            (409, Some("invalid_transition"), Some("approved"))
        );
    }
    let credentials = app.emails_to(&address).await;
    assert_eq!(credentials.len(), 2, "the confirmation and exactly one credentials email");
    let accounts =
        app.all_items().await.into_iter().filter(|i| i["PK"].as_s().unwrap().starts_with("ACCOUNT#maria")).count();
    assert_eq!(accounts, 1);
}

#[tokio::test]
async fn namesakes_get_distinct_usernames() {
    let app = TestApp::spawn().await;
    let operator = app.operator_session().await;
    let mut usernames = Vec::new();
    for _ in 0..3 {
        let created = app.submitted_request(&valid_form()).await;
        let approved =
            app.post(&format!("/operator/requests/{}/approve", created.id), Some(&operator), &json!({})).await;
        usernames.push(approved.body["username"].as_str().unwrap().to_string());
    }
    assert_eq!(usernames, ["maria.dangelo", "maria.dangelo2", "maria.dangelo3"]);
}

#[tokio::test]
async fn credentials_refused_by_ses_are_delivered_later_and_only_that_password_works() {
    let sender = format!("unverified-{}@accreditamento.example.it", unique());
    let app = TestApp::spawn_with(&[("SENDER_EMAIL", &sender)]).await;
    accreditation::adapters::bootstrap::verify_sender(&app.clients.ses, &sender).await.unwrap();
    let form = valid_form();
    let address = form["email"].as_str().unwrap().to_string();
    let created = app.submitted_request(&form).await;
    let operator = app.operator_session().await;

    // SES starts refusing the sender: the approval stands, the email waits in the outbox.
    app.clients.ses.delete_email_identity().email_identity(&sender).send().await.unwrap();
    let approved = app.post(&format!("/operator/requests/{}/approve", created.id), Some(&operator), &json!({})).await;
    assert_eq!(approved.status, 200, "{:#}", approved.body);
    let before = app.emails_to(&address).await.len();
    let pending = app.outbox_items("pending").await;
    assert_eq!(pending.len(), 1, "{pending:?}");
    let username = approved.body["username"].as_str().unwrap();
    let hash_of_undelivered =
        app.raw_item(&format!("ACCOUNT#{username}"), "ACCOUNT").await.unwrap()["password_hash"].clone();

    // SES works again; the table's stream hands the pending email to the mailer.
    accreditation::adapters::bootstrap::verify_sender(&app.clients.ses, &sender).await.unwrap();
    let report = app.mailer_stream(&pending).await;
    assert_eq!(report.sent, 1, "{report:?}");
    assert_eq!(app.emails_to(&address).await.len(), before + 1);
    assert_eq!(app.sweep().await.sent, 0, "nothing sent twice");

    let (username, temporary) = app.credentials_sent_to(&address).await;
    assert_eq!(app.login(&username, &temporary).await.body["status"], "password_change_required");
    let account = app.raw_item(&format!("ACCOUNT#{username}"), "ACCOUNT").await.unwrap();
    assert!(account["password_hash"].as_s().unwrap().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
    assert_ne!(account["password_hash"], hash_of_undelivered, "the undelivered password was replaced, not kept");
}

#[tokio::test]
async fn a_decision_starts_the_retention_period_of_the_documents() {
    let app = TestApp::spawn().await;
    let operator = app.operator_session().await;
    let rejected = app.submitted_request(&valid_form()).await;
    let approved = app.submitted_request(&valid_form()).await;
    let (rejected_key, approved_key) = (app.accepted_key(&rejected.id).await, app.accepted_key(&approved.id).await);
    assert_eq!(app.upload_state(&rejected_key).await, "accepted");

    let reason = json!({"reason": "The document is not signed on both sides."});
    let reject = app.post(&format!("/operator/requests/{}/reject", rejected.id), Some(&operator), &reason).await;
    assert_eq!(reject.status, 200, "{:#}", reject.body);
    let approve = app.post(&format!("/operator/requests/{}/approve", approved.id), Some(&operator), &json!({})).await;
    assert_eq!(approve.status, 200, "{:#}", approve.body);

    for key in [&rejected_key, &approved_key] {
        assert_eq!(app.upload_state(key).await, "decided", "{key} is deleted by the retention rule");
        let object = app.clients.s3.head_object().bucket(&app.bucket).key(key).send().await.expect("still kept");
        assert_eq!(object.content_type(), Some("image/png"), "the copy keeps its type");
    }
}

#[tokio::test]
async fn refused_fields_are_told_in_the_language_the_client_accepts() {
    let app = TestApp::spawn().await;
    let created = app.submitted_request(&valid_form()).await;
    let operator = app.operator_session().await;
    let bearer = format!("Bearer {operator}");
    let path = format!("/operator/requests/{}/reject", created.id);
    let headers = |language| {
        [("authorization", bearer.as_str()), ("content-type", "application/json"), ("accept-language", language)]
    };
    let blank = Some(r#"{"reason": "  "}"#);
    let italian = app.call("POST", &path, &headers("it-IT,it;q=0.9,en;q=0.8"), blank).await;
    assert_eq!((italian.status, italian.body["error"].as_str()), (400, Some("validation_failed")));
    assert_eq!(italian.body["message"], "Alcuni campi non sono validi.");
    assert_eq!(italian.body["fields"]["reason"], "Campo obbligatorio.");
    let english = app.call("POST", &path, &headers("de-DE,en;q=0.5"), blank).await;
    assert_eq!(english.body["fields"]["reason"], "This field is required.");

    let headers = [("content-type", "application/json"), ("accept-language", "it")];
    let login = app.call("POST", "/auth/login", &headers, Some(r#"{"username": "maria"}"#)).await;
    assert_eq!((login.status, login.body["fields"]["password"].as_str()), (400, Some("Campo obbligatorio.")));
    let unknown = app.call("POST", "/operator/requests/not-a-uuid/approve", &[("authorization", &bearer)], None).await;
    assert_eq!((unknown.status, unknown.body["error"].as_str()), (404, Some("not_found")));
}
