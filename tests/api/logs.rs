//! No password or token ever reaches the logs, even at debug level.

use std::{
    io::Write,
    sync::{Arc, Mutex, OnceLock},
};

use accreditation_tests::{STRONG_PASSWORD, TestApp, valid_form};
use serde_json::json;

/// Everything every test of this binary logs from now on, at debug level and above.
fn captured() -> Arc<Mutex<Vec<u8>>> {
    static BUFFER: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    BUFFER
        .get_or_init(|| {
            let buffer = Arc::new(Mutex::new(Vec::new()));
            let writer = Capture(buffer.clone());
            let subscriber = tracing_subscriber::fmt()
                .json()
                .with_max_level(tracing::Level::DEBUG)
                .with_writer(move || writer.clone())
                .finish();
            tracing::subscriber::set_global_default(subscriber).expect("the first global subscriber");
            buffer
        })
        .clone()
}

#[derive(Clone)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn no_password_or_token_appears_in_the_logs() {
    let logs = captured();
    let app = TestApp::spawn().await;
    let form = valid_form();
    let address = form["email"].as_str().unwrap().to_string();
    let created = app.submitted_request(&form).await;
    let operator = app.operator_session().await;
    app.post(&format!("/operator/requests/{}/approve", created.id), Some(&operator), &json!({})).await;
    let (username, temporary) = app.credentials_sent_to(&address).await;
    let wrong = app.login(&username, "a wrong password attempt").await;
    assert_eq!(wrong.status, 401);
    let first = app.login(&username, &temporary).await;
    let change_token = first.body["change_token"].as_str().unwrap().to_string();
    let session =
        app.post("/auth/password", None, &json!({"change_token": change_token, "new_password": STRONG_PASSWORD})).await;
    let session_token = session.body["token"].as_str().unwrap().to_string();

    let text = String::from_utf8_lossy(&logs.lock().unwrap()).into_owned();
    assert!(text.contains("request approved") && text.contains("password changed"), "the journey was captured");
    for (what, secret) in [
        ("access token", created.token.as_str()),
        ("temporary password", temporary.as_str()),
        ("wrong password", "a wrong password attempt"),
        ("new password", STRONG_PASSWORD),
        ("change token", change_token.as_str()),
        ("session token", session_token.as_str()),
        ("operator session", operator.as_str()),
    ] {
        assert!(!text.contains(secret), "the {what} appears in the logs");
    }
}
