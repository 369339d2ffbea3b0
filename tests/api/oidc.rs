//! The OpenID Connect provider through its handler: the code flow with PKCE from a relying
//! party's point of view (ID tokens verified with `jsonwebtoken` against the published JWKS, the
//! emulator's KMS signing them), and every refusal the issue names. The browser test drives the
//! same flow with `openid-client`, a certified relying-party library.

use accreditation::{
    ports::ProviderStore,
    services::clients::{NewClient, register_client},
};
use accreditation_tests::{ApiResponse, STRONG_PASSWORD, TestApp};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const REDIRECT: &str = "https://portal.example.it/oidc/callback";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk-verifier-of-the-tests";
const ISSUER: &str = "https://portal.example.org";

/// A registered relying party.
struct Rp {
    id: String,
    secret: Option<String>,
}

async fn relying_party(app: &TestApp, public: bool, redirect: &str) -> Rp {
    let new = NewClient {
        name: "Portale Servizi Lavoro",
        redirect_uris: vec![redirect.to_string()],
        post_logout_redirect_uris: vec![format!("{redirect}/logged-out")],
        public,
    };
    let (client, secret) = register_client(&app.legacy_store(), new, app.app.clock.now()).await.unwrap();
    Rp { id: client.client_id, secret: secret.map(|s| s.expose().to_string()) }
}

fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

fn query(pairs: &[(&str, &str)]) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (name, value) in pairs {
        query.append_pair(name, value);
    }
    query.finish()
}

/// `GET /oidc/authorize` for `rp` with PKCE, state and nonce, plus `extra`, with `cookies`.
async fn authorize(app: &TestApp, rp: &Rp, extra: &[(&str, &str)], cookies: &str) -> ApiResponse {
    let challenge = challenge(VERIFIER);
    let mut pairs = vec![
        ("response_type", "code"),
        ("client_id", rp.id.as_str()),
        ("redirect_uri", REDIRECT),
        ("scope", "openid profile email"),
        ("state", "state-1"),
        ("nonce", "nonce-1"),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    for (name, value) in extra {
        pairs.retain(|(n, _)| n != name);
        if !value.is_empty() {
            pairs.push((name, value));
        }
    }
    let headers: Vec<(&str, &str)> = if cookies.is_empty() { vec![] } else { vec![("cookie", cookies)] };
    app.oidc("GET", &format!("/oidc/authorize?{}", query(&pairs)), &headers, None).await
}

/// The value of the cookie `name` a response sets.
fn set_cookie(response: &ApiResponse, name: &str) -> Option<String> {
    let header = response.headers.get("set-cookie")?;
    header
        .lines()
        .find_map(|line| line.strip_prefix(&format!("{name}=")))
        .map(|rest| rest.split(';').next().unwrap().to_string())
}

/// The parameters of a redirect's query.
fn redirect_query(location: &str) -> std::collections::HashMap<String, String> {
    let query = location.split_once('?').map(|(_, q)| q).unwrap_or_default();
    form_urlencoded::parse(query.as_bytes()).into_owned().collect()
}

/// A login through the provider's page: authorize → login page → `/auth/login` → hand-over.
/// Answers the code and the single sign-on cookie (`__Host-sso=<value>`).
async fn sign_in(app: &TestApp, rp: &Rp, username: &str) -> (String, String) {
    let started = authorize(app, rp, &[], "").await;
    assert_eq!(started.status, 303, "{:#}", started.body);
    let location = &started.headers["location"];
    assert!(location.starts_with("https://portal.example.org/login?authorization="), "{location}");
    let authorization = redirect_query(location)["authorization"].clone();
    let browser = set_cookie(&started, "__Host-oidc-login").expect("the login's browser cookie");
    assert!(started.headers["set-cookie"].contains("Secure; HttpOnly; SameSite=Lax"), "{:?}", started.headers);
    let login = app.login(username, STRONG_PASSWORD).await;
    let token = login.body["token"].as_str().expect("a session").to_string();
    let cookie = format!("__Host-oidc-login={browser}");
    let handed = hand_over(app, &authorization, &cookie, &token).await;
    assert_eq!(handed.status, 200, "{:#}", handed.body);
    let redirect = handed.body["redirect_to"].as_str().unwrap();
    let params = redirect_query(redirect);
    assert!(redirect.starts_with(REDIRECT));
    assert_eq!((params["state"].as_str(), params["iss"].as_str()), ("state-1", ISSUER));
    let sso = set_cookie(&handed, "__Host-sso").expect("a single sign-on cookie");
    assert_eq!(
        app.post_with_token("/auth/mfa/enrol", &token).await.status,
        401,
        "the login's own session ends at the hand-over"
    );
    (params["code"].clone(), format!("__Host-sso={sso}"))
}

async fn hand_over(app: &TestApp, authorization: &str, cookie: &str, token: &str) -> ApiResponse {
    let auth = format!("Bearer {token}");
    let headers = [
        ("content-type", "application/json"),
        ("cookie", cookie),
        ("authorization", auth.as_str()),
        ("origin", ISSUER),
    ];
    app.oidc("POST", "/oidc/login", &headers, Some(&json!({ "authorization": authorization }).to_string())).await
}

/// `POST /oidc/token` with `form`, the client authenticated with Basic credentials (confidential)
/// or its `client_id` alone (public).
async fn token(app: &TestApp, rp: &Rp, form: &[(&str, &str)]) -> ApiResponse {
    let mut pairs = form.to_vec();
    let basic;
    let mut headers = vec![("content-type", "application/x-www-form-urlencoded")];
    match &rp.secret {
        Some(secret) => {
            basic =
                format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{}:{secret}", rp.id)));
            headers.push(("authorization", basic.as_str()));
        }
        None => pairs.push(("client_id", rp.id.as_str())),
    }
    app.oidc("POST", "/oidc/token", &headers, Some(&query(&pairs))).await
}

async fn exchange(app: &TestApp, rp: &Rp, code: &str) -> ApiResponse {
    token(
        app,
        rp,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ],
    )
    .await
}

