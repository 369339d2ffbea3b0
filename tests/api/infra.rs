//! `infra/template.yaml` deploys what the code is: the table and bucket of the local bootstrap,
//! a function for every crate of `functions/`, a route for every route the code serves (and no
//! other), and roles naming only the resources each function uses.

use std::collections::{BTreeMap, BTreeSet};

use accreditation::{http::ApiError, schema};
use accreditation_tests::{
    ApiResponse, ROOT, TestApp, api_event, invoke_function,
    template::{functions, grants, list, policies, referenced, role_of, template, text},
    unique,
};
use serde_norway::Value;

fn resource_of_type<'a>(template: &'a Value, kind: &str) -> &'a Value {
    let resources = template["Resources"].as_mapping().expect("Resources");
    let mut found = resources.values().filter(|r| r["Type"].as_str() == Some(kind));
    let resource = found.next().unwrap_or_else(|| panic!("no {kind} in the template"));
    assert!(found.next().is_none(), "one {kind} expected");
    &resource["Properties"]
}

fn key_schema(keys: &Value) -> Vec<(String, String)> {
    keys.as_sequence()
        .expect("KeySchema")
        .iter()
        .map(|k| (k["AttributeName"].as_str().unwrap().to_string(), k["KeyType"].as_str().unwrap().to_string()))
        .collect()
}

fn strings(value: &Value) -> Vec<String> {
    value.as_sequence().expect("a list").iter().map(|v| v.as_str().expect("text").to_string()).collect()
}

