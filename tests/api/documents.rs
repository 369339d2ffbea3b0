//! The document: upload to the pre-signed target, the acceptance check (API and S3 trigger), the
//! confirmation email.

use accreditation_tests::{TestApp, file_of, valid_form};
use serde_json::json;

fn form_declaring(content_type: &str, size: u64) -> serde_json::Value {
    let mut form = valid_form();
    form["document"] = json!({"content_type": content_type, "size": size});
    form
}

#[tokio::test]
async fn the_applicant_journey_end_to_end() {
    let app = TestApp::spawn().await;
    let form = form_declaring("application/pdf", 40_000);
    let created = app.submit(&form).await;
    let reference = created.body["reference"].as_str().unwrap();

    let uploaded = app.upload(&created.body["upload"], file_of("pdf", 40_000)).await;
    assert!(matches!(uploaded, 200 | 201 | 204), "upload answered {uploaded}");

    let accepted = app.post_with_token(&format!("/requests/{}/document", created.id), &created.token).await;
    assert_eq!(accepted.status, 200, "{:#}", accepted.body);
    assert_eq!(accepted.body["status"], "submitted");
    assert_eq!(accepted.body["document"]["accepted"], true);
    assert_eq!(accepted.body["document"]["size"], 40_000);

    let emails = app.emails_to(form["email"].as_str().unwrap()).await;
    assert_eq!(emails.len(), 1, "exactly one confirmation: {emails:#?}");
    let email = &emails[0];
    assert!(email["subject"].as_str().unwrap().contains(reference), "{email:#}");
    let body = email["body"].as_str().unwrap();
    assert!(body.contains(reference) && body.contains("What happens next"), "{body}");
    assert!(body.lines().any(|line| line == "Dear Maria D'Angelo,"), "{body}");

    let status = app.get_with_token(&format!("/requests/{}", created.id), &created.token).await;
    assert_eq!(status.status, 200);
    assert_eq!(status.body["status"], "submitted");
    assert_eq!(status.body["reference"], reference);
    assert!(status.body["expires_at"].is_null());
    let timeline: Vec<&str> =
        status.body["timeline"].as_array().unwrap().iter().map(|e| e["status"].as_str().unwrap()).collect();
    assert_eq!(timeline, ["awaiting_document", "submitted"]);
    assert_eq!(status.body["messages"], json!([]));

    let upload_key = created.body["upload"]["fields"]["key"].as_str().unwrap();
    assert!(!app.object_exists(upload_key).await, "the accepted file left the upload key");
    let key = app.accepted_key(&created.id).await;
    assert!(key.starts_with(&format!("documents/{}/", created.id)), "{key}");
    let tags = app.clients.s3.get_object_tagging().bucket(&app.bucket).key(&key).send().await.unwrap();
    assert_eq!(tags.tag_set()[0].value(), "accepted", "accepted documents are spared by the abandoned-upload rule");
    let lock_ttls = app
        .all_items()
        .await
        .into_iter()
        .filter(|item| item["SK"].as_s().unwrap() == "LOCK")
        .filter(|item| item.contains_key("ttl"))
        .count();
    assert_eq!(lock_ttls, 0, "a submitted request holds the person for good");
}

#[tokio::test]
async fn italian_applicants_get_the_email_in_italian() {
    let app = TestApp::spawn().await;
    let mut form = form_declaring("image/jpeg", 5_000);
    form["language"] = json!("it");
    let created = app.submit(&form).await;
    app.upload(&created.body["upload"], file_of("jpeg", 5_000)).await;
    assert_eq!(app.post_with_token(&format!("/requests/{}/document", created.id), &created.token).await.status, 200);
    let emails = app.emails_to(form["email"].as_str().unwrap()).await;
    assert!(emails[0]["subject"].as_str().unwrap().starts_with("Richiesta UE-"));
    assert!(emails[0]["body"].as_str().unwrap().contains("Cosa succede ora"));
}

#[tokio::test]
async fn the_s3_trigger_accepts_the_document_once_and_the_api_then_agrees() {
    let app = TestApp::spawn().await;
    let form = valid_form();
    let created = app.submit(&form).await;
    app.upload(&created.body["upload"], file_of("png", 2048)).await;
    let key = created.body["upload"]["fields"]["key"].as_str().unwrap();

    app.object_created(key).await.expect("trigger");
    app.object_created(key).await.expect("a repeated event is harmless");
    let confirmed = app.post_with_token(&format!("/requests/{}/document", created.id), &created.token).await;
    assert_eq!(confirmed.status, 200);
    assert_eq!(confirmed.body["status"], "submitted");
    assert_eq!(app.emails_to(form["email"].as_str().unwrap()).await.len(), 1, "one email, however many checks");
}

