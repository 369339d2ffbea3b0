//! `POST /auth/login` and `POST /auth/password`: uniform refusals, lockouts, expiry, tokens.

use accreditation_tests::{STRONG_PASSWORD, TestApp, valid_form};
use serde_json::json;
use time::Duration;

#[tokio::test]
async fn wrong_username_and_wrong_password_get_the_same_answer() {
    let app = TestApp::spawn().await;
    let (username, _, _, _) = app.approved().await;
    let wrong_password = app.login(&username, "not the password").await;
    let unknown_user = app.login("nobody.here", "not the password").await;
    let malformed_user = app.login("not a username!", "x").await;
    for response in [&wrong_password, &unknown_user, &malformed_user] {
        assert_eq!(response.status, 401);
        assert_eq!(response.body, wrong_password.body);
    }
    assert_eq!(wrong_password.body["error"], "invalid_credentials");
    let missing = app.post("/auth/login", None, &json!({"username": username})).await;
    assert_eq!((missing.status, missing.body["error"].as_str()), (400, Some("validation_failed")));
    assert!(missing.body["fields"]["password"].is_string());
}

#[tokio::test]
async fn five_failures_lock_with_a_growing_delay_and_a_success_resets() {
    let app = TestApp::spawn().await;
    let (username, temporary, _, _) = app.approved().await;
    for _ in 0..5 {
        assert_eq!(app.login(&username, "wrong password").await.status, 401);
    }
    let locked = app.login(&username, &temporary).await;
    assert_eq!((locked.status, locked.body["error"].as_str()), (429, Some("account_locked")));
    assert_eq!(locked.headers["retry-after"], "60");

    app.clock.advance(Duration::seconds(61));
    assert_eq!(app.login(&username, "wrong again").await.status, 401);
    let relocked = app.login(&username, &temporary).await;
    assert_eq!(relocked.status, 429);
    assert_eq!(relocked.headers["retry-after"], "120", "the sixth failure doubles the lock");

    app.clock.advance(Duration::seconds(121));
    let ok = app.login(&username, &temporary).await;
    assert_eq!(ok.body["status"], "password_change_required", "{:#}", ok.body);
    for _ in 0..4 {
        assert_eq!(app.login(&username, "wrong password").await.status, 401);
    }
    assert_eq!(app.login(&username, "wrong password").await.status, 401, "the success reset the count");
    assert_eq!(app.login(&username, &temporary).await.status, 429);
}

#[tokio::test]
async fn unknown_usernames_lock_too_so_locks_reveal_nothing() {
    let app = TestApp::spawn().await;
    for _ in 0..5 {
        assert_eq!(app.login("nobody.at.all", "guess").await.status, 401);
    }
    assert_eq!(app.login("nobody.at.all", "guess").await.status, 429);
}

#[tokio::test]
async fn an_expired_temporary_password_says_so_and_reissued_credentials_work() {
    let app = TestApp::spawn().await;
    let (username, temporary, address, id) = app.approved().await;
    app.clock.advance(Duration::days(7) + Duration::minutes(1));
    let expired = app.login(&username, &temporary).await;
    assert_eq!((expired.status, expired.body["error"].as_str()), (401, Some("temporary_password_expired")));
    let wrong = app.login(&username, "not it").await;
    assert_eq!(wrong.body["error"], "invalid_credentials", "only the right password learns it expired");

    let operator = app.operator_session().await;
    let reissued = app.post(&format!("/operator/requests/{id}/reissue-credentials"), Some(&operator), &json!({})).await;
    assert_eq!(reissued.status, 200, "{:#}", reissued.body);
    let (again, fresh) = app.credentials_sent_to(&address).await;
    assert_eq!(again, username);
    assert_ne!(fresh, temporary);
    assert_eq!(app.login(&username, &fresh).await.body["status"], "password_change_required");
    assert_eq!(app.login(&username, &temporary).await.body["error"], "invalid_credentials");
}

#[tokio::test]
async fn reissue_is_refused_once_the_applicant_chose_a_password() {
    let app = TestApp::spawn().await;
    let (username, temporary, _, id) = app.approved().await;
    let first = app.login(&username, &temporary).await;
    let token = first.body["change_token"].as_str().unwrap();
    assert_eq!(
        app.post("/auth/password", None, &json!({"change_token": token, "new_password": STRONG_PASSWORD})).await.status,
        200
    );
    let operator = app.operator_session().await;
    let refused = app.post(&format!("/operator/requests/{id}/reissue-credentials"), Some(&operator), &json!({})).await;
    assert_eq!((refused.status, refused.body["error"].as_str()), (409, Some("credentials_already_used")));
}

