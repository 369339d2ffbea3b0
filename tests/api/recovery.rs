//! Forgotten passwords: the same answer whether or not an account matches, a single-use link by
//! email that the newest request replaces and that lapses after 30 minutes, a new password that
//! ends every session, limits per account and per source address that never lock the account.

use accreditation_tests::{STRONG_PASSWORD, TestApp, api_event, invoke_function, unique};
use serde_json::{Value, json};

const NEW_PASSWORD: &str = "Lungomare di Napoli al tramonto 2026";

/// `POST /auth/password-reset` with `body`, from `ip`.
async fn ask(app: &TestApp, body: &Value, ip: &str) -> accreditation_tests::ApiResponse {
    let mut event =
        api_event("POST", "/auth/password-reset", &[("content-type", "application/json")], Some(&body.to_string()));
    event["requestContext"]["http"]["sourceIp"] = json!(ip);
    invoke_function(&app.app, "auth", &event).await
}

/// The mailer sends what is due; then the tokens of every reset email to `address`, oldest first.
async fn reset_tokens(app: &TestApp, address: &str) -> Vec<String> {
    app.sweep().await;
    app.emails_to(address)
        .await
        .iter()
        .filter_map(|email| {
            let body = email["body"].as_str().unwrap_or_default();
            let link = body.lines().find(|line| line.contains("/reset#token="))?;
            assert!(link.trim().starts_with("https://portal.example.org/reset#token="), "{link}");
            Some(link.split_once("#token=").unwrap().1.trim().to_string())
        })
        .collect()
}

async fn confirm(app: &TestApp, token: &str, password: &str) -> accreditation_tests::ApiResponse {
    app.post("/auth/password-reset/confirm", None, &json!({"token": token, "new_password": password})).await
}

#[tokio::test]
async fn a_reset_link_sets_a_new_password_once_and_ends_every_session() {
    let app = TestApp::spawn().await;
    let (username, address, session) = app.applicant_account().await;

    let asked = ask(&app, &json!({"username": username.to_uppercase()}), "198.51.100.7").await;
    assert_eq!((asked.status, &asked.body), (202, &json!({"status": "reset_requested"})));
    let tokens = reset_tokens(&app, &address).await;
    assert_eq!(tokens.len(), 1, "one reset email");
    let subjects: Vec<Value> = app.emails_to(&address).await.iter().map(|e| e["subject"].clone()).collect();
    assert!(subjects.contains(&json!("Reset your password")), "{subjects:?}");

    let weak = confirm(&app, &tokens[0], "password1234").await;
    assert_eq!((weak.status, weak.body["error"].as_str()), (400, Some("weak_password")), "{:#}", weak.body);
    let same = confirm(&app, &tokens[0], STRONG_PASSWORD).await;
    assert_eq!(same.body["reasons"], json!(["same_as_current"]));
    let done = confirm(&app, &tokens[0], NEW_PASSWORD).await;
    assert_eq!((done.status, &done.body), (200, &json!({"status": "password_changed"})), "no session is returned");

    let ended = app
        .post("/auth/password", Some(&session), &json!({"current_password": STRONG_PASSWORD, "new_password": "x"}))
        .await;
    assert_eq!((ended.status, ended.body["error"].as_str()), (401, Some("unauthorized")), "the old session ended");
    assert_eq!(app.login(&username, STRONG_PASSWORD).await.body["error"], "invalid_credentials");
    assert_eq!(app.login(&username, NEW_PASSWORD).await.body["status"], "authenticated");
    let again = confirm(&app, &tokens[0], "Ancora un'altra password lunga 77").await;
    assert_eq!((again.status, again.body["error"].as_str()), (401, Some("invalid_reset_token")), "single use");
    let changed = app.emails_to(&address).await;
    assert!(changed.iter().any(|e| e["subject"] == "Your password was changed"), "{changed:#?}");
    let unknown = confirm(&app, "not-a-token", NEW_PASSWORD).await;
    assert_eq!(unknown.body["error"], "invalid_reset_token");
}