#[tokio::test]
async fn the_api_and_the_trigger_racing_accept_exactly_once() {
    let app = TestApp::spawn().await;
    let form = valid_form();
    let created = app.submit(&form).await;
    app.upload(&created.body["upload"], file_of("png", 2048)).await;
    let key = created.body["upload"]["fields"]["key"].as_str().unwrap();
    let path = format!("/requests/{}/document", created.id);
    let (trigger, api) = tokio::join!(app.object_created(key), app.post_with_token(&path, &created.token));
    trigger.expect("trigger");
    assert_eq!(api.status, 200, "{:#}", api.body);
    assert_eq!(app.emails_to(form["email"].as_str().unwrap()).await.len(), 1);
    let audit = app.all_items().await.into_iter().filter(|i| i["SK"].as_s().unwrap().starts_with("AUDIT#")).count();
    assert_eq!(audit, 2, "created + document_accepted, once");
    let listed = app.clients.s3.list_objects_v2().bucket(&app.bucket).prefix("documents/").send().await.unwrap();
    assert_eq!(listed.contents().len(), 1, "one kept copy: a losing copy never outlives the race");
}

#[tokio::test]
async fn an_oversize_upload_is_refused_deleted_and_can_be_replaced() {
    let app = TestApp::spawn().await;
    let created = app.submit(&form_declaring("image/png", 3_000_000)).await;
    let key = created.body["upload"]["fields"]["key"].as_str().unwrap().to_string();
    // The emulator does not enforce the signed size range, so the acceptance check must.
    app.upload(&created.body["upload"], file_of("png", 3_145_729)).await;
    let path = format!("/requests/{}/document", created.id);
    let refused = app.post_with_token(&path, &created.token).await;
    assert_eq!(refused.status, 422);
    assert_eq!(refused.body["error"], "document_refused");
    assert_eq!(refused.body["reason"], "too_large");
    assert!(!app.object_exists(&key).await, "the refused file is deleted");

    let status = app.get_with_token(&format!("/requests/{}", created.id), &created.token).await;
    assert_eq!(status.body["status"], "awaiting_document");
    app.upload(&created.body["upload"], file_of("png", 3_145_728)).await;
    assert_eq!(app.post_with_token(&path, &created.token).await.status, 200, "exactly 3 MiB is accepted");
}

#[tokio::test]
async fn executables_and_web_pages_are_refused_whatever_their_declared_type() {
    let app = TestApp::spawn().await;
    for (declared, sample) in [("image/png", "exe"), ("application/pdf", "html"), ("image/jpeg", "exe")] {
        let created = app.submit(&form_declaring(declared, 1000)).await;
        app.upload(&created.body["upload"], file_of(sample, 1000)).await;
        let refused = app.post_with_token(&format!("/requests/{}/document", created.id), &created.token).await;
        assert_eq!(refused.status, 422, "{sample} as {declared}");
        assert_eq!(refused.body["reason"], "unsupported_type");
        let key = created.body["upload"]["fields"]["key"].as_str().unwrap();
        assert!(!app.object_exists(key).await);
    }
}

#[tokio::test]
async fn a_png_declared_as_pdf_is_refused() {
    let app = TestApp::spawn().await;
    let created = app.submit(&form_declaring("application/pdf", 2048)).await;
    app.upload(&created.body["upload"], file_of("png", 2048)).await;
    let refused = app.post_with_token(&format!("/requests/{}/document", created.id), &created.token).await;
    assert_eq!(refused.status, 422);
    assert_eq!(refused.body["reason"], "type_mismatch");
    assert!(refused.body["message"].as_str().unwrap().contains("image/png but application/pdf was declared"));
}

#[tokio::test]
async fn an_empty_file_is_refused() {
    let app = TestApp::spawn().await;
    let created = app.submit(&form_declaring("application/pdf", 10)).await;
    app.upload(&created.body["upload"], Vec::new()).await;
    let refused = app.post_with_token(&format!("/requests/{}/document", created.id), &created.token).await;
    assert_eq!((refused.status, refused.body["reason"].as_str()), (422, Some("empty")));
}

