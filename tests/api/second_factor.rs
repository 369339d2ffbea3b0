//! Operators' second factor: an authenticator enrolled before any session (the secret sealed in
//! the table), then a code or a single-use recovery code at every login; a wrong or replayed code
//! is `401 invalid_code` and counts as a failed login.

use accreditation_tests::{STRONG_PASSWORD, TestApp, line_value, unique};
use serde_json::json;

#[tokio::test]
async fn an_operator_enrols_an_authenticator_before_any_session() {
    let app = TestApp::spawn().await;
    let username = format!("op.{}", unique());
    let address = format!("{username}@assistenza.example.it");
    accreditation::services::operator::create_operator(
        app.app.accounts.as_ref(),
        &app.app.postman,
        app.app.clock.as_ref(),
        accreditation::domain::Username::parse(&username).unwrap(),
        accreditation::domain::Email::parse(&address).unwrap(),
        accreditation::domain::Language::En,
    )
    .await
    .unwrap();
    let body = app.emails_to(&address).await.last().unwrap()["body"].as_str().unwrap().to_string();
    let temporary = line_value(&body, "Temporary password").unwrap();
    let first = app.login(&username, &temporary).await;
    let change = json!({"change_token": first.body["change_token"], "new_password": STRONG_PASSWORD});
    let enrolment = app.post("/auth/password", None, &change).await;
    assert_eq!(enrolment.status, 200, "{:#}", enrolment.body);
    assert_eq!(enrolment.body["status"], "mfa_enrolment_required");
    assert!(enrolment.body.get("token").is_none(), "no session before the second factor");
    let secret = enrolment.body["secret"].as_str().unwrap();
    assert!(
        secret.len() >= 32 && secret.chars().all(|c| c.is_ascii_uppercase() || ('2'..='7').contains(&c)),
        "{secret}"
    );
    let uri = enrolment.body["otpauth_uri"].as_str().unwrap();
    assert!(uri.starts_with(&format!("otpauth://totp/Utente%20Estero:{username}?")) && uri.contains(secret), "{uri}");
    assert!(enrolment.body["qr_svg"].as_str().unwrap().starts_with("<svg"));
    assert_eq!(enrolment.body["expires_in"], 300);

    let wrong = app.second_factor(&enrolment.body["mfa_token"], "000000").await;
    assert_eq!((wrong.status, wrong.body["error"].as_str()), (401, Some("invalid_code")));
    let done = app.second_factor(&enrolment.body["mfa_token"], &app.totp_code(secret)).await;
    assert_eq!(done.status, 200, "{:#}", done.body);
    assert_eq!((done.body["status"].as_str(), done.body["role"].as_str()), (Some("authenticated"), Some("operator")));
    let codes = done.body["recovery_codes"].as_array().unwrap();
    assert_eq!(codes.len(), 10);
    let token = done.body["token"].as_str().unwrap();
    assert_eq!(app.get("/operator/requests", Some(token)).await.status, 200);

    let dump =
        serde_json::to_string(&app.all_items().await.iter().map(accreditation_tests::dynamo_json).collect::<Vec<_>>())
            .unwrap();
    assert!(!dump.contains(secret), "the TOTP secret is not in the table");
    assert!(codes.iter().all(|code| !dump.contains(code.as_str().unwrap())), "nor are the recovery codes");
    let reused = app.second_factor(&enrolment.body["mfa_token"], &app.totp_code(secret)).await;
    assert_eq!(reused.status, 401, "the enrolment's token worked once");
}

