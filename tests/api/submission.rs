//! `POST /requests`: validation, CAPTCHA, eIDAS, duplicates, idempotency and HTTP errors.

use accreditation_tests::{TestApp, valid_form};
use serde_json::{Value, json};

fn reference_is_well_formed(reference: &str) -> bool {
    let parts: Vec<&str> = reference.split('-').collect();
    parts.len() == 3
        && parts[0] == "UE"
        && parts[1].len() == 4
        && parts[2].len() == 6
        && parts[2].bytes().all(|b| b.is_ascii_digit())
}

#[tokio::test]
async fn a_valid_form_creates_a_request_awaiting_its_document() {
    let app = TestApp::spawn().await;
    let form = valid_form();
    let created = app.submit(&form).await;
    let body = &created.body;

    assert_eq!(body["status"], "awaiting_document");
    assert!(reference_is_well_formed(body["reference"].as_str().unwrap()), "{}", body["reference"]);
    assert_eq!(created.token.len(), 43, "256-bit base64url token");
    let upload = &body["upload"];
    assert_eq!(upload["method"], "POST");
    assert_eq!(upload["url"], format!("{}/{}", app.endpoint, app.bucket));
    let key = upload["fields"]["key"].as_str().unwrap();
    assert!(key.starts_with(&format!("uploads/{}/", created.id)), "{key}");
    assert!(!key.contains(body["reference"].as_str().unwrap()), "key not derived from the reference");
    assert_eq!(upload["fields"]["Content-Type"], "image/png");
    for field in ["policy", "x-amz-signature", "x-amz-credential", "x-amz-date", "x-amz-algorithm", "tagging"] {
        assert!(upload["fields"][field].is_string(), "missing {field}");
    }

    let stored = app.raw_item(&format!("REQ#{}", created.id), "META").await.expect("request stored");
    let stored_text = format!("{stored:?}");
    assert!(!stored_text.contains(&created.token), "the access token is stored only as a hash");
    assert_eq!(stored["consent"].as_m().unwrap()["privacy_notice_version"].as_s().unwrap(), "2026-11-test");
    assert!(stored["consent"].as_m().unwrap()["at"].as_s().is_ok(), "consent time recorded");
    assert!(stored.contains_key("ttl"), "awaiting a document, the request expires by TTL");
}

#[tokio::test]
async fn references_are_unique_and_increasing() {
    let app = TestApp::spawn().await;
    let first = app.submit(&valid_form()).await.body["reference"].as_str().unwrap().to_string();
    let second = app.submit(&valid_form()).await.body["reference"].as_str().unwrap().to_string();
    assert!(first < second, "{first} < {second}");
}

#[tokio::test]
async fn every_wrong_field_is_reported_at_once_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    let body = json!({
        "name": "M4ria", "surname": "", "email": "maria@", "phone": "617 555 0100", "pec": "pec@", "other_phone": "12",
        "birth_country": "USA", "birth_date": "1990-02-30", "identification_code": "RSSMRA85T10A562S",
        "gender": "female", "citizenship": "ZZ", "residence_country": "us",
        "address": {"city": " ", "street": "<b>Main</b>", "number": ""},
        "privacy_consent": "yes", "language": "en", "captcha_token": "",
        "document": {"content_type": "image/gif", "size": 0}
    });
    let response = app.post_json("/requests", &body).await;
    assert_eq!(response.status, 400);
    assert_eq!(response.body["error"], "validation_failed");
    let fields: Vec<&str> = response.body["fields"].as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        fields,
        [
            "address.city",
            "address.number",
            "address.street",
            "birth_country",
            "birth_date",
            "captcha_token",
            "citizenship",
            "document.content_type",
            "document.size",
            "email",
            "gender",
            "identification_code",
            "name",
            "other_phone",
            "pec",
            "phone",
            "privacy_consent",
            "residence_country",
            "surname",
        ]
    );
    assert!(app.all_items().await.is_empty(), "a refused form writes nothing");
}

