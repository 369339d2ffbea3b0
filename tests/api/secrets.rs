//! Secrets named by `<NAME>_PARAMETER` are read from SSM Parameter Store at cold start.

use std::collections::HashMap;

use accreditation::app::resolve_secrets;
use accreditation_tests::{Clients, emulator_endpoint, unique};
use aws_sdk_ssm::types::ParameterType;

#[tokio::test]
async fn secure_parameters_replace_their_variables_and_a_missing_one_stops_the_start() {
    let clients = Clients::connect(&emulator_endpoint()).await;
    let name = format!("/foreign-users/test-{}/session-signing-key", unique());
    let key = format!("{}-signing-key-of-at-least-32-bytes", unique());
    let put = clients.ssm.put_parameter().name(&name).value(&key).r#type(ParameterType::SecureString).send().await;
    put.expect("parameter stored");

    let mut vars = HashMap::from([("SESSION_SIGNING_KEY_PARAMETER".to_string(), name.clone())]);
    resolve_secrets(&clients.sdk, &mut vars).await.expect("resolved");
    assert_eq!(vars["SESSION_SIGNING_KEY"], key);
    assert!(!vars.contains_key("CAPTCHA_SECRET"), "only the secrets named are read");

    let missing = format!("/foreign-users/test-{}/captcha-secret", unique());
    let mut vars = HashMap::from([("CAPTCHA_SECRET_PARAMETER".to_string(), missing.clone())]);
    let error = resolve_secrets(&clients.sdk, &mut vars).await.expect_err("a missing parameter is fatal");
    assert!(
        accreditation::http::error_chain(&error).contains(&missing),
        "{}",
        accreditation::http::error_chain(&error)
    );
}