#[tokio::test]
async fn a_change_token_lapses_after_15_minutes() {
    let app = TestApp::spawn().await;
    let (username, temporary, _, _) = app.approved().await;
    let first = app.login(&username, &temporary).await;
    app.clock.advance(Duration::minutes(16));
    let late = app
        .post(
            "/auth/password",
            None,
            &json!({"change_token": first.body["change_token"], "new_password": STRONG_PASSWORD}),
        )
        .await;
    assert_eq!((late.status, late.body["error"].as_str()), (401, Some("invalid_change_token")));
}

#[tokio::test]
async fn a_session_changes_the_password_with_the_current_one() {
    let app = TestApp::spawn().await;
    let (username, temporary, _, _) = app.approved().await;
    let first = app.login(&username, &temporary).await;
    let session = app
        .post(
            "/auth/password",
            None,
            &json!({"change_token": first.body["change_token"], "new_password": STRONG_PASSWORD}),
        )
        .await;
    let token = session.body["token"].as_str().unwrap();
    let next = "Lungomare di Napoli al tramonto 2026";
    let wrong_current =
        app.post("/auth/password", Some(token), &json!({"current_password": "nope", "new_password": next})).await;
    assert_eq!(wrong_current.status, 401);
    let same = app
        .post(
            "/auth/password",
            Some(token),
            &json!({"current_password": STRONG_PASSWORD, "new_password": STRONG_PASSWORD}),
        )
        .await;
    assert_eq!(same.body["reasons"], json!(["same_as_current"]));
    let changed = app
        .post("/auth/password", Some(token), &json!({"current_password": STRONG_PASSWORD, "new_password": next}))
        .await;
    assert_eq!(changed.status, 200, "{:#}", changed.body);
    assert_eq!(app.login(&username, next).await.body["status"], "authenticated");
    let no_session = app.post("/auth/password", None, &json!({"current_password": next, "new_password": "x"})).await;
    assert_eq!((no_session.status, no_session.body["error"].as_str()), (401, Some("unauthorized")));
}

#[tokio::test]
async fn activation_links_instead_of_passwords_when_configured() {
    let app = TestApp::spawn_with(&[("CREDENTIALS_DELIVERY", "activation_link")]).await;
    let form = valid_form();
    let address = form["email"].as_str().unwrap().to_string();
    let created = app.submitted_request(&form).await;
    let operator = app.operator_session().await;
    assert_eq!(
        app.post(&format!("/operator/requests/{}/approve", created.id), Some(&operator), &json!({})).await.status,
        200
    );
    let emails = app.emails_to(&address).await;
    let body = emails.last().unwrap()["body"].as_str().unwrap().to_string();
    assert!(accreditation_tests::line_value(&body, "Temporary password").is_none());
    let link = accreditation_tests::line_value(&body, "Activation link").expect("an activation link");
    let token = link.split_once("#activation=").unwrap().1;
    let set = app.post("/auth/password", None, &json!({"change_token": token, "new_password": STRONG_PASSWORD})).await;
    assert_eq!(set.status, 200, "{:#}", set.body);
    let again =
        app.post("/auth/password", None, &json!({"change_token": token, "new_password": STRONG_PASSWORD})).await;
    assert_eq!(again.status, 401, "single use");
}

#[tokio::test]
async fn a_password_typed_in_decomposed_unicode_logs_in_as_it_was_chosen() {
    let app = TestApp::spawn().await;
    let (username, temporary, _, _) = app.approved().await;
    let first = app.login(&username, &temporary).await;
    let decomposed = "Cafe\u{301} verde lontano molto 9";
    let body = json!({"change_token": first.body["change_token"], "new_password": decomposed});
    let changed = app.post("/auth/password", None, &body).await;
    assert_eq!(changed.status, 200, "{:#}", changed.body);
    assert_eq!(app.login(&username, decomposed).await.body["status"], "authenticated", "typed the same way");
    let composed = "Caf\u{e9} verde lontano molto 9";
    assert_eq!(app.login(&username, composed).await.body["status"], "authenticated", "or composed");
    let token = app.login(&username, composed).await.body["token"].as_str().unwrap().to_string();
    let next = "Lungomare di Napoli al tramonto 2026";
    let by_session =
        app.post("/auth/password", Some(&token), &json!({"current_password": decomposed, "new_password": next})).await;
    assert_eq!(by_session.status, 200, "the current password is normalised too: {:#}", by_session.body);
}