#[tokio::test]
async fn each_validation_rule_refuses_its_field() {
    let app = TestApp::spawn().await;
    let cases: Vec<(&str, Value, &str)> = vec![
        ("name", json!("Maria2"), "name"),
        ("name", json!("a".repeat(101)), "name"),
        ("surname", json!(null), "surname"),
        ("email", json!("maria at example.org"), "email"),
        ("email", json!("Maria <maria@example.org>"), "email"),
        ("phone", json!("+0039061234"), "phone"),
        ("phone", json!(16175550100u64), "phone"),
        ("pec", json!("not-an-address"), "pec"),
        ("other_phone", json!("06 1234"), "other_phone"),
        ("birth_country", json!("XK1"), "birth_country"),
        ("birth_date", json!("2999-01-01"), "birth_date"),
        ("birth_date", json!("1899-12-31"), "birth_date"),
        ("birth_date", json!("01/04/1990"), "birth_date"),
        ("identification_code", json!("AB#123"), "identification_code"),
        ("gender", json!("m"), "gender"),
        ("citizenship", json!("Germany"), "citizenship"),
        ("residence_country", json!("XX"), "residence_country"),
        ("address", json!("Main Street 12, Boston"), "address"),
        ("language", json!("de"), "language"),
        ("document", json!({"content_type": "application/pdf", "size": 3_145_729}), "document.size"),
        ("document", json!({"content_type": "text/html", "size": 10}), "document.content_type"),
        ("captcha_token", json!(null), "captcha_token"),
        ("unexpected", json!("x"), "unexpected"),
    ];
    for (field, value, reported) in cases {
        let mut form = valid_form();
        form[field] = value.clone();
        let response = app.post_json("/requests", &form).await;
        assert_eq!(response.status, 400, "{field}={value}: {:#}", response.body);
        let fields = response.body["fields"].as_object().unwrap();
        assert_eq!(fields.keys().collect::<Vec<_>>(), [reported], "{field}={value}");
    }
}

#[tokio::test]
async fn optional_fields_and_unicode_names_are_accepted() {
    let app = TestApp::spawn().await;
    let mut form = valid_form();
    form["name"] = json!("Zoë Ngũgĩ");
    form["surname"] = json!("O’Brien-Łukasiewicz");
    form["pec"] = json!("maria@pec.example.it");
    form["other_phone"] = json!("+39 06 1234 5678");
    form["gender"] = json!("X");
    let created = app.submit(&form).await;

    let operator = app.operator_session().await;
    let view = app.get(&format!("/operator/requests/{}", created.id), Some(&operator)).await;
    assert_eq!(view.status, 200, "{:#}", view.body);
    let applicant = &view.body["applicant"];
    assert_eq!(applicant["name"], "Zoë Ngũgĩ");
    assert_eq!(applicant["surname"], "O’Brien-Łukasiewicz");
    assert_eq!(applicant["pec"], "maria@pec.example.it");
    assert_eq!(applicant["other_phone"], "+390612345678", "stored in E.164");
    assert_eq!(applicant["gender"], "X");
}

#[tokio::test]
async fn missing_privacy_consent_is_refused() {
    let app = TestApp::spawn().await;
    for consent in [json!(false), json!(null)] {
        let mut form = valid_form();
        form["privacy_consent"] = consent;
        let response = app.post_json("/requests", &form).await;
        assert_eq!(response.status, 400);
        assert!(response.body["fields"]["privacy_consent"].as_str().unwrap().contains("privacy notice"));
    }
    let mut form = valid_form();
    form.as_object_mut().unwrap().remove("privacy_consent");
    assert_eq!(app.post_json("/requests", &form).await.status, 400);
}

#[tokio::test]
async fn a_failed_captcha_is_refused_and_writes_nothing() {
    let app = TestApp::spawn().await;
    for token in ["bad-token", "low-score", "wrong-action", "wrong-host"] {
        let mut form = valid_form();
        form["captcha_token"] = json!(token);
        let response = app.post_json("/requests", &form).await;
        assert_eq!(response.status, 400, "{token}");
        assert_eq!(response.body["error"], "captcha_failed", "{token}");
        assert!(response.body["fields"]["captcha_token"].is_string());
    }
    assert!(app.all_items().await.is_empty());
}

#[tokio::test]
async fn the_wrong_captcha_secret_fails_every_submission() {
    let app = TestApp::spawn_with(&[("CAPTCHA_SECRET", "not-the-secret")]).await;
    let response = app.post_json("/requests", &valid_form()).await;
    assert_eq!(response.body["error"], "captcha_failed");
}