#[tokio::test]
async fn every_login_needs_a_fresh_code_or_an_unused_recovery_code() {
    let app = TestApp::spawn().await;
    let operator = app.operator_account().await;
    app.clock.advance(time::Duration::seconds(30));
    let login = app.login(&operator.username, STRONG_PASSWORD).await;
    assert_eq!(login.body["status"], "second_factor_required", "{:#}", login.body);
    assert!(login.body.get("token").is_none() && login.body["expires_in"] == 300);
    let code = app.totp_code(&operator.secret);
    assert_eq!(app.second_factor(&login.body["mfa_token"], &code).await.status, 200);

    let again = app.login(&operator.username, STRONG_PASSWORD).await;
    let replayed = app.second_factor(&again.body["mfa_token"], &code).await;
    assert_eq!(
        (replayed.status, replayed.body["error"].as_str()),
        (401, Some("invalid_code")),
        "a code is accepted once"
    );
    let recovered = app.second_factor(&again.body["mfa_token"], &operator.recovery_codes[0].to_uppercase()).await;
    assert_eq!(recovered.status, 200, "{:#}", recovered.body);
    assert!(recovered.body.get("recovery_codes").is_none());
    let third = app.login(&operator.username, STRONG_PASSWORD).await;
    let used = app.second_factor(&third.body["mfa_token"], &operator.recovery_codes[0]).await;
    assert_eq!(used.body["error"], "invalid_code", "a recovery code works once");

    app.clock.advance(time::Duration::minutes(6));
    let lapsed = app.second_factor(&third.body["mfa_token"], &app.totp_code(&operator.secret)).await;
    assert_eq!((lapsed.status, lapsed.body["error"].as_str()), (401, Some("invalid_mfa_token")));
}

#[tokio::test]
async fn wrong_codes_count_as_failed_logins_and_lock() {
    let app = TestApp::spawn().await;
    let operator = app.operator_account().await;
    let login = app.login(&operator.username, STRONG_PASSWORD).await;
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(app.second_factor(&login.body["mfa_token"], "999999").await.status);
    }
    assert_eq!(statuses, [401, 401, 401, 401, 429], "the password and four wrong codes: five failures");
    let locked = app.login(&operator.username, STRONG_PASSWORD).await;
    assert_eq!((locked.status, locked.body["error"].as_str()), (429, Some("account_locked")));
    assert!(locked.headers.contains_key("retry-after"));
}

#[tokio::test]
async fn an_applicant_may_turn_the_second_factor_on() {
    let app = TestApp::spawn().await;
    // Applicants need no second factor: the first change opens a session.
    let (username, _, token) = app.applicant_account().await;
    let token = token.as_str();

    let nobody = app.post("/auth/mfa/enrol", None, &json!({})).await;
    assert_eq!((nobody.status, nobody.body["error"].as_str()), (401, Some("unauthorized")));
    let enrolment = app.post("/auth/mfa/enrol", Some(token), &json!({})).await;
    assert_eq!(enrolment.body["status"], "mfa_enrolment_required", "{:#}", enrolment.body);
    let secret = enrolment.body["secret"].as_str().unwrap().to_string();
    let done = app.second_factor(&enrolment.body["mfa_token"], &app.totp_code(&secret)).await;
    assert_eq!(done.status, 200, "{:#}", done.body);
    assert_eq!(done.body["recovery_codes"].as_array().unwrap().len(), 10);
    let again = app.post("/auth/mfa/enrol", Some(done.body["token"].as_str().unwrap()), &json!({})).await;
    assert_eq!((again.status, again.body["error"].as_str()), (409, Some("already_enrolled")));

    app.clock.advance(time::Duration::seconds(30));
    let login = app.login(&username, STRONG_PASSWORD).await;
    assert_eq!(login.body["status"], "second_factor_required", "{:#}", login.body);
    let code = app.totp_code(&secret);
    assert_eq!(app.second_factor(&login.body["mfa_token"], &code).await.body["role"], "applicant");
}

#[tokio::test]
async fn only_a_fresh_login_may_add_an_authenticator() {
    // ASVS 3.7.1: a session stolen later in its life cannot add the thief's authenticator.
    let app = TestApp::spawn().await;
    let (username, _, token) = app.applicant_account().await;
    app.clock.advance(time::Duration::seconds(5 * 60 + 1));
    let stale = app.post("/auth/mfa/enrol", Some(&token), &json!({})).await;
    assert_eq!(
        (stale.status, stale.body["error"].as_str()),
        (401, Some("reauthentication_required")),
        "{:#}",
        stale.body
    );
    assert!(stale.headers.contains_key("www-authenticate"));

    let login = app.login(&username, STRONG_PASSWORD).await;
    let fresh = app.post("/auth/mfa/enrol", login.body["token"].as_str(), &json!({})).await;
    assert_eq!(fresh.body["status"], "mfa_enrolment_required", "{:#}", fresh.body);
}