#[tokio::test]
async fn parallel_guesses_get_no_more_password_checks_than_the_lockout_allows() {
    use accreditation::services::auth::{AuthError, Login};
    let app = TestApp::spawn().await;
    let (username, _, _, _) = app.approved().await;
    let guesses = (0..20).map(|i| {
        let auth = app.app.auth.clone();
        let login = Login { username: username.clone(), password: format!("wrong guess {i}").into(), source_ip: None };
        tokio::spawn(async move { auth.login(login).await })
    });
    let mut checked = 0;
    let mut locked = 0;
    for guess in guesses.collect::<Vec<_>>() {
        match guess.await.unwrap() {
            Err(AuthError::InvalidCredentials) => checked += 1,
            Err(AuthError::Locked(_)) => locked += 1,
            other => panic!("{:?}", other.map(|_| "a session")),
        }
    }
    assert!(checked <= 5, "{checked} passwords were checked: the lockout allows 5");
    assert_eq!(checked + locked, 20);
}

#[tokio::test]
async fn an_older_change_token_is_void_once_the_password_is_set() {
    let app = TestApp::spawn().await;
    let (username, temporary, _, _) = app.approved().await;
    let first = app.login(&username, &temporary).await.body["change_token"].clone();
    let second = app.login(&username, &temporary).await.body["change_token"].clone();
    let set = app.post("/auth/password", None, &json!({"change_token": second, "new_password": STRONG_PASSWORD})).await;
    assert_eq!(set.status, 200, "{:#}", set.body);
    let stale = app
        .post(
            "/auth/password",
            None,
            &json!({"change_token": first, "new_password": "Lungomare di Napoli al tramonto 2026"}),
        )
        .await;
    assert_eq!((stale.status, stale.body["error"].as_str()), (401, Some("invalid_change_token")));
    assert_eq!(app.login(&username, STRONG_PASSWORD).await.body["status"], "authenticated", "the password stands");
}

#[tokio::test]
async fn re_issued_credentials_void_the_change_tokens_of_the_old_ones() {
    let app = TestApp::spawn().await;
    let (username, temporary, address, id) = app.approved().await;
    let old_token = app.login(&username, &temporary).await.body["change_token"].clone();
    let operator = app.operator_session().await;
    let reissued = app.post(&format!("/operator/requests/{id}/reissue-credentials"), Some(&operator), &json!({})).await;
    assert_eq!(reissued.status, 200, "{:#}", reissued.body);
    let stale =
        app.post("/auth/password", None, &json!({"change_token": old_token, "new_password": STRONG_PASSWORD})).await;
    assert_eq!((stale.status, stale.body["error"].as_str()), (401, Some("invalid_change_token")));
    let (_, fresh) = app.credentials_sent_to(&address).await;
    let token = app.login(&username, &fresh).await.body["change_token"].clone();
    let set = app.post("/auth/password", None, &json!({"change_token": token, "new_password": STRONG_PASSWORD})).await;
    assert_eq!(set.status, 200, "the new credentials' token works: {:#}", set.body);
}

#[tokio::test]
async fn a_login_tells_when_and_from_where_the_previous_one_came() {
    let app = TestApp::spawn().await;
    let (username, temporary, _, _) = app.approved().await;
    let first = app.login(&username, &temporary).await;
    let change = json!({"change_token": first.body["change_token"], "new_password": STRONG_PASSWORD});
    let changed = app.post("/auth/password", None, &change).await;
    assert!(changed.body.get("previous_login").is_none(), "a first access has none");
    assert!(changed.body["token"].is_string());
    let login = |ip: &'static str| {
        let mut event = accreditation_tests::api_event(
            "POST",
            "/auth/login",
            &[("content-type", "application/json")],
            Some(&json!({"username": username, "password": STRONG_PASSWORD}).to_string()),
        );
        event["requestContext"]["http"]["sourceIp"] = json!(ip);
        event
    };
    let second = accreditation_tests::invoke_function(&app.app, "auth", &login("198.51.100.20")).await;
    assert!(second.body["previous_login"]["at"].is_string(), "{:#}", second.body);
    app.clock.advance(time::Duration::minutes(1));
    let third = accreditation_tests::invoke_function(&app.app, "auth", &login("203.0.113.9")).await;
    assert_eq!(third.body["previous_login"]["ip"], "198.51.100.20", "{:#}", third.body);
    assert_ne!(third.body["previous_login"]["at"], second.body["previous_login"]["at"]);
}
