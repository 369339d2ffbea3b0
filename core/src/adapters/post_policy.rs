//! S3 browser uploads: a POST policy signed with Signature Version 4 (the Rust SDK presigns only
//! single requests, not POST policies). S3 itself refuses an upload whose key, content type or size
//! breaks the policy.

use std::{collections::BTreeMap, time::SystemTime};

use base64::{Engine, engine::general_purpose::STANDARD};
use serde_json::json;
use time::{OffsetDateTime, macros::format_description};

use crate::domain::{DocumentType, MAX_DOCUMENT_BYTES};

/// The signing algorithm S3 expects in the form.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// The credentials a policy is signed with (in Lambda: the function role's temporary keys).
pub struct SigningCredentials<'a> {
    /// Access key id.
    pub access_key_id: &'a str,
    /// Secret access key.
    pub secret_access_key: &'a str,
    /// Session token of temporary credentials.
    pub session_token: Option<&'a str>,
}

/// What one upload may be.
pub struct UploadRules<'a> {
    /// Target bucket.
    pub bucket: &'a str,
    /// The exact object key.
    pub key: &'a str,
    /// The exact `Content-Type` the file must be sent with.
    pub content_type: DocumentType,
    /// The `tagging` XML attached to the object.
    pub tagging: &'a str,
    /// When the policy stops working.
    pub expires_at: OffsetDateTime,
    /// Signing time.
    pub now: OffsetDateTime,
    /// The bucket's region.
    pub region: &'a str,
}

/// The form fields of a signed POST upload (without the file).
pub fn signed_fields(rules: &UploadRules<'_>, credentials: &SigningCredentials<'_>) -> BTreeMap<String, String> {
    let date = rules.now.format(format_description!("[year][month][day]")).unwrap_or_default();
    let amz_date =
        rules.now.format(format_description!("[year][month][day]T[hour][minute][second]Z")).unwrap_or_default();
    let credential = format!("{}/{date}/{}/s3/aws4_request", credentials.access_key_id, rules.region);
    let expiration = rules
        .expires_at
        .format(format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].000Z"))
        .unwrap_or_default();

    let mut fields = BTreeMap::from([
        ("key".to_string(), rules.key.to_string()),
        ("Content-Type".to_string(), rules.content_type.mime().to_string()),
        ("tagging".to_string(), rules.tagging.to_string()),
        ("x-amz-algorithm".to_string(), ALGORITHM.to_string()),
        ("x-amz-credential".to_string(), credential),
        ("x-amz-date".to_string(), amz_date),
    ]);
    if let Some(token) = credentials.session_token {
        fields.insert("x-amz-security-token".to_string(), token.to_string());
    }

    let mut conditions = vec![json!({"bucket": rules.bucket}), json!(["content-length-range", 1, MAX_DOCUMENT_BYTES])];
    conditions.extend(fields.iter().map(|(name, value)| json!({ name: value })));
    let policy = STANDARD.encode(json!({"expiration": expiration, "conditions": conditions}).to_string());
    let signature = policy_signature(credentials.secret_access_key, rules.now.into(), rules.region, &policy);
    fields.insert("policy".to_string(), policy);
    fields.insert("x-amz-signature".to_string(), signature);
    fields
}

