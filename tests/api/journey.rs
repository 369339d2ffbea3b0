//! The whole accreditation journey, from the form to the applicant's own password.

use accreditation_tests::{STRONG_PASSWORD, TestApp, file_of, valid_form};
use serde_json::json;

#[tokio::test]
async fn from_the_form_to_the_applicants_own_password() {
    let app = TestApp::spawn().await;

    // The applicant submits and uploads.
    let mut form = valid_form();
    form["document"] = json!({"content_type": "application/pdf", "size": 30_000});
    let address = form["email"].as_str().unwrap().to_string();
    let created = app.submit(&form).await;
    let document = file_of("pdf", 30_000);
    app.upload(&created.body["upload"], document.clone()).await;
    let path = format!("/requests/{}/document", created.id);
    assert_eq!(app.post_with_token(&path, &created.token).await.status, 200);

    // An operator logs in (forced change first) and finds it in the queue.
    let operator = app.operator_session().await;
    let queue = app.get("/operator/requests?status=submitted", Some(&operator)).await;
    assert_eq!(queue.status, 200, "{:#}", queue.body);
    let item = queue.body["items"].as_array().unwrap().iter().find(|i| i["id"] == created.id.as_str()).cloned();
    let item = item.expect("the request is in the queue");
    assert_eq!(item["reference"], created.body["reference"]);
    assert_eq!(
        (item["name"].as_str(), item["surname"].as_str(), item["citizenship"].as_str()),
        (Some("Maria"), Some("D'Angelo"), Some("US"))
    );
    assert_eq!(queue.body["next_cursor"], json!(null));

    // The view has every field and a download of the same bytes.
    let view = app.get(&format!("/operator/requests/{}", created.id), Some(&operator)).await;
    assert_eq!(view.status, 200, "{:#}", view.body);
    assert_eq!(view.body["applicant"]["identification_code"], form["identification_code"]);
    assert_eq!(view.body["applicant"]["address"]["city"], "Boston");
    assert_eq!(view.body["document"]["content_type"], "application/pdf");
    assert_eq!(view.body["document"]["size"], 30_000);
    let url = view.body["document"]["download_url"].as_str().unwrap();
    assert!(url.contains("response-content-disposition=attachment"), "{url}");
    assert!(url.contains("X-Amz-Expires=300"), "valid 5 minutes: {url}");
    let downloaded = reqwest::get(url).await.unwrap();
    assert_eq!(downloaded.headers()["content-type"], "application/pdf");
    assert_eq!(downloaded.bytes().await.unwrap().to_vec(), document, "the same bytes");
    let actions: Vec<&str> =
        view.body["audit"].as_array().unwrap().iter().map(|a| a["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["created", "document_accepted"]);

    // Approval issues credentials by email.
    let approved = app
        .post(&format!("/operator/requests/{}/approve", created.id), Some(&operator), &json!({"note": "documento ok"}))
        .await;
    assert_eq!(approved.status, 200, "{:#}", approved.body);
    assert_eq!(approved.body["status"], "approved");
    assert_eq!(approved.body["username"], "maria.dangelo");
    let (username, temporary) = app.credentials_sent_to(&address).await;
    assert_eq!(username, "maria.dangelo");
    assert!(temporary.len() >= 16);
    let stored = format!("{:?}", app.all_items().await);
    assert!(!stored.contains(&temporary), "no plaintext password in the table");

    // First login: a change is required; weak passwords are refused with reasons.
    let first = app.login(&username, &temporary).await;
    assert_eq!(first.status, 200);
    assert_eq!(first.body["status"], "password_change_required");
    assert_eq!(first.body["expires_in"], 900);
    assert!(first.body.get("token").is_none(), "no session before the change");
    let change_token = first.body["change_token"].as_str().unwrap();
    let weak = app
        .post("/auth/password", None, &json!({"change_token": change_token, "new_password": "maria.dangelo1"}))
        .await;
    assert_eq!(weak.status, 400);
    assert_eq!(weak.body["error"], "weak_password");
    let reasons: Vec<&str> = weak.body["reasons"].as_array().unwrap().iter().map(|r| r.as_str().unwrap()).collect();
    assert!(reasons.contains(&"contains_username"), "{reasons:?}");
    let short = app.post("/auth/password", None, &json!({"change_token": change_token, "new_password": "abc"})).await;
    assert!(short.body["reasons"].as_array().unwrap().contains(&json!("too_short")));

    // A strong password is accepted, with a session and a notice by email.
    let changed =
        app.post("/auth/password", None, &json!({"change_token": change_token, "new_password": STRONG_PASSWORD})).await;
    assert_eq!(changed.status, 200, "{:#}", changed.body);
    assert_eq!(changed.body["status"], "authenticated");
    assert_eq!(changed.body["role"], "applicant");
    let subjects: Vec<String> =
        app.emails_to(&address).await.iter().map(|e| e["subject"].as_str().unwrap().to_string()).collect();
    assert!(subjects.contains(&"Your password was changed".to_string()), "{subjects:?}");

    // From now on: a session with the new password, and the temporary one never again.
    let login = app.login(&username, STRONG_PASSWORD).await;
    assert_eq!(login.status, 200);
    assert_eq!(login.body["status"], "authenticated");
    assert_eq!(login.body["expires_in"], 900);
    assert!(login.body["token"].as_str().unwrap().split('.').count() == 3, "a JWT");
    let old = app.login(&username, &temporary).await;
    assert_eq!((old.status, old.body["error"].as_str()), (401, Some("invalid_credentials")));
    let reused = app
        .post(
            "/auth/password",
            None,
            &json!({"change_token": change_token, "new_password": "Another strong pass phrase 42"}),
        )
        .await;
    assert_eq!((reused.status, reused.body["error"].as_str()), (401, Some("invalid_change_token")));

    // The applicant's status page shows the approval.
    let status = app.get_with_token(&format!("/requests/{}", created.id), &created.token).await;
    assert_eq!(status.body["status"], "approved");
}