#[tokio::test]
async fn citizens_of_eidas_countries_are_sent_to_eidas() {
    let app = TestApp::spawn().await;
    let mut form = valid_form();
    form["citizenship"] = json!("DE");
    let response = app.post_json("/requests", &form).await;
    assert_eq!(response.status, 400);
    let message = response.body["fields"]["citizenship"].as_str().unwrap();
    assert!(message.contains("Germany") && message.contains("eIDAS"), "{message}");

    form["language"] = json!("it");
    let response = app.post_json("/requests", &form).await;
    let message = response.body["fields"]["citizenship"].as_str().unwrap();
    assert!(message.starts_with("I cittadini di Germany") && message.contains("eIDAS"), "{message}");
}

#[tokio::test]
async fn operators_can_override_the_eidas_list() {
    let app = TestApp::spawn_with(&[("EIDAS_COUNTRIES", "US,BR")]).await;
    let response = app.post_json("/requests", &valid_form()).await;
    assert_eq!(response.status, 400);
    assert!(response.body["fields"]["citizenship"].as_str().unwrap().contains("United States"));
    let mut german = valid_form();
    german["citizenship"] = json!("DE");
    app.submit(&german).await;
}

#[tokio::test]
async fn an_italian_fiscal_code_is_refused() {
    let app = TestApp::spawn().await;
    let mut form = valid_form();
    form["identification_code"] = json!("rssmra85t10a562s");
    let response = app.post_json("/requests", &form).await;
    assert_eq!(response.status, 400);
    assert!(response.body["fields"]["identification_code"].as_str().unwrap().contains("SPID"));
}

#[tokio::test]
async fn a_second_active_request_is_refused_without_a_word_of_the_first_whose_owner_is_emailed_once() {
    let app = TestApp::spawn().await;
    let first_form = valid_form();
    let first = app.submit(&first_form).await;
    let reference = first.body["reference"].as_str().unwrap().to_string();
    let owner = first_form["email"].as_str().unwrap();

    let mut same_document = valid_form();
    same_document["identification_code"] = first_form["identification_code"].clone();
    let response = app.post_json("/requests", &same_document).await;
    assert_eq!(response.status, 409);
    assert_eq!(response.body["error"], "duplicate_request");
    let keys: Vec<&String> = response.body.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["error", "message"], "nothing of the active request is told: {:#}", response.body);
    assert!(!response.body.to_string().contains(&reference));

    let mut same_email = valid_form();
    same_email["email"] = json!(owner.to_uppercase());
    let response = app.post_json("/requests", &same_email).await;
    assert_eq!((response.status, response.body.get("reference")), (409, None));

    app.sweep().await;
    let told = app.emails_to(owner).await;
    assert_eq!(told.len(), 1, "two attempts, one email to the owner in a day");
    let body = told[0]["body"].as_str().unwrap();
    assert!(body.contains(&reference), "{body}");
    for attempt in [&same_document, &same_email] {
        let sent_to = attempt["email"].as_str().unwrap().to_lowercase();
        if sent_to != owner.to_lowercase() {
            assert!(app.emails_to(&sent_to).await.is_empty(), "the second submitter hears nothing by email");
        }
    }

    app.clock.advance(time::Duration::hours(25));
    let mut again = valid_form();
    again["email"] = json!(owner);
    // The first request lapsed meanwhile (24 hours without a document): this one is accepted.
    assert_eq!(app.post_json("/requests", &again).await.status, 201);

    let mut other_country = valid_form();
    other_country["identification_code"] = first_form["identification_code"].clone();
    other_country["citizenship"] = json!("BR");
    app.submit(&other_country).await;
}

#[tokio::test]
async fn concurrent_submissions_of_one_person_create_exactly_one_request() {
    let app = TestApp::spawn().await;
    let form = valid_form();
    let submit = || app.post_json("/requests", &form);
    let (a, b, c, d, e) = tokio::join!(submit(), submit(), submit(), submit(), submit());
    let responses = [a, b, c, d, e];
    let statuses: Vec<u16> = responses.iter().map(|r| r.status).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 409).count(), 4, "{statuses:?}");
}

