//! `make bench`: micro-benchmarks of the work every call repeats, each through the project's own
//! public functions: reading a `POST /requests` body into the domain command (valid, and refused
//! with every field wrong), signing an S3 upload policy, issuing and verifying a session token,
//! recognising an uploaded document by its first bytes, and the PKCE check of the token endpoint.
//!
//! Usage: cargo bench -p accreditation --bench hot_paths [-- <divan options>]

// A benchmark: a failed unwrap is a failed run, reported with its place.
#![allow(clippy::unwrap_used)]

use accreditation::{
    adapters::post_policy::{SigningCredentials, UploadRules, signed_fields},
    domain::{
        Authentication, DocumentType, EidasCountries, FormRules, Role, SNIFF_BYTES, Timestamp, Username,
        oidc::pkce_matches,
    },
    http::{ApiError, header_text, json_object, source_ip},
    schema::{UPLOAD_PENDING, UPLOAD_STATE_TAG},
    services::{applicant::Submission, sessions::Sessions},
};
use divan::{Bencher, black_box};
use lambda_http::{Body, Request, http::header};
use secrecy::SecretString;
use serde_json::{Value, json};
use time::{Duration, macros::datetime};

fn main() {
    divan::main();
}

/// A complete, valid form as the page sends it (the integration tests' `valid_form`).
fn valid_form() -> Value {
    json!({
        "name": "Maria", "surname": "D'Angelo", "email": "maria.k7q2x9@example.org",
        "phone": "+16175550100", "pec": null, "other_phone": null, "birth_country": "US",
        "birth_date": "1990-04-01", "identification_code": "XK7Q2X9",
        "gender": "F", "citizenship": "US", "residence_country": "US",
        "address": {"city": "Boston", "street": "Main Street", "number": "12"},
        "privacy_consent": true, "language": "en", "captcha_token": "03AFcWeA6xQm1v-pass-token",
        "document": {"content_type": "image/png", "size": 2048}
    })
}

/// A form with every field wrong, one unknown field besides (the core's own "every wrong field"
/// test).
fn invalid_form() -> Value {
    json!({
        "name": "M4ria", "surname": "", "email": "not-an-email", "phone": "12345", "pec": "bad",
        "other_phone": "+0", "birth_country": "XX", "birth_date": "1990-02-30",
        "identification_code": "RSSMRA85T10A562S", "gender": "Q", "citizenship": "DE",
        "residence_country": "usa", "address": {"city": "", "street": 5, "colour": "red"},
        "privacy_consent": false, "language": "it", "captcha_token": "",
        "document": {"content_type": "image/gif", "size": 4_000_000}, "extra": 1
    })
}

/// `POST /requests` as the requests function receives it.
fn post_requests(form: &Value) -> Request {
    lambda_http::http::Request::builder()
        .method("POST")
        .uri("https://api.example.org/requests")
        .header(header::CONTENT_TYPE, "application/json")
        .header("idempotency-key", "6f1c2a9e-3b7d-4e5f-8a1b-2c3d4e5f6a7b")
        .body(Body::from(form.to_string()))
        .unwrap()
}

/// The requests function's reading of `POST /requests`: the JSON body, the idempotency key and
/// the form parsed against today's rules (the rules as `ApplicantService::form_rules` makes them).
fn read_submission(request: &Request, eidas: &EidasCountries) -> Submission {
    let rules = FormRules { today: Timestamp::now().datetime().date(), eidas };
    let body = json_object(request).unwrap();
    let key = header_text(request, "idempotency-key");
    Submission::read(&body.raw, &body.object, key, source_ip(request), &rules).unwrap()
}

/// Submission parsing: body to `ApplicationForm`, every check passing.
#[divan::bench]
fn submission_valid(bencher: Bencher) {
    let request = post_requests(&valid_form());
    let eidas = EidasCountries::shipped();
    bencher.bench(|| {
        let submission = read_submission(black_box(&request), &eidas);
        assert!(submission.form.is_ok());
        submission
    });
}