#[tokio::test]
async fn confirming_before_uploading_says_so() {
    let app = TestApp::spawn().await;
    let created = app.submit(&valid_form()).await;
    let early = app.post_with_token(&format!("/requests/{}/document", created.id), &created.token).await;
    assert_eq!((early.status, early.body["error"].as_str()), (422, Some("document_not_uploaded")));
}

#[tokio::test]
async fn a_fresh_upload_form_is_issued_only_while_the_document_is_awaited() {
    let app = TestApp::spawn().await;
    let created = app.submit(&valid_form()).await;
    let path = format!("/requests/{}/upload-url", created.id);
    let fresh = app.post_with_token(&path, &created.token).await;
    assert_eq!(fresh.status, 200);
    assert_eq!(
        fresh.body["upload"]["fields"]["key"], created.body["upload"]["fields"]["key"],
        "one fixed key per request"
    );
    assert_eq!(fresh.body["status"], "awaiting_document");

    app.upload(&fresh.body["upload"], file_of("png", 2048)).await;
    assert_eq!(app.post_with_token(&format!("/requests/{}/document", created.id), &created.token).await.status, 200);
    let late = app.post_with_token(&path, &created.token).await;
    assert_eq!((late.status, late.body["error"].as_str()), (409, Some("invalid_transition")));
    assert_eq!(late.body["status"], "submitted");
}

#[tokio::test]
async fn objects_of_no_request_are_deleted_by_the_trigger() {
    let app = TestApp::spawn().await;
    let key = "uploads/0b8f1a52-3c4d-4e5f-8a9b-1c2d3e4f5a6b/unknown";
    app.clients.s3.put_object().bucket(&app.bucket).key(key).body(file_of("pdf", 100).into()).send().await.unwrap();
    app.object_created(key).await.expect("an orphan is settled, not an error");
    assert!(!app.object_exists(key).await);
}

#[tokio::test]
async fn a_late_upload_cannot_replace_an_accepted_document() {
    let app = TestApp::spawn().await;
    let created = app.submit(&valid_form()).await;
    let original = file_of("png", 2048);
    app.upload(&created.body["upload"], original.clone()).await;
    assert_eq!(app.post_with_token(&format!("/requests/{}/document", created.id), &created.token).await.status, 200);

    // The upload form stays valid for 15 minutes: use it again with another file.
    app.upload(&created.body["upload"], file_of("exe", 2048)).await;
    let upload_key = created.body["upload"]["fields"]["key"].as_str().unwrap();
    app.object_created(upload_key).await.expect("trigger");
    assert!(!app.object_exists(upload_key).await, "the late upload is deleted");
    let kept = app.clients.s3.get_object().bucket(&app.bucket).key(app.accepted_key(&created.id).await).send().await;
    let kept = kept.unwrap().body.collect().await.unwrap().to_vec();
    assert_eq!(kept, original, "the accepted document is untouched");
}

#[tokio::test]
async fn the_copy_takes_only_the_version_of_the_upload_that_was_checked() {
    use accreditation::ports::DocumentStore;
    let app = TestApp::spawn().await;
    let created = app.submit(&valid_form()).await;
    let upload = &created.body["upload"];
    app.upload(upload, file_of("png", 2048)).await;
    let key = upload["fields"]["key"].as_str().unwrap();
    let documents = app.wiring.documents().unwrap();
    let checked = documents.head(key).await.unwrap().expect("uploaded");

    // The same still-valid form uploads other bytes between the check and the copy.
    assert!((200..300).contains(&app.upload(upload, file_of("pdf", 4096)).await));
    let target = format!("documents/{}/race", created.id);
    assert!(!documents.promote(key, &checked.etag, &target).await.unwrap(), "the replaced upload is not copied");
    assert!(!app.object_exists(&target).await);
    assert_eq!(documents.first_bytes(key, 8, Some(&checked.etag)).await.unwrap(), None, "nor read as the checked one");

    let current = documents.head(key).await.unwrap().expect("the second upload");
    assert_ne!(current.etag, checked.etag);
    assert!(documents.promote(key, &current.etag, &target).await.unwrap());
    assert!(
        app.object_exists(&target).await && app.object_exists(key).await,
        "copied; the upload stays for the acceptance"
    );
}