#[tokio::test]
async fn a_retried_post_with_the_same_idempotency_key_returns_the_original_response() {
    let app = TestApp::spawn().await;
    let body = valid_form().to_string();
    let headers = [("content-type", "application/json"), ("idempotency-key", "6f1c3a52-8a4e-4f5b-9a57-3f4c1d2e9b10")];
    let first = app.call("POST", "/requests", &headers, Some(&body)).await;
    let retry = app.call("POST", "/requests", &headers, Some(&body)).await;
    assert_eq!(first.status, 201);
    assert_eq!(retry.status, 201);
    assert_eq!(retry.body, first.body, "same id, reference, token and upload");
    let requests = app.all_items().await.into_iter().filter(|i| i["SK"].as_s().unwrap() == "META").count();
    assert_eq!(requests, 1);
    let stored = format!("{:?}", app.all_items().await);
    assert!(!stored.contains(first.body["access_token"].as_str().unwrap()), "the replayable response is stored sealed");

    let other_body = valid_form().to_string();
    let reused = app.call("POST", "/requests", &headers, Some(&other_body)).await;
    assert_eq!(reused.status, 422);
    assert_eq!(reused.body["error"], "idempotency_key_reused");

    let short = [("content-type", "application/json"), ("idempotency-key", "abc")];
    assert_eq!(app.call("POST", "/requests", &short, Some(&body)).await.body["error"], "invalid_idempotency_key");
}

#[tokio::test]
async fn concurrent_retries_with_one_idempotency_key_all_get_the_original_response() {
    let app = TestApp::spawn().await;
    let body = valid_form().to_string();
    let headers = [("content-type", "application/json"), ("idempotency-key", "0d4e9f8a-5b6c-4d7e-8f90-a1b2c3d4e5f6")];
    let retry = || app.call("POST", "/requests", &headers, Some(&body));
    let (a, b, c, d) = tokio::join!(retry(), retry(), retry(), retry());
    let responses = [a, b, c, d];
    for response in &responses {
        assert_eq!(response.status, 201, "{:#}", response.body);
        assert_eq!(response.body, responses[0].body);
    }
}

#[tokio::test]
async fn malformed_http_requests_get_specific_json_errors() {
    let app = TestApp::spawn().await;
    let form = valid_form().to_string();

    let plain = app.call("POST", "/requests", &[("content-type", "text/plain")], Some(&form)).await;
    assert_eq!((plain.status, plain.body["error"].as_str()), (415, Some("unsupported_media_type")));
    let missing = app.call("POST", "/requests", &[], Some(&form)).await;
    assert_eq!(missing.status, 415);

    let json_header = [("content-type", "application/json; charset=utf-8")];
    let huge = format!("{{\"name\": \"{}\"}}", "a".repeat(65 * 1024));
    let too_large = app.call("POST", "/requests", &json_header, Some(&huge)).await;
    assert_eq!((too_large.status, too_large.body["error"].as_str()), (413, Some("payload_too_large")));

    let broken = app.call("POST", "/requests", &json_header, Some("{\"name\": ")).await;
    assert_eq!((broken.status, broken.body["error"].as_str()), (400, Some("invalid_json")));
    let array = app.call("POST", "/requests", &json_header, Some("[1, 2]")).await;
    assert_eq!((array.status, array.body["error"].as_str()), (400, Some("invalid_json")));

    let put = app.call("PUT", "/requests", &json_header, Some(&form)).await;
    assert_eq!((put.status, put.body["error"].as_str()), (405, Some("method_not_allowed")));
    assert_eq!(put.headers["allow"], "POST");
    let delete = app.call("DELETE", "/requests/0b8f1a52-3c4d-4e5f-8a9b-1c2d3e4f5a6b", &[], None).await;
    assert_eq!((delete.status, delete.headers["allow"].as_str()), (405, "GET"));

    let nowhere = app.call("GET", "/nowhere", &[], None).await;
    assert_eq!((nowhere.status, nowhere.body["error"].as_str()), (404, Some("not_found")));
    for response in [plain, too_large, broken, put, nowhere] {
        assert_eq!(response.headers["content-type"], "application/json; charset=utf-8");
        assert!(response.body["message"].is_string());
    }
}