async fn refresh(app: &TestApp, rp: &Rp, refresh_token: &Value) -> ApiResponse {
    token(app, rp, &[("grant_type", "refresh_token"), ("refresh_token", refresh_token.as_str().unwrap())]).await
}

/// The claims of an ID token, verified as a relying party does: signature by a published key
/// (by `kid`), issuer, audience, expiry.
async fn verified(app: &TestApp, id_token: &str, audience: &str) -> Result<Value, jsonwebtoken::errors::Error> {
    let jwks = app.oidc("GET", "/oidc/jwks", &[], None).await.body;
    let kid = jsonwebtoken::decode_header(id_token)?.kid.unwrap();
    let key = jwks["keys"].as_array().unwrap().iter().find(|k| k["kid"] == kid.as_str()).expect("the kid is published");
    let decoding = DecodingKey::from_rsa_components(key["n"].as_str().unwrap(), key["e"].as_str().unwrap())?;
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_issuer(&[ISSUER]);
    validation.set_audience(&[audience]);
    Ok(jsonwebtoken::decode::<Value>(id_token, &decoding, &validation)?.claims)
}

async fn userinfo(app: &TestApp, access_token: &Value) -> ApiResponse {
    let auth = format!("Bearer {}", access_token.as_str().unwrap());
    app.oidc("GET", "/oidc/userinfo", &[("authorization", auth.as_str())], None).await
}

#[tokio::test]
async fn discovery_names_every_endpoint_and_the_jwks_its_rsa_key() {
    let app = TestApp::spawn().await;
    let discovery = app.oidc("GET", "/.well-known/openid-configuration", &[], None).await;
    assert_eq!(discovery.status, 200);
    let meta = &discovery.body;
    assert_eq!(meta["issuer"], ISSUER);
    assert_eq!(meta["authorization_endpoint"], format!("{ISSUER}/oidc/authorize"));
    assert_eq!(meta["token_endpoint"], format!("{ISSUER}/oidc/token"));
    assert_eq!(meta["jwks_uri"], format!("{ISSUER}/oidc/jwks"));
    assert_eq!(meta["end_session_endpoint"], format!("{ISSUER}/oidc/logout"));
    assert_eq!(meta["response_types_supported"], json!(["code"]));
    assert_eq!(meta["code_challenge_methods_supported"], json!(["S256"]));
    assert_eq!(meta["id_token_signing_alg_values_supported"], json!(["RS256"]));
    assert_eq!(meta["subject_types_supported"], json!(["pairwise"]));
    assert_eq!(meta["scopes_supported"], json!(["openid", "profile", "email"]));
    let jwks = app.oidc("GET", "/oidc/jwks", &[], None).await;
    let keys = jwks.body["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!(
        (keys[0]["kty"].as_str(), keys[0]["alg"].as_str(), keys[0]["use"].as_str()),
        (Some("RSA"), Some("RS256"), Some("sig"))
    );
    assert_eq!(keys[0]["kid"].as_str().unwrap().len(), 43, "an RFC 7638 SHA-256 thumbprint");
    assert_eq!(keys[0]["e"], "AQAB");
}