/// The SigV4 signature of a base64 policy: HMAC-SHA256 with the date/region/`s3` signing key.
pub fn policy_signature(secret_access_key: &str, time: SystemTime, region: &str, base64_policy: &str) -> String {
    let key = aws_sigv4::sign::v4::generate_signing_key(secret_access_key, time, region, "s3");
    aws_sigv4::sign::v4::calculate_signature(key, base64_policy.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;
    use time::macros::datetime;

    /// From "Example: Browser-Based Upload using HTTP POST (Using AWS Signature Version 4)",
    /// Amazon S3 API Reference (sigv4-post-example).
    const AWS_SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    const AWS_POLICY: &str = "eyAiZXhwaXJhdGlvbiI6ICIyMDE1LTEyLTMwVDEyOjAwOjAwLjAwMFoiLA0KICAiY29uZGl0aW9ucyI6IFsNCiAgICB7ImJ1Y2tldCI6ICJzaWd2NGV4YW1wbGVidWNrZXQifSwNCiAgICBbInN0YXJ0cy13aXRoIiwgIiRrZXkiLCAidXNlci91c2VyMS8iXSwNCiAgICB7ImFjbCI6ICJwdWJsaWMtcmVhZCJ9LA0KICAgIHsic3VjY2Vzc19hY3Rpb25fcmVkaXJlY3QiOiAiaHR0cDovL3NpZ3Y0ZXhhbXBsZWJ1Y2tldC5zMy5hbWF6b25hd3MuY29tL3N1Y2Nlc3NmdWxfdXBsb2FkLmh0bWwifSwNCiAgICBbInN0YXJ0cy13aXRoIiwgIiRDb250ZW50LVR5cGUiLCAiaW1hZ2UvIl0sDQogICAgeyJ4LWFtei1tZXRhLXV1aWQiOiAiMTQzNjUxMjM2NTEyNzQifSwNCiAgICB7IngtYW16LXNlcnZlci1zaWRlLWVuY3J5cHRpb24iOiAiQUVTMjU2In0sDQogICAgWyJzdGFydHMtd2l0aCIsICIkeC1hbXotbWV0YS10YWciLCAiIl0sDQoNCiAgICB7IngtYW16LWNyZWRlbnRpYWwiOiAiQUtJQUlPU0ZPRE5ON0VYQU1QTEUvMjAxNTEyMjkvdXMtZWFzdC0xL3MzL2F3czRfcmVxdWVzdCJ9LA0KICAgIHsieC1hbXotYWxnb3JpdGhtIjogIkFXUzQtSE1BQy1TSEEyNTYifSwNCiAgICB7IngtYW16LWRhdGUiOiAiMjAxNTEyMjlUMDAwMDAwWiIgfQ0KICBdDQp9";
    const AWS_SIGNATURE: &str = "8afdbf4008c03f22c2cd3cdb72e4afbb1f6a588f3255ac628749a66d7f09699e";

    #[test]
    fn signs_the_aws_published_example_exactly() {
        let time = datetime!(2015-12-29 00:00 UTC).into();
        assert_eq!(policy_signature(AWS_SECRET, time, "us-east-1", AWS_POLICY), AWS_SIGNATURE);
    }

    fn example_fields(session_token: Option<&str>) -> BTreeMap<String, String> {
        let rules = UploadRules {
            bucket: "documents-bucket",
            key: "documents/0b6f/3c2d",
            content_type: DocumentType::Png,
            tagging: "<Tagging><TagSet><Tag><Key>upload-state</Key><Value>pending</Value></Tag></TagSet></Tagging>",
            expires_at: datetime!(2026-11-23 10:15 UTC),
            now: datetime!(2026-11-23 10:00 UTC),
            region: "eu-south-1",
        };
        let credentials =
            SigningCredentials { access_key_id: "AKIAIOSFODNN7EXAMPLE", secret_access_key: AWS_SECRET, session_token };
        signed_fields(&rules, &credentials)
    }

    fn policy_of(fields: &BTreeMap<String, String>) -> Value {
        serde_json::from_slice(&STANDARD.decode(&fields["policy"]).unwrap()).unwrap()
    }

    #[test]
    fn the_policy_pins_size_type_key_and_expiry() {
        let fields = example_fields(None);
        let policy = policy_of(&fields);
        assert_eq!(policy["expiration"], "2026-11-23T10:15:00.000Z");
        let conditions = policy["conditions"].as_array().unwrap();
        assert!(conditions.contains(&json!(["content-length-range", 1, 3_145_728])));
        assert!(conditions.contains(&json!({"Content-Type": "image/png"})));
        assert!(conditions.contains(&json!({"key": "documents/0b6f/3c2d"})));
        assert!(conditions.contains(&json!({"bucket": "documents-bucket"})));
        assert!(
            conditions
                .contains(&json!({"x-amz-credential": "AKIAIOSFODNN7EXAMPLE/20261123/eu-south-1/s3/aws4_request"}))
        );
        assert!(!conditions.iter().any(|c| c[0] == "starts-with"), "no open-ended condition");
        assert_eq!(fields["Content-Type"], "image/png");
        assert_eq!(fields["x-amz-date"], "20261123T100000Z");
    }

    #[test]
    fn every_form_field_is_covered_by_the_signed_policy() {
        let fields = example_fields(Some("session-token"));
        let conditions = policy_of(&fields)["conditions"].as_array().unwrap().clone();
        for (name, value) in fields.iter().filter(|(n, _)| *n != "policy" && *n != "x-amz-signature") {
            assert!(conditions.contains(&json!({ name: value })), "{name} not pinned by the policy");
        }
        let time = datetime!(2026-11-23 10:00 UTC).into();
        assert_eq!(fields["x-amz-signature"], policy_signature(AWS_SECRET, time, "eu-south-1", &fields["policy"]));
    }

    #[test]
    fn a_changed_policy_no_longer_matches_the_signature() {
        let fields = example_fields(None);
        let mut policy = policy_of(&fields);
        policy["conditions"][1] = json!(["content-length-range", 1, 100_000_000]);
        let forged = STANDARD.encode(policy.to_string());
        let time = datetime!(2026-11-23 10:00 UTC).into();
        assert_ne!(policy_signature(AWS_SECRET, time, "eu-south-1", &forged), fields["x-amz-signature"]);
    }
}
