//! The OpenAPI document (`functions/web/openapi.json`, served at `/openapi.json`) names exactly the
//! routes the functions serve: the paths and methods of the template's HTTP API events, and the
//! paths of the local router (`cargo lambda watch`, make dev), with the operator router's
//! `{action}` spelled out. Schemathesis (scripts/schemathesis.sh, run by `make test`) checks the
//! answers against it.

use std::collections::BTreeSet;

use accreditation_tests::{
    ApiResponse, ROOT, api_event,
    template::{functions, template},
};
use serde_json::Value;

/// The actions of `/operator/requests/{id}/{action}` (`OperatorAction::read`).
const OPERATOR_ACTIONS: [&str; 4] = ["approve", "reject", "request-info", "reissue-credentials"];

/// The methods an OpenAPI path item may hold.
const METHODS: [&str; 8] = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

fn document() -> Value {
    let path = format!("{ROOT}/functions/web/openapi.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path} is not JSON: {e}"))
}

/// A route's path with `{action}` spelled out as each action the operator function serves.
fn expanded(path: &str) -> Vec<String> {
    if path.contains("{action}") {
        OPERATOR_ACTIONS.iter().map(|action| path.replace("{action}", action)).collect()
    } else {
        vec![path.to_string()]
    }
}

/// `(METHOD, path)` of every operation of the document.
fn documented_routes(document: &Value) -> BTreeSet<(String, String)> {
    let paths = document["paths"].as_object().expect("paths");
    let mut routes = BTreeSet::new();
    for (path, item) in paths {
        for method in item.as_object().expect("a path item").keys().filter(|key| METHODS.contains(&key.as_str())) {
            routes.insert((method.to_uppercase(), path.clone()));
        }
    }
    routes
}

/// `(METHOD, path)` of every HTTP API event of the template.
fn template_routes() -> BTreeSet<(String, String)> {
    let template = template();
    let mut routes = BTreeSet::new();
    for (_, function) in functions(&template).values() {
        let Some(events) = function["Events"].as_mapping() else { continue };
        for event in events.values().filter(|e| e["Type"].as_str() == Some("HttpApi")) {
            let method = event["Properties"]["Method"].as_str().expect("a method").to_uppercase();
            for path in expanded(event["Properties"]["Path"].as_str().expect("a path")) {
                routes.insert((method.clone(), path));
            }
        }
    }
    routes
}

/// The paths of the workspace's router, less the trailing-slash spellings (`/console/`) that API
/// Gateway routes as the path without it.
fn local_paths() -> BTreeSet<String> {
    let manifest: toml::Table = std::fs::read_to_string(format!("{ROOT}/Cargo.toml")).unwrap().parse().unwrap();
    let router = manifest["workspace"]["metadata"]["lambda"]["watch"]["router"].as_table().expect("the router");
    router.keys().filter(|path| path.len() == 1 || !path.ends_with('/')).flat_map(|path| expanded(path)).collect()
}

#[test]
fn the_document_has_exactly_the_routes_of_the_template_and_the_local_router() {
    let document = document();
    assert_eq!(document["openapi"], "3.1.0");
    let documented = documented_routes(&document);
    assert_eq!(documented, template_routes(), "the document's (method, path) and the template's HTTP API events");
    let paths: BTreeSet<String> = documented.iter().map(|(_, path)| path.clone()).collect();
    assert_eq!(paths, local_paths(), "the document's paths and the router of Cargo.toml");
}

#[test]
fn every_operation_is_named_once_and_answers_the_routing_errors() {
    let document = document();
    let mut names = BTreeSet::new();
    for (method, path) in documented_routes(&document) {
        let operation = &document["paths"][&path][method.to_lowercase()];
        let name = operation["operationId"].as_str().unwrap_or_else(|| panic!("{method} {path}: no operationId"));
        assert!(names.insert(name.to_string()), "{method} {path}: operationId {name} twice");
        for status in ["404", "405"] {
            assert!(operation["responses"][status].is_object(), "{method} {path}: no {status} answer");
        }
        if operation["requestBody"]["content"]["application/json"].is_object() && !path.starts_with("/oidc/") {
            for status in ["413", "415"] {
                assert!(operation["responses"][status].is_object(), "{method} {path} reads JSON: no {status} answer");
            }
        }
    }
}

async fn web(method: &str, path: &str) -> ApiResponse {
    let event = api_event(method, path, &[], None);
    let request = lambda_http::request::from_str(&event.to_string()).expect("API Gateway v2 event");
    ApiResponse::from(web::handler(&accreditation_tests::test_site(), request).await.expect("the handler never fails"))
}

#[tokio::test]
async fn the_web_function_serves_the_document_at_openapi_json() {
    let text = std::fs::read_to_string(format!("{ROOT}/functions/web/openapi.json")).unwrap();
    let served = web("GET", "/openapi.json").await;
    assert_eq!(served.status, 200);
    assert_eq!(served.headers["content-type"], "application/json");
    assert_eq!(served.headers["content-length"], text.len().to_string());
    assert_eq!(served.body, document(), "the document as the repository holds it");

    let head = web("HEAD", "/openapi.json").await;
    assert_eq!(head.status, 200);
    assert_eq!(head.body, Value::Null, "no body for HEAD");
    assert_eq!(head.headers, served.headers, "HEAD answers the headers of GET, the length of its body among them");
}