#[tokio::test]
async fn a_person_signs_in_and_the_client_gets_verified_claims_userinfo_and_a_refresh() {
    let app = TestApp::spawn().await;
    let rp = relying_party(&app, false, REDIRECT).await;
    let (username, address, _) = app.applicant_account().await;
    let (code, _) = sign_in(&app, &rp, &username).await;
    let tokens = exchange(&app, &rp, &code).await;
    assert_eq!(tokens.status, 200, "{:#}", tokens.body);
    assert_eq!(tokens.body["token_type"], "Bearer");
    assert_eq!(tokens.body["scope"], "openid profile email");
    assert_eq!(tokens.headers["cache-control"], "no-store");
    let claims = verified(&app, tokens.body["id_token"].as_str().unwrap(), &rp.id).await.expect("a valid ID token");
    assert_eq!(claims["nonce"], "nonce-1");
    assert_eq!(claims["amr"], json!(["pwd"]));
    let subject = claims["sub"].as_str().unwrap();
    assert!(!subject.contains(&username) && !subject.contains(&address), "opaque subject");
    for claim in ["auth_time", "iat", "exp", "acr", "at_hash", "sid"] {
        assert!(!claims[claim].is_null(), "{claim} missing: {claims:#}");
    }
    let expected_at_hash =
        URL_SAFE_NO_PAD.encode(&Sha256::digest(tokens.body["access_token"].as_str().unwrap().as_bytes())[..16]);
    assert_eq!(claims["at_hash"], expected_at_hash);

    let info = userinfo(&app, &tokens.body["access_token"]).await;
    assert_eq!(info.status, 200, "{:#}", info.body);
    assert_eq!(info.body["sub"], subject);
    assert_eq!(info.body["email"], address);
    assert_eq!(info.body["email_verified"], true);
    let accreditation = &info.body["urn:it:lavoro:utente-estero:accreditation"];
    assert!(accreditation["reference"].as_str().unwrap().starts_with("UE-"), "{:#}", info.body);
    for claim in ["given_name", "family_name", "birthdate", "gender"] {
        assert!(info.body[claim].is_string(), "{claim}: {:#}", info.body);
    }
    for claim in ["citizenship", "state_of_birth", "state_of_residence", "identification_code", "approved_at"] {
        assert!(accreditation[claim].is_string(), "{claim}: {:#}", info.body);
    }
    assert_eq!(userinfo(&app, &json!("not-a-token")).await.status, 401);

    let refreshed = refresh(&app, &rp, &tokens.body["refresh_token"]).await;
    assert_eq!(refreshed.status, 200, "{:#}", refreshed.body);
    assert_ne!(refreshed.body["refresh_token"], tokens.body["refresh_token"], "rotated");
    let again = verified(&app, refreshed.body["id_token"].as_str().unwrap(), &rp.id).await.unwrap();
    assert_eq!((&again["sub"], &again["auth_time"]), (&claims["sub"], &claims["auth_time"]));
}

