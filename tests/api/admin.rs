//! `admin operator disable|enable|unlock|reset-mfa`: a disabled operator's sessions end at once
//! and stay ended, an unlock lifts the lock, a reset of the second factor makes the next login
//! enrol again; each action is in the account's audit trail.

use accreditation::{
    domain::{AdminAction, Username},
    ports::AccountStore,
    services::account_admin::{AdminError, administer},
};
use accreditation_tests::{STRONG_PASSWORD, TestApp};

async fn act(app: &TestApp, username: &str, action: AdminAction) -> Result<(), AdminError> {
    let store = app.legacy_store();
    let username = Username::parse(username).unwrap();
    administer(&store, &store, app.app.clock.as_ref(), &username, action, "ops.maria").await.map(|_| ())
}

#[tokio::test]
async fn a_disabled_operator_is_out_at_once_and_an_enabled_one_logs_in_anew() {
    let app = TestApp::spawn().await;
    let operator = app.operator_account().await;
    assert_eq!(app.get("/operator/requests", Some(&operator.token)).await.status, 200);

    act(&app, &operator.username, AdminAction::Disable).await.unwrap();
    assert_eq!(app.get("/operator/requests", Some(&operator.token)).await.status, 401, "the session ended at once");
    let refused = app.login(&operator.username, STRONG_PASSWORD).await;
    assert_eq!((refused.status, refused.body["error"].as_str()), (401, Some("invalid_credentials")));

    act(&app, &operator.username, AdminAction::Enable).await.unwrap();
    assert_eq!(app.get("/operator/requests", Some(&operator.token)).await.status, 401, "ended sessions stay ended");
    let token = app.operator_login(&operator).await;
    assert_eq!(app.get("/operator/requests", Some(&token)).await.status, 200);

    let applicant = app.approved().await.0;
    assert!(matches!(act(&app, &applicant, AdminAction::Disable).await, Err(AdminError::NotAnOperator(_))));
    assert!(matches!(act(&app, "nobody.here", AdminAction::Unlock).await, Err(AdminError::NoAccount(_))));

    let audit = app.legacy_store().account_audit(&Username::parse(&operator.username).unwrap()).await.unwrap();
    let actions: Vec<(AdminAction, &str)> = audit.iter().map(|e| (e.action, e.actor.as_str())).collect();
    assert_eq!(actions, [(AdminAction::Disable, "ops.maria"), (AdminAction::Enable, "ops.maria")]);
}

#[tokio::test]
async fn an_unlock_lifts_the_lock_and_a_reset_second_factor_is_enrolled_again() {
    let app = TestApp::spawn().await;
    let operator = app.operator_account().await;
    for _ in 0..5 {
        app.login(&operator.username, "not the password").await;
    }
    assert_eq!(app.login(&operator.username, STRONG_PASSWORD).await.status, 429);
    act(&app, &operator.username, AdminAction::Unlock).await.unwrap();
    let token = app.operator_login(&operator).await;

    act(&app, &operator.username, AdminAction::ResetMfa).await.unwrap();
    assert_eq!(app.get("/operator/requests", Some(&token)).await.status, 401, "sessions end with the second factor");
    let login = app.login(&operator.username, STRONG_PASSWORD).await;
    assert_eq!(login.body["status"], "mfa_enrolment_required", "{:#}", login.body);
    assert_ne!(login.body["secret"].as_str().unwrap(), operator.secret, "a new secret");
    let audit = app.legacy_store().account_audit(&Username::parse(&operator.username).unwrap()).await.unwrap();
    assert_eq!(audit.iter().map(|e| e.action).collect::<Vec<_>>(), [AdminAction::Unlock, AdminAction::ResetMfa]);
}