#[tokio::test]
async fn every_request_gets_the_same_answer_and_only_a_matching_account_an_email() {
    let app = TestApp::spawn().await;
    let (username, address, _) = app.applicant_account().await;
    let nobody = format!("nobody.{}@example.org", unique());
    for body in [
        json!({"username": username}),
        json!({"email": address.to_uppercase()}),
        json!({"username": format!("nobody.{}", unique())}),
        json!({"email": nobody}),
        json!({"username": "not a username!"}),
    ] {
        let asked = ask(&app, &body, "198.51.100.8").await;
        assert_eq!((asked.status, &asked.body), (202, &json!({"status": "reset_requested"})), "{body}");
    }
    assert_eq!(reset_tokens(&app, &address).await.len(), 2, "by username and by email");
    assert!(app.emails_to(&nobody).await.is_empty());
    let both = ask(&app, &json!({"username": username, "email": address}), "198.51.100.8").await;
    assert_eq!((both.status, both.body["error"].as_str()), (400, Some("validation_failed")));
    assert!(both.body["fields"]["email"].is_string(), "{:#}", both.body);
    let neither = ask(&app, &json!({}), "198.51.100.8").await;
    assert_eq!(neither.body["fields"]["username"], "This field is required.");
}

#[tokio::test]
async fn a_newer_link_replaces_the_older_and_a_link_lapses_after_30_minutes() {
    let app = TestApp::spawn().await;
    let (username, address, _) = app.applicant_account().await;
    ask(&app, &json!({"username": username}), "198.51.100.9").await;
    ask(&app, &json!({"username": username}), "198.51.100.9").await;
    let tokens = reset_tokens(&app, &address).await;
    assert_eq!(tokens.len(), 2);
    assert_eq!(confirm(&app, &tokens[0], NEW_PASSWORD).await.body["error"], "invalid_reset_token", "replaced");

    app.clock.advance(time::Duration::minutes(31));
    assert_eq!(confirm(&app, &tokens[1], NEW_PASSWORD).await.body["error"], "invalid_reset_token", "lapsed");
    ask(&app, &json!({"username": username}), "198.51.100.9").await;
    let fresh = reset_tokens(&app, &address).await;
    assert_eq!(confirm(&app, fresh.last().unwrap(), NEW_PASSWORD).await.status, 200);
}

#[tokio::test]
async fn a_lapsed_temporary_password_is_recovered_without_an_operator() {
    let app = TestApp::spawn().await;
    let (username, temporary, address, _) = app.approved().await;
    app.clock.advance(time::Duration::days(8));
    assert_eq!(app.login(&username, &temporary).await.body["error"], "temporary_password_expired");
    ask(&app, &json!({"email": address}), "198.51.100.10").await;
    let tokens = reset_tokens(&app, &address).await;
    assert_eq!(confirm(&app, tokens.last().unwrap(), NEW_PASSWORD).await.status, 200);
    assert_eq!(app.login(&username, NEW_PASSWORD).await.body["status"], "authenticated", "no forced change after it");
}

#[tokio::test]
async fn requests_are_limited_per_account_and_per_address_and_never_lock_the_account() {
    let app = TestApp::spawn().await;
    let (username, address, _) = app.applicant_account().await;
    for attempt in 1..=3 {
        assert_eq!(ask(&app, &json!({"username": username}), "198.51.100.11").await.status, 202, "{attempt}");
    }
    let limited = ask(&app, &json!({"username": username}), "198.51.100.12").await;
    assert_eq!((limited.status, limited.body["error"].as_str()), (429, Some("rate_limited")));
    let retry: i64 = limited.headers["retry-after"].parse().unwrap();
    assert!((1..=900).contains(&retry), "{retry}");
    let unknown = format!("nobody.{}", unique());
    for _ in 0..3 {
        ask(&app, &json!({"username": unknown}), "198.51.100.13").await;
    }
    assert_eq!(ask(&app, &json!({"username": unknown}), "198.51.100.13").await.status, 429, "unknown ones alike");
    assert_eq!(app.login(&username, STRONG_PASSWORD).await.body["status"], "authenticated", "never locked");
    assert_eq!(reset_tokens(&app, &address).await.len(), 3);

    for n in 0..20 {
        let asked = ask(&app, &json!({"username": format!("someone.{n}.{}", unique())}), "203.0.113.5").await;
        assert_eq!(asked.status, 202, "{n}");
    }
    let flood = ask(&app, &json!({"username": username}), "203.0.113.5").await;
    assert_eq!(flood.status, 429, "the 21st from one address in 15 minutes");
    app.clock.advance(time::Duration::minutes(15));
    assert_eq!(ask(&app, &json!({"username": format!("x.{}", unique())}), "203.0.113.5").await.status, 202);
}