#[tokio::test]
async fn a_session_opened_with_a_password_alone_signs_in_as_a_password_login_after_a_totp_enrolment() {
    // RFC 8176: `amr` tells how the person authenticated for the session handed over, not what
    // their account can do by the time of the hand-over.
    let app = TestApp::spawn().await;
    let rp = relying_party(&app, false, REDIRECT).await;
    let (_, _, password_session) = app.applicant_account().await;
    let enrolment = app.post("/auth/mfa/enrol", Some(&password_session), &json!({})).await;
    assert_eq!(enrolment.body["status"], "mfa_enrolment_required", "{:#}", enrolment.body);
    let code = app.totp_code(enrolment.body["secret"].as_str().unwrap());
    let enrolled = app.second_factor(&enrolment.body["mfa_token"], &code).await;
    assert_eq!(enrolled.status, 200, "{:#}", enrolled.body);

    let started = authorize(&app, &rp, &[], "").await;
    let authorization = redirect_query(&started.headers["location"])["authorization"].clone();
    let cookie = format!("__Host-oidc-login={}", set_cookie(&started, "__Host-oidc-login").unwrap());
    let handed = hand_over(&app, &authorization, &cookie, &password_session).await;
    assert_eq!(handed.status, 200, "{:#}", handed.body);
    let code = redirect_query(handed.body["redirect_to"].as_str().unwrap())["code"].clone();
    let tokens = exchange(&app, &rp, &code).await;
    let claims = verified(&app, tokens.body["id_token"].as_str().unwrap(), &rp.id).await.expect("a valid ID token");
    assert_eq!(claims["amr"], json!(["pwd"]), "{claims:#}");
    assert_eq!(claims["acr"], "urn:it:lavoro:utente-estero:loa:password");

    // The session the enrolment opened was made with the code: it signs in with both factors.
    let started = authorize(&app, &rp, &[], "").await;
    let authorization = redirect_query(&started.headers["location"])["authorization"].clone();
    let cookie = format!("__Host-oidc-login={}", set_cookie(&started, "__Host-oidc-login").unwrap());
    let handed = hand_over(&app, &authorization, &cookie, enrolled.body["token"].as_str().unwrap()).await;
    let code = redirect_query(handed.body["redirect_to"].as_str().unwrap())["code"].clone();
    let tokens = exchange(&app, &rp, &code).await;
    let claims = verified(&app, tokens.body["id_token"].as_str().unwrap(), &rp.id).await.expect("a valid ID token");
    assert_eq!(claims["amr"], json!(["pwd", "otp", "mfa"]), "{claims:#}");
    assert_eq!(claims["acr"], "urn:it:lavoro:utente-estero:loa:two-factors");
}

#[tokio::test]
async fn subjects_are_pairwise_and_a_second_client_signs_in_through_the_single_sign_on() {
    let app = TestApp::spawn().await;
    let portal = relying_party(&app, false, REDIRECT).await;
    let other = relying_party(&app, true, REDIRECT.replace("portal.example.it", "altro.example.it").as_str()).await;
    let (username, _, _) = app.applicant_account().await;
    let (code, sso) = sign_in(&app, &portal, &username).await;
    let first = exchange(&app, &portal, &code).await;
    let first = verified(&app, first.body["id_token"].as_str().unwrap(), &portal.id).await.unwrap();

    let other_redirect = REDIRECT.replace("portal.example.it", "altro.example.it");
    let challenge = challenge(VERIFIER);
    let pairs = [
        ("response_type", "code"),
        ("client_id", other.id.as_str()),
        ("redirect_uri", other_redirect.as_str()),
        ("scope", "openid"),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
        ("prompt", "none"),
    ];
    let silent =
        app.oidc("GET", &format!("/oidc/authorize?{}", query(&pairs)), &[("cookie", sso.as_str())], None).await;
    assert_eq!(silent.status, 303);
    let code = redirect_query(&silent.headers["location"])["code"].clone();
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", other_redirect.as_str()),
        ("code_verifier", VERIFIER),
        ("client_id", other.id.as_str()),
    ];
    let second = app
        .oidc("POST", "/oidc/token", &[("content-type", "application/x-www-form-urlencoded")], Some(&query(&form)))
        .await;
    assert_eq!(second.status, 200, "a public client with PKCE: {:#}", second.body);
    let second = verified(&app, second.body["id_token"].as_str().unwrap(), &other.id).await.unwrap();
    assert_eq!(second["sid"], first["sid"], "the same single sign-on session");
    assert_ne!(second["sub"], first["sub"], "another sector, another subject");
    assert_eq!(second["auth_time"], first["auth_time"], "no new login");

    let login_again = authorize(&app, &portal, &[("prompt", "login")], &sso).await;
    assert!(login_again.headers["location"].contains("/login?authorization="), "prompt=login shows the login");
    app.clock.advance(time::Duration::seconds(120));
    let too_old = authorize(&app, &portal, &[("max_age", "60")], &sso).await;
    assert!(too_old.headers["location"].contains("/login?authorization="), "max_age: the login is too old");
    let recent = authorize(&app, &portal, &[("max_age", "600")], &sso).await;
    assert!(redirect_query(&recent.headers["location"]).contains_key("code"));
}

