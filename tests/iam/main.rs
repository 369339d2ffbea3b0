//! Every AWS action each function called during the integration tests is granted by that
//! function's role in `infra/template.yaml`, on the resource it named. `make test` runs the
//! integration tests with `AWS_CALLS_LOG` set (see `accreditation_tests::aws_calls`), then this.

use std::collections::BTreeSet;

use accreditation_tests::{
    aws_calls::{AwsCall, LOG_VARIABLE},
    template::{grants, template, text},
};
use serde_norway::Value;

/// The functions that call AWS: each must have been seen calling it.
const CALLING_AWS: [&str; 9] =
    ["auth", "authorizer", "document-uploaded", "email-events", "mailer", "oidc", "operator", "requests", "retention"];

/// A recorded resource as the template's roles name it.
fn template_resource(template: &Value, resource: &str) -> String {
    let resources = &template["Resources"];
    let bucket =
        format!("arn:${{AWS::Partition}}:s3:::{}", text(&resources["DocumentBucket"]["Properties"]["BucketName"]));
    let ses = "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}";
    match resource.split_once('/') {
        None if resource == "table" => "${RequestsTable.Arn}".into(),
        None if resource == "bucket" => bucket,
        None if resource == "identity" => format!("{ses}:identity/${{SenderIdentity}}"),
        None if resource == "configuration-set" => {
            format!("{ses}:configuration-set/{}", text(&resources["EmailConfigurationSet"]["Properties"]["Name"]))
        }
        Some(("key", "signing")) => "${OidcSigningKey.Arn}".into(),
        Some(("index", index)) => format!("${{RequestsTable.Arn}}/index/{index}"),
        Some(("object", prefix)) => format!("{bucket}/{prefix}/*"),
        _ => panic!("no template resource for {resource:?}: teach this test how the template names it"),
    }
}

#[test]
fn every_aws_call_of_the_integration_tests_is_granted_by_the_functions_role() {
    let path = std::env::var(LOG_VARIABLE)
        .unwrap_or_else(|_| panic!("{LOG_VARIABLE} is not set: make test runs this check after the integration tests"));
    let log = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let calls: BTreeSet<AwsCall> =
        log.lines().map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{line}: {e}"))).collect();
    let seen: BTreeSet<&str> = calls.iter().map(|call| call.function.as_str()).collect();
    for function in CALLING_AWS {
        assert!(seen.contains(function), "no AWS call of {function} was recorded: {seen:?}");
    }

    let template = template();
    let refused: Vec<String> = calls
        .iter()
        .filter(|call| {
            let wanted = (call.action.clone(), template_resource(&template, &call.resource));
            !grants(&template, &call.function).contains(&wanted)
        })
        .map(|call| format!("{}: {} on {}", call.function, call.action, call.resource))
        .collect();
    assert!(refused.is_empty(), "calls the roles do not grant (AWS would refuse them):\n{}", refused.join("\n"));
    println!("{} distinct (function, action, resource) calls, each granted by its function's role", calls.len());
    for call in &calls {
        println!("  {:<18} {:<24} {}", call.function, call.action, call.resource);
    }
}