#[test]
fn the_table_in_the_template_is_the_table_the_bootstrap_creates() {
    let template = template();
    let table = resource_of_type(&template, "AWS::DynamoDB::Table");
    let expected = schema::table();

    assert_eq!(table["BillingMode"].as_str(), Some("PAY_PER_REQUEST"));
    assert_eq!(
        key_schema(&table["KeySchema"]),
        [(expected.hash_key.into(), "HASH".into()), (expected.range_key.into(), "RANGE".into())]
    );
    let attributes: Vec<(String, String)> = table["AttributeDefinitions"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|a| (a["AttributeName"].as_str().unwrap().into(), a["AttributeType"].as_str().unwrap().into()))
        .collect();
    let expected_attributes: Vec<(String, String)> =
        expected.attribute_definitions().into_iter().map(|(n, t)| (n.into(), t.into())).collect();
    assert_eq!(attributes, expected_attributes);

    let indexes = table["GlobalSecondaryIndexes"].as_sequence().unwrap();
    assert_eq!(indexes.len(), expected.indexes.len());
    for (index, expected) in indexes.iter().zip(&expected.indexes) {
        assert_eq!(index["IndexName"].as_str(), Some(expected.name));
        assert_eq!(
            key_schema(&index["KeySchema"]),
            [(expected.hash_key.into(), "HASH".into()), (expected.range_key.into(), "RANGE".into())]
        );
        assert_eq!(index["Projection"]["ProjectionType"].as_str(), Some("ALL"));
    }
    assert_eq!(table["TimeToLiveSpecification"]["AttributeName"].as_str(), Some(expected.ttl_attribute));
    assert_eq!(table["TimeToLiveSpecification"]["Enabled"].as_bool(), Some(true));
    assert_eq!(table["StreamSpecification"]["StreamViewType"].as_str(), Some(expected.stream_view_type));
    assert_eq!(table["SSESpecification"]["SSEEnabled"].as_bool(), Some(true));
    assert_eq!(table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"].as_bool(), Some(true));
}

#[test]
fn the_bucket_in_the_template_is_the_bucket_the_bootstrap_creates() {
    let template = template();
    let bucket = resource_of_type(&template, "AWS::S3::Bucket");
    let expected = schema::bucket();

    let rules = bucket["CorsConfiguration"]["CorsRules"].as_sequence().unwrap();
    assert_eq!(rules.len(), 1);
    let cors = &rules[0];
    assert_eq!(strings(&cors["AllowedMethods"]), expected.cors.allowed_methods);
    assert_eq!(strings(&cors["AllowedHeaders"]), expected.cors.allowed_headers);
    assert_eq!(strings(&cors["ExposedHeaders"]), expected.cors.expose_headers);
    assert_eq!(cors["MaxAge"].as_i64(), Some(expected.cors.max_age_seconds.into()));

    let lifecycle = bucket["LifecycleConfiguration"]["Rules"].as_sequence().unwrap();
    let abandoned = lifecycle.iter().find(|r| r["Id"].as_str() == Some("delete-abandoned-uploads")).expect("rule");
    assert_eq!(abandoned["ExpirationInDays"].as_i64(), Some(expected.pending_upload_days.into()));
    let filter = &abandoned["TagFilters"][0];
    assert_eq!(filter["Key"].as_str(), Some(schema::UPLOAD_STATE_TAG));
    assert_eq!(filter["Value"].as_str(), Some(schema::UPLOAD_PENDING));

    let block = &bucket["PublicAccessBlockConfiguration"];
    for setting in ["BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"] {
        assert_eq!(block[setting].as_bool(), Some(true), "{setting}");
    }
    assert!(bucket["BucketEncryption"].is_mapping(), "default encryption");

    let decided = lifecycle.iter().find(|r| r["Id"].as_str() == Some(schema::DECIDED_DOCUMENTS_RULE)).expect("rule");
    assert_eq!(text(&decided["ExpirationInDays"]), "${DocumentRetentionDays}");
    assert_eq!(decided["TagFilters"][0]["Key"].as_str(), Some(schema::UPLOAD_STATE_TAG));
    assert_eq!(decided["TagFilters"][0]["Value"].as_str(), Some(schema::UPLOAD_DECIDED));
    assert!(bucket["VersioningConfiguration"].is_null(), "versioning would keep deleted documents");
}

fn crates_of_functions() -> BTreeSet<String> {
    std::fs::read_dir(format!("{ROOT}/functions"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.join("Cargo.toml").is_file() && path.join("src/main.rs").is_file())
        .map(|path| path.file_name().unwrap().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn every_function_crate_is_deployed_as_an_arm64_lambda_with_json_logs_kept_for_a_while() {
    let template = template();
    let functions = functions(&template);
    assert_eq!(functions.keys().cloned().collect::<BTreeSet<_>>(), crates_of_functions());

    let globals = &template["Globals"]["Function"];
    assert_eq!(globals["Runtime"].as_str(), Some("provided.al2023"));
    assert_eq!(globals["Handler"].as_str(), Some("bootstrap"));
    assert_eq!(list(&globals["Architectures"]).iter().map(|a| text(a)).collect::<Vec<_>>(), ["arm64"]);
    let resources = &template["Resources"];
    for (name, (id, function)) in &functions {
        assert_eq!(template["Resources"][*id]["Metadata"]["BuildMethod"].as_str(), Some("rust-cargolambda"), "{name}");
        let logging = &function["LoggingConfig"];
        assert_eq!(logging["LogFormat"].as_str(), Some("JSON"), "{name}");
        let log_group = &resources[referenced(&text(&logging["LogGroup"]))];
        assert_eq!(log_group["Type"].as_str(), Some("AWS::Logs::LogGroup"), "{name}");
        assert!(!log_group["Properties"]["RetentionInDays"].is_null(), "{name}: log retention");
        assert!(!function["ReservedConcurrentExecutions"].is_null(), "{name}: reserved concurrency");
    }
    let environment = &globals["Environment"]["Variables"];
    assert_eq!(text(&environment["TABLE_NAME"]), text(&resources["RequestsTable"]["Properties"]["TableName"]));
    assert_eq!(text(&environment["DOCUMENT_BUCKET"]), text(&resources["DocumentBucket"]["Properties"]["BucketName"]));
}

#[test]
fn functions_triggered_asynchronously_have_a_dead_letter_queue() {
    let template = template();
    for (name, (_, function)) in functions(&template) {
        let events = function["Events"].as_mapping().map(|m| m.values().collect::<Vec<_>>()).unwrap_or_default();
        let asynchronous = events.iter().any(|e| matches!(e["Type"].as_str(), Some("S3" | "SNS" | "Schedule")));
        let queue = &function["DeadLetterQueue"];
        assert_eq!(asynchronous, !queue.is_null(), "{name}: a dead-letter queue exactly when invoked asynchronously");
        if asynchronous {
            let target = text(&queue["TargetArn"]);
            assert_eq!(template["Resources"][referenced(&target)]["Type"].as_str(), Some("AWS::SQS::Queue"), "{name}");
        }
    }
}

/// Every resource a role may name, for the function `properties` describes.
fn allowed_resources(template: &Value, properties: &Value) -> Vec<String> {
    let resources = &template["Resources"];
    let bucket =
        format!("arn:${{AWS::Partition}}:s3:::{}", text(&resources["DocumentBucket"]["Properties"]["BucketName"]));
    let configuration_set = text(&resources["EmailConfigurationSet"]["Properties"]["Name"]);
    let mut allowed = vec![
        format!("${{{}.Arn}}", referenced(&text(&properties["LoggingConfig"]["LogGroup"]))),
        "${RequestsTable.Arn}".to_string(),
        format!("${{RequestsTable.Arn}}/index/{}", schema::GSI1),
        format!("${{RequestsTable.Arn}}/index/{}", schema::GSI2),
        "${RequestsTable.Arn}/stream/*".to_string(),
        bucket.clone(),
        format!("{bucket}/uploads/*"),
        format!("{bucket}/documents/*"),
        format!("{bucket}/forms/*"),
        "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/${SenderIdentity}".to_string(),
        format!(
            "arn:${{AWS::Partition}}:ses:${{AWS::Region}}:${{AWS::AccountId}}:configuration-set/{configuration_set}"
        ),
    ];
    if let Some(variables) = properties["Environment"]["Variables"].as_mapping() {
        for (name, value) in variables {
            let name = name.as_str().unwrap();
            if name.ends_with("_PARAMETER") {
                allowed.push(format!(
                    "arn:${{AWS::Partition}}:ssm:${{AWS::Region}}:${{AWS::AccountId}}:parameter{}",
                    text(value)
                ));
            }
            // The KMS keys the function signs with or publishes (the provider's).
            if name.ends_with("_SIGNING_KEY") {
                allowed.push(text(value));
            }
        }
    }
    if !properties["DeadLetterQueue"].is_null() {
        allowed.push(text(&properties["DeadLetterQueue"]["TargetArn"]));
    }
    allowed
}

#[test]
fn each_role_names_only_actions_and_resources_of_its_own_function() {
    let template = template();
    for (name, (_, function)) in functions(&template) {
        let role = &template["Resources"][role_of(function)];
        assert_eq!(role["Type"].as_str(), Some("AWS::IAM::Role"), "{name}: its own role");
        assert!(role["Properties"]["ManagedPolicyArns"].is_null(), "{name}: no managed policy");
        let allowed = allowed_resources(&template, function);
        let mut secrets_read = BTreeSet::new();
        for policy in policies(&template, &role_of(function)) {
            for statement in list(&policy["Statement"]) {
                assert_eq!(statement["Effect"].as_str(), Some("Allow"), "{name}");
                for action in list(&statement["Action"]) {
                    let action = text(action);
                    assert!(!action.contains('*') && action.contains(':'), "{name}: action {action}");
                }
                for resource in list(&statement["Resource"]) {
                    let resource = text(resource);
                    assert!(allowed.contains(&resource), "{name} may not touch {resource}");
                    if resource.contains(":parameter") {
                        secrets_read.insert(resource);
                    }
                }
            }
        }
        let secrets_needed = allowed.iter().filter(|r| r.contains(":parameter")).cloned().collect::<BTreeSet<_>>();
        assert_eq!(secrets_read, secrets_needed, "{name} reads exactly the secrets its environment names");
    }
}

/// `(method, path)` → function, of the template's HTTP API events; operator routes checked closed.
fn template_routes(template: &Value) -> BTreeMap<(String, String), String> {
    let api = &template["Resources"]["HttpApi"]["Properties"];
    let default_authorizer = api["Auth"]["DefaultAuthorizer"].as_str().expect("a default authorizer");
    assert!(api["Auth"]["Authorizers"][default_authorizer].is_mapping(), "the default authorizer is defined");
    let mut routes = BTreeMap::new();
    for (name, (_, function)) in functions(template) {
        let Some(events) = function["Events"].as_mapping() else { continue };
        for event in events.values().filter(|e| e["Type"].as_str() == Some("HttpApi")) {
            let properties = &event["Properties"];
            let method = properties["Method"].as_str().unwrap().to_uppercase();
            let path = properties["Path"].as_str().unwrap().to_string();
            let authorizer = properties["Auth"]["Authorizer"].as_str();
            if path.starts_with("/operator/") {
                assert!(authorizer.is_none(), "{method} {path} must keep the operator session authorizer");
            } else {
                assert_eq!(authorizer, Some("NONE"), "{method} {path} is public: say so");
            }
            assert!(routes.insert((method, path), name.clone()).is_none(), "one function per route");
        }
    }
    routes
}

/// The paths `cargo lambda watch` serves locally (the workspace's router metadata) → function,
/// less the trailing-slash spellings (`/console/`) that API Gateway routes as the path without it.
fn local_routes() -> BTreeMap<String, String> {
    let manifest: toml::Table = std::fs::read_to_string(format!("{ROOT}/Cargo.toml")).unwrap().parse().unwrap();
    let router: BTreeMap<String, String> = manifest["workspace"]["metadata"]["lambda"]["watch"]["router"]
        .as_table()
        .expect("the router of cargo lambda watch")
        .iter()
        .map(|(path, function)| (path.clone(), function.as_str().unwrap().to_string()))
        .collect();
    let slashed = |path: &String| path.len() > 1 && path.ends_with('/');
    for (path, function) in router.iter().filter(|(path, _)| slashed(path)) {
        let bare = path.trim_end_matches('/');
        assert_eq!(router.get(bare), Some(function), "{path} is served by the function of {bare}");
    }
    router.into_iter().filter(|(path, _)| !slashed(path)).collect()
}

/// The concrete path of a route: an id for `{id}`, a real action for `{action}`, an asset for `{file}`.
fn concrete(path: &str, id: &str) -> String {
    path.replace("{id}", id).replace("{action}", "approve").replace("{file}", "i18n.js")
}

/// The answer of a function to a path it has no route for (a served path that finds nothing, an
/// unknown request id say, answers another 404).
fn unrouted(path: &str) -> ApiResponse {
    ApiResponse::from(ApiError::no_route(path).into_response())
}

#[tokio::test]
async fn the_api_routes_are_exactly_the_routes_the_code_serves() {
    let template = template();
    let routes = template_routes(&template);
    let paths: BTreeMap<String, String> = routes.iter().map(|((_, path), f)| (path.clone(), f.clone())).collect();
    assert_eq!(paths, local_routes(), "the template and `make dev` serve the same paths with the same functions");

    let app = TestApp::spawn().await;
    let operator = app.operator_session().await;
    let id = uuid::Uuid::new_v4().to_string();
    // The logout last: it ends the session every probe carries.
    let (logout, others): (Vec<_>, Vec<_>) = paths.iter().partition(|(path, _)| path.as_str() == "/auth/logout");
    for (path, function) in others.into_iter().chain(logout) {
        for method in ["GET", "POST", "PUT", "PATCH", "DELETE"] {
            let bearer = format!("Bearer {operator}");
            let key = unique() + "-idempotency";
            let headers = [
                ("authorization", bearer.as_str()),
                ("content-type", "application/json"),
                ("idempotency-key", key.as_str()),
            ];
            let event = api_event(method, &concrete(path, &id), &headers, Some("{}"));
            let response = invoke_function(&app.app, function, &event).await;
            let unrouted = unrouted(&concrete(path, &id));
            let served =
                !(response.status == 405 || (response.status, &response.body) == (unrouted.status, &unrouted.body));
            let routed = routes.contains_key(&(method.to_string(), path.clone()));
            assert_eq!(
                served, routed,
                "{method} {path}: served by {function} = {served}, routed = {routed}: {:#}",
                response.body
            );
        }
    }
}

#[test]
fn only_the_provider_signs_with_its_kms_key_whose_private_half_stays_in_kms() {
    let template = template();
    let key = &template["Resources"]["OidcSigningKey"];
    assert_eq!(key["Type"].as_str(), Some("AWS::KMS::Key"));
    assert_eq!(key["Properties"]["KeySpec"].as_str(), Some("RSA_2048"));
    assert_eq!(key["Properties"]["KeyUsage"].as_str(), Some("SIGN_VERIFY"));
    assert_eq!(key["DeletionPolicy"].as_str(), Some("Retain"), "tokens verify against it after the stack");
    assert_eq!(key["UpdateReplacePolicy"].as_str(), Some("Retain"), "tokens verify against it after a replacement");
    assert!(key["Properties"]["EnableKeyRotation"].is_null(), "KMS rotates only symmetric keys");
    let sign = ("kms:Sign".to_string(), "${OidcSigningKey.Arn}".to_string());
    for function in functions(&template).keys() {
        assert_eq!(grants(&template, function).contains(&sign), function == "oidc", "{function} and kms:Sign");
        let kms = grants(&template, function).into_iter().filter(|(action, _)| action.starts_with("kms:")).count();
        assert!(function == "oidc" || kms == 0, "{function} uses no KMS key");
    }
    let oidc = &functions(&template)["oidc"].1["Environment"]["Variables"];
    assert_eq!(text(&oidc["OIDC_SIGNING_KEY"]), "${OidcSigningKey.Arn}");
    assert!(matches!(oidc["SUBJECT_KEY_PARAMETER"], Value::Tagged(_)), "the subject key comes from SSM");
}

/// Whether an IAM action pattern (`kms:*`, `kms:Get*`, `*`) covers `action`.
fn covers(pattern: &str, action: &str) -> bool {
    pattern.strip_suffix('*').map_or(pattern == action, |prefix| action.starts_with(prefix))
}

/// The actions of a policy statement.
fn actions(statement: &Value) -> BTreeSet<String> {
    list(&statement["Action"]).into_iter().map(text).collect()
}

/// The AWS principals a key policy statement names.
fn principals(statement: &Value) -> Vec<String> {
    list(&statement["Principal"]["AWS"]).into_iter().map(text).collect()
}

#[test]
fn the_signing_key_policy_lets_only_the_provider_sign_and_keeps_the_key_administered() {
    let template = template();
    let role = format!("${{{}.Arn}}", role_of(functions(&template)["oidc"].1));
    let root = "arn:${AWS::Partition}:iam::${AWS::AccountId}:root";
    let statements = list(&template["Resources"]["OidcSigningKey"]["Properties"]["KeyPolicy"]["Statement"]);

    let allowed: Vec<&Value> = statements.iter().copied().filter(|s| s["Effect"].as_str() == Some("Allow")).collect();
    let administers = allowed.iter().any(|s| principals(s) == [root] && actions(s).contains("kms:*"));
    assert!(administers, "the account administers the key (kms:*), so it is never orphaned");
    for statement in &allowed {
        let named = principals(statement);
        assert!(named == [root] || named == [role.as_str()], "only the account and the provider: {named:?}");
        if named == [role.as_str()] {
            let uses = BTreeSet::from([String::from("kms:GetPublicKey"), String::from("kms:Sign")]);
            assert_eq!(actions(statement), uses, "the provider signs and reads the public key, nothing else");
        }
    }
    assert!(allowed.iter().any(|s| principals(s) == [role.as_str()]), "the key policy names the provider's role");

    // kms:* for the account lets any IAM policy of the account grant kms:Sign: the key refuses it
    // to every principal but the provider's role.
    let refuses_others = statements.iter().any(|s| {
        let except = &s["Condition"]["ArnNotEquals"]["aws:PrincipalArn"];
        s["Effect"].as_str() == Some("Deny")
            && principals(s) == ["*"]
            && actions(s).iter().any(|a| covers(a, "kms:Sign"))
            && s["Condition"].as_mapping().map(|c| c.len()) == Some(1)
            && !except.is_null()
            && text(except) == role
    });
    assert!(refuses_others, "kms:Sign is denied to everyone but {role}");

    let alias = &template["Resources"]["OidcSigningKeyAlias"];
    assert_eq!(alias["Type"].as_str(), Some("AWS::KMS::Alias"));
    assert_eq!(text(&alias["Properties"]["AliasName"]), "alias/${AWS::StackName}-oidc-signing");
    assert_eq!(text(&alias["Properties"]["TargetKeyId"]), "${OidcSigningKey}");
}

#[test]
fn the_provider_routes_are_public_and_served_by_the_oidc_function() {
    let template = template();
    let functions = functions(&template);
    let (id, function) = functions["oidc"];
    assert_eq!(id, "OidcFunction");
    let events = function["Events"].as_mapping().expect("the provider's routes");
    let mut routes = BTreeSet::new();
    for event in events.values() {
        assert_eq!(event["Type"].as_str(), Some("HttpApi"), "the provider is only invoked through the API");
        let properties = &event["Properties"];
        assert_eq!(text(&properties["ApiId"]), "${HttpApi}");
        let route = format!("{} {}", properties["Method"].as_str().unwrap(), properties["Path"].as_str().unwrap());
        assert_eq!(properties["Auth"]["Authorizer"].as_str(), Some("NONE"), "{route}: no operator session");
        routes.insert(route);
    }
    let expected = [
        "GET /.well-known/openid-configuration",
        "GET /oidc/jwks",
        "GET /oidc/authorize",
        "POST /oidc/login",
        "POST /oidc/token",
        "GET /oidc/userinfo",
        "POST /oidc/userinfo",
        "GET /oidc/logout",
    ];
    assert_eq!(routes, expected.into_iter().map(String::from).collect());
}

#[test]
fn the_provider_role_grants_exactly_what_the_provider_uses() {
    let template = template();
    let ssm = |parameter: &str| {
        format!("arn:${{AWS::Partition}}:ssm:${{AWS::Region}}:${{AWS::AccountId}}:parameter${{{parameter}}}")
    };
    let mut expected = BTreeSet::new();
    for action in ["logs:CreateLogStream", "logs:PutLogEvents"] {
        expected.insert((action.to_string(), "${OidcLogs.Arn}".to_string()));
    }
    for action in ["GetItem", "PutItem", "UpdateItem", "DeleteItem", "ConditionCheckItem"] {
        expected.insert((format!("dynamodb:{action}"), "${RequestsTable.Arn}".to_string()));
    }
    expected.insert(("kms:Sign".into(), "${OidcSigningKey.Arn}".into()));
    expected.insert(("kms:GetPublicKey".into(), "${OidcSigningKey.Arn}".into()));
    expected.insert(("kms:GetPublicKey".into(), "${PreviousOidcSigningKeyArn}".into()));
    expected.insert(("ssm:GetParameter".into(), ssm("SessionSigningKeyParameter")));
    expected.insert(("ssm:GetParameter".into(), ssm("SubjectKeyParameter")));
    assert_eq!(grants(&template, "oidc"), expected);
}

/// The variables a function runs with: the template's `Globals`, then its own.
fn environment(template: &Value, function: &Value) -> BTreeMap<String, Value> {
    let globals = template["Globals"]["Function"]["Environment"]["Variables"].as_mapping().expect("Globals");
    let own = function["Environment"]["Variables"].as_mapping().into_iter().flatten();
    globals.iter().chain(own).map(|(name, value)| (name.as_str().unwrap().to_string(), value.clone())).collect()
}

#[test]
fn the_provider_runs_with_its_keys_lifetimes_and_the_sessions_of_the_login_page() {
    let template = template();
    let functions = functions(&template);
    let oidc = environment(&template, functions["oidc"].1);
    let auth = environment(&template, functions["auth"].1);
    // Its login hand-over reads the sessions the auth function opens, with the same key and claims.
    for name in ["TABLE_NAME", "LOGIN_URL", "SESSION_ISSUER", "SESSION_AUDIENCE", "SESSION_SIGNING_KEY_PARAMETER"] {
        assert_eq!(oidc.get(name), auth.get(name), "{name}");
        assert!(oidc.contains_key(name), "{name}");
    }
    assert_eq!(text(&oidc["OIDC_SIGNING_KEY"]), "${OidcSigningKey.Arn}");
    assert_eq!(text(&oidc["OIDC_PREVIOUS_SIGNING_KEY"]), "${PreviousOidcSigningKeyArn}");
    assert_eq!(text(&oidc["SUBJECT_KEY_PARAMETER"]), "${SubjectKeyParameter}");
    let lifetimes = [("OIDC_ACCESS_TOKEN_SECONDS", "300"), ("OIDC_ID_TOKEN_SECONDS", "300"), ("OIDC_SSO_HOURS", "8")];
    for (name, value) in lifetimes {
        assert_eq!(oidc[name].as_str(), Some(value), "{name}: a string, as Lambda variables are");
    }

    let parameters = &template["Parameters"];
    for optional in ["IssuerUrl", "PreviousOidcSigningKeyArn"] {
        assert_eq!(parameters[optional]["Default"].as_str(), Some(""), "{optional} is optional");
    }
    let secret = &parameters["SubjectKeyParameter"];
    assert_eq!(secret["AllowedPattern"], parameters["MfaSecretKeyParameter"]["AllowedPattern"], "an SSM name");
    assert!(secret["Default"].is_null(), "named per deployment, like the other secrets");

    // The issuer the tokens carry is the one the stack tells relying parties about.
    let outputs = &template["Outputs"];
    assert_eq!(outputs["IssuerUrl"]["Value"], oidc["ISSUER_URL"]);
    let condition = |value: &Value| match value {
        Value::Tagged(tagged) => tagged.value[0].clone(),
        other => panic!("an !If expected: {other:?}"),
    };
    assert_eq!(condition(&outputs["DiscoveryUrl"]["Value"]), condition(&oidc["ISSUER_URL"]));
    let issuers: Vec<String> = list(&oidc["ISSUER_URL"]).into_iter().map(text).collect();
    let discovery: Vec<String> = list(&outputs["DiscoveryUrl"]["Value"]).into_iter().map(text).collect();
    assert_eq!(issuers, ["${FormOrigin}", "${IssuerUrl}"], "the issuer defaults to the pages' origin");
    let expected: Vec<String> = issuers.iter().map(|i| format!("{i}/.well-known/openid-configuration")).collect();
    assert_eq!(discovery, expected);
    assert_eq!(text(&outputs["OidcSigningKeyArn"]["Value"]), "${OidcSigningKey.Arn}");
}

#[test]
fn the_functions_that_show_a_request_may_query_its_audit_trail() {
    let template = template();
    let query = ("dynamodb:Query".to_string(), "${RequestsTable.Arn}".to_string());
    for function in ["requests", "operator"] {
        assert!(grants(&template, function).contains(&query), "{function} reads the audit trail with a Query");
    }
}