#[tokio::test]
async fn unknown_clients_and_unregistered_redirects_get_an_error_page_never_a_redirect() {
    let app = TestApp::spawn().await;
    let rp = relying_party(&app, false, REDIRECT).await;
    let unknown = authorize(&app, &Rp { id: "rp-unknown".into(), secret: None }, &[], "").await;
    assert_eq!(unknown.status, 400);
    assert!(!unknown.headers.contains_key("location"));
    assert!(unknown.body.as_str().unwrap().contains("invalid_request"));
    for redirect in ["https://attacker.example.com/cb", "https://portal.example.it/oidc/callback/", ""] {
        let refused = authorize(&app, &rp, &[("redirect_uri", redirect)], "").await;
        assert_eq!(refused.status, 400, "{redirect}");
        assert!(!refused.headers.contains_key("location"), "{redirect}");
    }
    let plain = authorize(&app, &rp, &[("code_challenge_method", "plain")], "").await;
    let params = redirect_query(&plain.headers["location"]);
    assert_eq!((params["error"].as_str(), params["state"].as_str()), ("invalid_request", "state-1"));
    let no_pkce = authorize(&app, &rp, &[("code_challenge", "")], "").await;
    assert_eq!(redirect_query(&no_pkce.headers["location"])["error"], "invalid_request");
    let none = authorize(&app, &rp, &[("prompt", "none")], "").await;
    let params = redirect_query(&none.headers["location"]);
    assert_eq!((params["error"].as_str(), params["state"].as_str()), ("login_required", "state-1"));
}

#[tokio::test]
async fn codes_need_their_verifier_work_once_and_lapse_after_a_minute() {
    let app = TestApp::spawn().await;
    let rp = relying_party(&app, false, REDIRECT).await;
    let (username, _, _) = app.applicant_account().await;

    let (code, _) = sign_in(&app, &rp, &username).await;
    let base = [("grant_type", "authorization_code"), ("code", code.as_str()), ("redirect_uri", REDIRECT)];
    let missing = token(&app, &rp, &base).await;
    assert_eq!((missing.status, missing.body["error"].as_str()), (400, Some("invalid_request")));
    let wrong = token(&app, &rp, &[&base[..], &[("code_verifier", "x".repeat(50).as_str())]].concat()).await;
    assert_eq!((wrong.status, wrong.body["error"].as_str()), (400, Some("invalid_grant")));
    let bad_secret = Rp { id: rp.id.clone(), secret: Some("not-the-secret".into()) };
    let refused = exchange(&app, &bad_secret, &code).await;
    assert_eq!((refused.status, refused.body["error"].as_str()), (401, Some("invalid_client")));
    assert!(refused.headers.contains_key("www-authenticate"));
    let first = exchange(&app, &rp, &code).await;
    assert_eq!(first.status, 200, "{:#}", first.body);
    let replayed = exchange(&app, &rp, &code).await;
    assert_eq!((replayed.status, replayed.body["error"].as_str()), (400, Some("invalid_grant")));
    assert_eq!(userinfo(&app, &first.body["access_token"]).await.status, 401, "the replay revoked the access token");
    assert_eq!(
        refresh(&app, &rp, &first.body["refresh_token"]).await.body["error"],
        "invalid_grant",
        "and the refresh token"
    );

    let (code, _) = sign_in(&app, &rp, &username).await;
    app.clock.advance(time::Duration::seconds(61));
    let expired = exchange(&app, &rp, &code).await;
    assert_eq!((expired.status, expired.body["error"].as_str()), (400, Some("invalid_grant")));
    let unsupported = token(&app, &rp, &[("grant_type", "password")]).await;
    assert_eq!(unsupported.body["error"], "unsupported_grant_type");
}

