//! Abuse: limits per source address and per identity on submission, login, password reset and
//! status lookup (`429 rate_limited` with `Retry-After`), and a lockout that a stranger cannot
//! turn against an account's owner.

use accreditation_tests::{ApiResponse, STRONG_PASSWORD, TestApp, api_event, invoke_function, valid_form};
use serde_json::{Value, json};
use time::Duration;

/// `method path` of `function` with `body`, from the client address `ip`.
async fn from(app: &TestApp, ip: &str, function: &str, method: &str, path: &str, body: Option<&Value>) -> ApiResponse {
    let body = body.map(Value::to_string);
    let mut event = api_event(method, path, &[("content-type", "application/json")], body.as_deref());
    event["requestContext"]["http"]["sourceIp"] = json!(ip);
    invoke_function(&app.app, function, &event).await
}

fn assert_limited(response: &ApiResponse, window: i64) {
    assert_eq!((response.status, response.body["error"].as_str()), (429, Some("rate_limited")), "{:#}", response.body);
    let retry: i64 = response.headers["retry-after"].parse().unwrap();
    assert!((1..=window).contains(&retry), "Retry-After {retry} within the {window} s window");
}

#[tokio::test]
async fn submissions_are_limited_per_source_address_and_per_email() {
    let app = TestApp::spawn_with(&[("RATE_LIMITS", "submission_address=3/3600,submission_email=2/3600")]).await;
    let submit = |ip: &'static str, form: Value| {
        let app = &app;
        async move { from(app, ip, "requests", "POST", "/requests", Some(&form)).await }
    };
    for _ in 0..3 {
        assert_eq!(submit("198.51.100.1", valid_form()).await.status, 201);
    }
    assert_limited(&submit("198.51.100.1", valid_form()).await, 3600);
    assert_eq!(submit("198.51.100.2", valid_form()).await.status, 201, "another address is not limited");

    let form = valid_form();
    assert_eq!(submit("198.51.100.3", form.clone()).await.status, 201);
    let mut same_email = valid_form();
    same_email["email"] = form["email"].clone();
    assert_eq!(submit("198.51.100.4", same_email.clone()).await.status, 409);
    assert_limited(&submit("198.51.100.5", same_email.clone()).await, 3600);

    app.clock.advance(Duration::hours(1));
    assert_eq!(submit("198.51.100.1", valid_form()).await.status, 201, "a new window");
}

#[tokio::test]
async fn status_lookups_are_limited_per_request_and_per_source_address() {
    let app = TestApp::spawn_with(&[("RATE_LIMITS", "status_request=3/900,status_address=3/900")]).await;
    let first = app.submit(&valid_form()).await;
    let second = app.submit(&valid_form()).await;
    let look = |ip: &'static str, submitted: &accreditation_tests::Submitted| {
        let mut event = api_event(
            "GET",
            &format!("/requests/{}", submitted.id),
            &[("authorization", &format!("Bearer {}", submitted.token))],
            None,
        );
        event["requestContext"]["http"]["sourceIp"] = json!(ip);
        let app = &app;
        async move { invoke_function(&app.app, "requests", &event).await }
    };
    for ip in ["198.51.100.1", "198.51.100.2", "198.51.100.3"] {
        assert_eq!(look(ip, &first).await.status, 200);
    }
    assert_limited(&look("198.51.100.4", &first).await, 900);
    assert_eq!(look("198.51.100.1", &second).await.status, 200, "another request is not limited");
    let wrong = accreditation_tests::Submitted { token: "not the token".into(), ..second.clone() };
    assert_eq!(look("198.51.100.1", &wrong).await.status, 404, "a wrong token counts too");
    assert_limited(&look("198.51.100.1", &second).await, 900);

    app.clock.advance(Duration::minutes(15));
    assert_eq!(look("198.51.100.1", &first).await.status, 200);
}

#[tokio::test]
async fn a_strangers_failures_lock_the_stranger_not_the_owner() {
    let app = TestApp::spawn().await;
    let (username, _, _) = app.applicant_account().await;
    let login = |ip: &'static str, password: &'static str| {
        let body = json!({"username": username, "password": password});
        let app = &app;
        async move { from(app, ip, "auth", "POST", "/auth/login", Some(&body)).await }
    };
    for _ in 0..5 {
        assert_eq!(login("198.51.100.66", "a stranger's guess").await.status, 401);
    }
    let stranger = login("198.51.100.66", STRONG_PASSWORD).await;
    assert_eq!((stranger.status, stranger.body["error"].as_str()), (429, Some("account_locked")));
    let retry_after: u32 = stranger.headers["retry-after"].parse().unwrap();
    assert!((1..=60).contains(&retry_after), "the first lock lasts a minute, not {retry_after} s");

    let owner = login("203.0.113.50", STRONG_PASSWORD).await;
    assert_eq!((owner.status, owner.body["status"].as_str()), (200, Some("authenticated")), "{:#}", owner.body);
    let stranger = login("198.51.100.66", STRONG_PASSWORD).await;
    assert_eq!(stranger.status, 429, "the owner's success does not unlock the stranger");
}

#[tokio::test]
async fn logins_are_limited_per_source_address_and_per_username_from_anywhere() {
    let app = TestApp::spawn_with(&[("RATE_LIMITS", "login_account=7/900,login_address=4/900")]).await;
    // The limits count in windows of 900 s: start at one's beginning, so that no count is split.
    let now = accreditation::ports::Clock::now(&*app.clock);
    app.clock.advance(Duration::seconds(900 - now.unix().rem_euclid(900)));
    let (username, _, _) = app.applicant_account().await;
    let login = |ip: String, username: String, password: &'static str| {
        let body = json!({"username": username, "password": password});
        let app = &app;
        async move { from(app, &ip, "auth", "POST", "/auth/login", Some(&body)).await }
    };
    // Password spraying from one address: four tries, then 429 whatever the username.
    for name in ["anna.rossi", "marco.verdi", "luca.neri", "sara.blu"] {
        assert_eq!(login("198.51.100.7".into(), name.into(), "Password1!").await.status, 401);
    }
    assert_limited(&login("198.51.100.7".into(), "piero.viola".into(), "Password1!").await, 900);

    // A distributed guesser: each address stays under its lockout, the username's ceiling holds.
    for i in 0..5 {
        let answer = login(format!("192.0.2.{i}"), username.clone(), "a distributed guess").await;
        assert_eq!(answer.status, 401, "{:#}", answer.body);
    }
    let owner = login("203.0.113.80".into(), username.clone(), STRONG_PASSWORD).await;
    assert_eq!(owner.status, 200, "the seventh attempt at the username (one was the first login) is still allowed");
    assert_limited(&login("203.0.113.81".into(), username.clone(), STRONG_PASSWORD).await, 900);
    app.clock.advance(Duration::minutes(15));
    assert_eq!(login("203.0.113.81".into(), username, STRONG_PASSWORD).await.status, 200, "for one window only");
}
