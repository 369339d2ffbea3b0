//! `GET /requests/{id}` and the applicant token: wrong, missing and lapsed access look the same.

use accreditation_tests::{TestApp, valid_form};

#[tokio::test]
async fn wrong_token_and_unknown_id_answer_the_same_404() {
    let app = TestApp::spawn().await;
    let created = app.submit(&valid_form()).await;
    let other = app.submit(&valid_form()).await;

    let right = app.get_with_token(&format!("/requests/{}", created.id), &created.token).await;
    assert_eq!(right.status, 200);
    assert_eq!(right.body["status"], "awaiting_document");
    assert!(right.body["expires_at"].is_string());

    let wrong_token = app.get_with_token(&format!("/requests/{}", created.id), &other.token).await;
    let unknown_id = app.get_with_token("/requests/0b8f1a52-3c4d-4e5f-8a9b-1c2d3e4f5a6b", &created.token).await;
    let malformed_id = app.get_with_token("/requests/UE-2026-000001", &created.token).await;
    let no_token = app.call("GET", &format!("/requests/{}", created.id), &[], None).await;
    for response in [&wrong_token, &unknown_id, &malformed_id, &no_token] {
        assert_eq!(response.status, 404);
        assert_eq!(response.body, wrong_token.body, "indistinguishable");
    }
    let upload = app.post_with_token(&format!("/requests/{}/upload-url", created.id), &other.token).await;
    assert_eq!(upload.status, 404);
    let document = app.post_with_token(&format!("/requests/{}/document", created.id), &other.token).await;
    assert_eq!(document.status, 404);
}

#[tokio::test]
async fn a_request_without_document_lapses_and_frees_the_person() {
    let app = TestApp::spawn_with(&[("REQUEST_TTL_HOURS", "1")]).await;
    let form = valid_form();
    let created = app.submit(&form).await;
    app.clock.advance(time::Duration::minutes(59));
    let waiting = app.get_with_token(&format!("/requests/{}", created.id), &created.token).await;
    assert_eq!(waiting.status, 200, "still awaiting its document before the hour is up");
    // Past the hour by a second: the locks' TTLs are whole seconds.
    app.clock.advance(time::Duration::seconds(61));
    let lapsed = app.get_with_token(&format!("/requests/{}", created.id), &created.token).await;
    assert_eq!(lapsed.status, 404, "the emulator keeps expired items; reads must filter them");
    app.submit(&form).await;
}