#[tokio::test]
async fn a_refresh_token_reused_after_rotation_revokes_its_family() {
    let app = TestApp::spawn().await;
    let rp = relying_party(&app, false, REDIRECT).await;
    let (username, _, _) = app.applicant_account().await;
    let (code, _) = sign_in(&app, &rp, &username).await;
    let tokens = exchange(&app, &rp, &code).await;
    let rotated = refresh(&app, &rp, &tokens.body["refresh_token"]).await;
    assert_eq!(rotated.status, 200);
    let reused = refresh(&app, &rp, &tokens.body["refresh_token"]).await;
    assert_eq!((reused.status, reused.body["error"].as_str()), (400, Some("invalid_grant")));
    let newest = refresh(&app, &rp, &rotated.body["refresh_token"]).await;
    assert_eq!(newest.body["error"], "invalid_grant", "the whole family is revoked: {:#}", newest.body);
    assert_eq!(userinfo(&app, &rotated.body["access_token"]).await.status, 401);
}

#[tokio::test]
async fn a_password_change_a_disabled_account_or_a_logout_end_refresh_and_single_sign_on() {
    let app = TestApp::spawn().await;
    let rp = relying_party(&app, false, REDIRECT).await;
    let (username, _, _) = app.applicant_account().await;

    // A password change.
    let (code, sso) = sign_in(&app, &rp, &username).await;
    let tokens = exchange(&app, &rp, &code).await;
    let session = app.login(&username, STRONG_PASSWORD).await.body["token"].as_str().unwrap().to_string();
    let change = json!({"current_password": STRONG_PASSWORD, "new_password": format!("{STRONG_PASSWORD}-2")});
    assert_eq!(app.post("/auth/password", Some(&session), &change).await.status, 200);
    assert_eq!(refresh(&app, &rp, &tokens.body["refresh_token"]).await.body["error"], "invalid_grant");
    let none = authorize(&app, &rp, &[("prompt", "none")], &sso).await;
    assert_eq!(redirect_query(&none.headers["location"])["error"], "login_required");

    // A disabled account (its credential renewed, as an administrator's disable does).
    let store = app.legacy_store();
    let mut account = accreditation::ports::AccountStore::account(
        &store,
        &accreditation::domain::Username::parse(&username).unwrap(),
    )
    .await
    .unwrap()
    .unwrap();
    let (code, sso) = {
        // Sign in again with the new password.
        let started = authorize(&app, &rp, &[], "").await;
        let authorization = redirect_query(&started.headers["location"])["authorization"].clone();
        let browser = set_cookie(&started, "__Host-oidc-login").unwrap();
        let login = app.login(&username, &format!("{STRONG_PASSWORD}-2")).await;
        let handed = hand_over(
            &app,
            &authorization,
            &format!("__Host-oidc-login={browser}"),
            login.body["token"].as_str().unwrap(),
        )
        .await;
        (
            redirect_query(handed.body["redirect_to"].as_str().unwrap())["code"].clone(),
            format!("__Host-sso={}", set_cookie(&handed, "__Host-sso").unwrap()),
        )
    };
    let tokens = exchange(&app, &rp, &code).await;
    assert_eq!(tokens.status, 200);
    account = accreditation::ports::AccountStore::account(&store, account.username()).await.unwrap().unwrap();
    let version = account.version();
    let disable = accreditation::domain::AccountEvent::Administered(accreditation::domain::AdminAction::Disable);
    account = account.apply(disable, accreditation::domain::Timestamp::now());
    accreditation::ports::AccountStore::save_account(&store, &account, version).await.unwrap();
    assert_eq!(refresh(&app, &rp, &tokens.body["refresh_token"]).await.body["error"], "invalid_grant");
    assert_eq!(userinfo(&app, &tokens.body["access_token"]).await.status, 401);
    let none = authorize(&app, &rp, &[("prompt", "none")], &sso).await;
    assert_eq!(redirect_query(&none.headers["location"])["error"], "login_required");
}