/// Submission parsing refused: every field error collected, then the `400` answer built in the
/// applicant's language.
#[divan::bench]
fn submission_every_field_wrong(bencher: Bencher) {
    let request = post_requests(&invalid_form());
    let eidas = EidasCountries::shipped();
    bencher.bench(|| {
        let invalid = read_submission(black_box(&request), &eidas).form.unwrap_err();
        ApiError::from(invalid).into_response()
    });
}

/// One S3 POST upload policy: the policy document, its base64 and its SigV4 signature.
#[divan::bench]
fn upload_policy_signed() -> usize {
    let now = datetime!(2026-03-01 09:30 UTC);
    let tagging = format!(
        "<Tagging><TagSet><Tag><Key>{UPLOAD_STATE_TAG}</Key><Value>{UPLOAD_PENDING}</Value></Tag></TagSet></Tagging>"
    );
    let rules = UploadRules {
        bucket: "accreditation-documents-prod",
        key: "uploads/0b6d3c1e-8f4a-4c2b-9e7d-1a2b3c4d5e6f/9f86d081884c7d659a2feaa0c55ad015",
        content_type: DocumentType::Png,
        tagging: &tagging,
        expires_at: now + Duration::minutes(15),
        now,
        region: "eu-south-1",
    };
    let credentials = SigningCredentials {
        access_key_id: "ASIAIOSFODNN7EXAMPLE",
        secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        session_token: Some("IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKENaWQtZWFzdC0xIkcwRQIhAKEXAMPLE"),
    };
    signed_fields(black_box(&rules), black_box(&credentials)).len()
}

/// The session keys of one stage.
fn sessions() -> Sessions {
    Sessions::new(
        SecretString::from("k3y-0f-at-least-32-bytes-for-hs256-signing"),
        "https://accreditation.example.org",
        "accreditation-api",
    )
}

/// A session token issued at login (HS256 JWT with a random id).
#[divan::bench]
fn session_issued(bencher: Bencher) {
    let sessions = sessions();
    let username = Username::parse("olga.kowalska").unwrap();
    bencher.bench(|| {
        sessions.issue(black_box(&username), Role::Applicant, Authentication::Password, Timestamp::now()).unwrap()
    });
}

/// A session token verified, as the authorizer does on every call.
#[divan::bench]
fn session_verified(bencher: Bencher) {
    let sessions = sessions();
    let username = Username::parse("olga.kowalska").unwrap();
    let (session, _) = sessions.issue(&username, Role::Operator, Authentication::Password, Timestamp::now()).unwrap();
    bencher.bench(|| sessions.verify(black_box(&session.token), Timestamp::now()).unwrap());
}

/// The first bytes of a real file of each kind, padded to what the acceptance check reads.
fn first_bytes(kind: &str) -> Vec<u8> {
    let magic: &[u8] = match kind {
        "pdf" => b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n",
        "jpeg" => b"\xff\xd8\xff\xe0\0\x10JFIF\0\x01\x01\0\0\x01\0\x01\0\0",
        "png" => b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0",
        "exe" => b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff\0\0",
        "html" => b"<!DOCTYPE html><html><body>hello</body></html>",
        other => panic!("no sample for {other}"),
    };
    let mut bytes = magic.to_vec();
    bytes.resize(SNIFF_BYTES as usize, b' ');
    bytes
}

/// The magic-byte check of an upload: three accepted kinds, a known refused one (a Windows
/// executable) and one no matcher recognises (HTML).
#[divan::bench(args = ["pdf", "jpeg", "png", "exe", "html"])]
fn document_sniffed(bencher: Bencher, kind: &str) {
    let bytes = first_bytes(kind);
    bencher.bench(|| DocumentType::sniff(black_box(&bytes)));
}

/// The token endpoint's PKCE check (S256) of an authorization code's verifier.
#[divan::bench]
fn pkce_checked() -> bool {
    // RFC 7636, appendix B.
    pkce_matches(
        black_box("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"),
        black_box("dBjftJeZ4CVP-mJ92K9D7T0j2sbyNbTA7vlx9JqTQ4Y"),
    )
}