#[tokio::test]
async fn logout_ends_the_single_sign_on_and_returns_only_to_a_registered_uri() {
    let app = TestApp::spawn().await;
    let rp = relying_party(&app, false, REDIRECT).await;
    let (username, _, _) = app.applicant_account().await;
    let (code, sso) = sign_in(&app, &rp, &username).await;
    let tokens = exchange(&app, &rp, &code).await;
    let hint = tokens.body["id_token"].as_str().unwrap();
    let unregistered = query(&[("id_token_hint", hint), ("post_logout_redirect_uri", "https://attacker.example.com/")]);
    let refused = app.oidc("GET", &format!("/oidc/logout?{unregistered}"), &[("cookie", sso.as_str())], None).await;
    assert_eq!(refused.status, 400);
    assert!(!refused.headers.contains_key("location"));

    let back = format!("{REDIRECT}/logged-out");
    let logout = query(&[("id_token_hint", hint), ("post_logout_redirect_uri", back.as_str()), ("state", "bye")]);
    let done = app.oidc("GET", &format!("/oidc/logout?{logout}"), &[("cookie", sso.as_str())], None).await;
    assert_eq!(done.status, 303);
    assert_eq!(done.headers["location"], format!("{back}?state=bye"));
    assert!(done.headers["set-cookie"].contains("__Host-sso=; Path=/; Max-Age=0"));
    let none = authorize(&app, &rp, &[("prompt", "none")], &sso).await;
    assert_eq!(redirect_query(&none.headers["location"])["error"], "login_required");
    assert_eq!(refresh(&app, &rp, &tokens.body["refresh_token"]).await.body["error"], "invalid_grant");
}

#[tokio::test]
async fn the_hand_over_needs_the_browser_that_started_the_login() {
    let app = TestApp::spawn().await;
    let rp = relying_party(&app, false, REDIRECT).await;
    let (username, _, _) = app.applicant_account().await;
    let started = authorize(&app, &rp, &[], "").await;
    let authorization = redirect_query(&started.headers["location"])["authorization"].clone();
    let session = app.login(&username, STRONG_PASSWORD).await.body["token"].as_str().unwrap().to_string();
    let forged = hand_over(&app, &authorization, "__Host-oidc-login=another-browser", &session).await;
    assert_eq!((forged.status, forged.body["error"].as_str()), (400, Some("login_expired")));
    let auth = format!("Bearer {session}");
    let cross = app
        .oidc(
            "POST",
            "/oidc/login",
            &[
                ("content-type", "application/json"),
                ("origin", "https://attacker.example.com"),
                ("authorization", auth.as_str()),
            ],
            Some("{}"),
        )
        .await;
    assert_eq!(cross.status, 400);
}

#[tokio::test]
async fn during_a_key_rotation_both_keys_are_published_and_old_tokens_still_verify() {
    let app = TestApp::spawn().await;
    let rp = relying_party(&app, false, REDIRECT).await;
    let (username, _, _) = app.applicant_account().await;
    let (code, _) = sign_in(&app, &rp, &username).await;
    let old_token = exchange(&app, &rp, &code).await.body["id_token"].as_str().unwrap().to_string();

    let new_alias = format!("alias/rotated-{}", accreditation_tests::unique());
    accreditation::adapters::bootstrap::create_signing_key(&app.clients.kms, &new_alias).await.unwrap();
    let mut wiring = app.wiring.clone();
    wiring.config.oidc.previous_signing_key = wiring.config.oidc.signing_key.replace(new_alias);
    let rotated = wiring.provider().unwrap();
    let jwks = app.oidc_of(&rotated, "GET", "/oidc/jwks", &[], None).await.body;
    let kids: Vec<&str> = jwks["keys"].as_array().unwrap().iter().map(|k| k["kid"].as_str().unwrap()).collect();
    assert_eq!(kids.len(), 2);
    let old_kid = jsonwebtoken::decode_header(&old_token).unwrap().kid.unwrap();
    assert_eq!(kids[1], old_kid, "the previous key, second");

    let started = app
        .oidc_of(
            &rotated,
            "GET",
            &format!(
                "/oidc/authorize?{}",
                query(&[
                    ("response_type", "code"),
                    ("client_id", &rp.id),
                    ("redirect_uri", REDIRECT),
                    ("scope", "openid"),
                    ("code_challenge", &challenge(VERIFIER)),
                    ("code_challenge_method", "S256"),
                ])
            ),
            &[],
            None,
        )
        .await;
    let authorization = redirect_query(&started.headers["location"])["authorization"].clone();
    let browser = set_cookie(&started, "__Host-oidc-login").unwrap();
    let session = app.login(&username, STRONG_PASSWORD).await.body["token"].as_str().unwrap().to_string();
    let auth = format!("Bearer {session}");
    let cookie = format!("__Host-oidc-login={browser}");
    let headers = [("content-type", "application/json"), ("cookie", cookie.as_str()), ("authorization", auth.as_str())];
    let handed = app
        .oidc_of(&rotated, "POST", "/oidc/login", &headers, Some(&json!({"authorization": authorization}).to_string()))
        .await;
    let code = redirect_query(handed.body["redirect_to"].as_str().unwrap())["code"].clone();
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", rp.id, rp.secret.as_ref().unwrap()))
    );
    let form = query(&[
        ("grant_type", "authorization_code"),
        ("code", &code),
        ("redirect_uri", REDIRECT),
        ("code_verifier", VERIFIER),
    ]);
    let tokens = app
        .oidc_of(
            &rotated,
            "POST",
            "/oidc/token",
            &[("content-type", "application/x-www-form-urlencoded"), ("authorization", basic.as_str())],
            Some(&form),
        )
        .await;
    let new_token = tokens.body["id_token"].as_str().unwrap();
    assert_eq!(jsonwebtoken::decode_header(new_token).unwrap().kid.unwrap(), kids[0], "signed by the new key");
    for token in [new_token, old_token.as_str()] {
        let header = jsonwebtoken::decode_header(token).unwrap();
        let key = jwks["keys"].as_array().unwrap().iter().find(|k| k["kid"] == header.kid.as_deref().unwrap()).unwrap();
        let decoding =
            DecodingKey::from_rsa_components(key["n"].as_str().unwrap(), key["e"].as_str().unwrap()).unwrap();
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_audience(&[&rp.id]);
        jsonwebtoken::decode::<Value>(token, &decoding, &validation).expect("verifies against the published keys");
    }
    assert!(ProviderStore::client(&app.legacy_store(), &rp.id).await.unwrap().is_some());
}

#[tokio::test]
async fn an_id_token_with_a_changed_byte_is_refused() {
    let app = TestApp::spawn().await;
    let rp = relying_party(&app, false, REDIRECT).await;
    let (username, _, _) = app.applicant_account().await;
    let (code, _) = sign_in(&app, &rp, &username).await;
    let id_token = exchange(&app, &rp, &code).await.body["id_token"].as_str().unwrap().to_string();
    let (header, rest) = id_token.split_once('.').unwrap();
    let (payload, signature) = rest.split_once('.').unwrap();
    let mut claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    claims["sub"] = json!("someone-else");
    let forged = format!("{header}.{}.{signature}", URL_SAFE_NO_PAD.encode(claims.to_string()));
    assert!(verified(&app, &forged, &rp.id).await.is_err());
    let mut bytes = id_token.into_bytes();
    let last = bytes.len() - 5;
    bytes[last] = if bytes[last] == b'A' { b'B' } else { b'A' };
    assert!(verified(&app, &String::from_utf8(bytes).unwrap(), &rp.id).await.is_err());
}

#[tokio::test]
async fn an_administrator_rotates_a_secret_or_disables_a_client() {
    let app = TestApp::spawn().await;
    let rp = relying_party(&app, false, REDIRECT).await;
    let (username, _, _) = app.applicant_account().await;
    let (code, _) = sign_in(&app, &rp, &username).await;
    // client_secret_post works as well as Basic.
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
        ("code_verifier", VERIFIER),
        ("client_id", rp.id.as_str()),
        ("client_secret", rp.secret.as_deref().unwrap()),
    ];
    let posted = app
        .oidc("POST", "/oidc/token", &[("content-type", "application/x-www-form-urlencoded")], Some(&query(&form)))
        .await;
    assert_eq!(posted.status, 200, "{:#}", posted.body);

    let store = app.legacy_store();
    let new_secret = accreditation::services::clients::rotate_secret(&store, &rp.id).await.unwrap();
    let (code, _) = sign_in(&app, &rp, &username).await;
    assert_eq!(exchange(&app, &rp, &code).await.body["error"], "invalid_client", "the old secret no longer works");
    let rotated = Rp { id: rp.id.clone(), secret: Some(new_secret.expose().to_string()) };
    assert_eq!(exchange(&app, &rotated, &code).await.status, 200);

    accreditation::services::clients::set_disabled(&store, &rp.id, true).await.unwrap();
    let refused = authorize(&app, &rp, &[], "").await;
    assert_eq!(refused.status, 400, "a disabled client gets the error page");
    assert!(!refused.headers.contains_key("location"));
    let listed = ProviderStore::clients(&store).await.unwrap();
    assert!(listed.iter().any(|client| client.client_id == rp.id && client.disabled));
}
