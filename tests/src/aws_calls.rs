//! Which AWS actions each function calls, recorded during the integration tests: the functions'
//! SDK clients send through [`RecordingClient`], which notes, for every request made while a
//! handler runs (see [`as_function`]), the IAM action it needs and the resource it names, in the
//! terms of `infra/template.yaml`'s roles. `make test` sets `AWS_CALLS_LOG`; the `iam` test then
//! checks every noted call against the function's role. Inside [`aws_time::timed`] (the route
//! benchmark) it also notes when each call was in flight.

use std::{
    collections::HashSet,
    fs::{File, OpenOptions},
    io::Write,
    sync::{LazyLock, Mutex},
};

use aws_smithy_http_client::tls;
use aws_smithy_runtime_api::client::{
    http::{
        HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
    },
    orchestrator::HttpRequest,
    runtime_components::RuntimeComponents,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::aws_time;

/// Where `make test` has the calls written (one JSON [`AwsCall`] per line).
pub const LOG_VARIABLE: &str = "AWS_CALLS_LOG";

tokio::task_local! {
    static FUNCTION: &'static str;
}

/// Runs `work` as the function `name`: the AWS calls it makes are that function's.
pub async fn as_function<F: Future>(name: &'static str, work: F) -> F::Output {
    FUNCTION.scope(name, work).await
}

/// One AWS action a function called, on a resource named as the template names it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct AwsCall {
    /// The function (its crate under `functions/`).
    pub function: String,
    /// The IAM action, e.g. `dynamodb:Query`.
    pub action: String,
    /// The resource: `table`, `index/<name>`, `bucket`, `object/<first key segment>`,
    /// `identity` (the sender), `configuration-set`, `parameter/<name>`.
    pub resource: String,
}

/// The file calls go to and those already written to it.
type Log = Mutex<(File, HashSet<AwsCall>)>;

/// The log, if `make test` asked for one.
static LOG: LazyLock<Option<Log>> = LazyLock::new(|| {
    let path = std::env::var(LOG_VARIABLE).ok().filter(|p| !p.is_empty())?;
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .unwrap_or_else(|e| panic!("{LOG_VARIABLE}={path} cannot be written: {e}"));
    Some(Mutex::new((file, HashSet::new())))
});

/// The HTTP client of the functions' SDK clients in the tests: the SDK's default one (hyper,
/// rustls with aws-lc), noting each call.
#[derive(Debug, Clone)]
pub struct RecordingClient(SharedHttpClient);

impl RecordingClient {
    /// The SDK's default client, recording.
    pub fn new() -> Self {
        let provider = tls::Provider::Rustls(tls::rustls_provider::CryptoMode::AwsLc);
        Self(aws_smithy_http_client::Builder::new().tls_provider(provider).build_https())
    }
}

impl Default for RecordingClient {
    fn default() -> Self {
        Self::new()
    }
}

impl HttpClient for RecordingClient {
    fn http_connector(&self, settings: &HttpConnectorSettings, components: &RuntimeComponents) -> SharedHttpConnector {
        SharedHttpConnector::new(RecordingConnector(self.0.http_connector(settings, components)))
    }
}

#[derive(Debug)]
struct RecordingConnector(SharedHttpConnector);

impl HttpConnector for RecordingConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        if let (Some(log), Ok(function)) = (LOG.as_ref(), FUNCTION.try_with(|f| *f)) {
            let mut log = log.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            let (file, written) = &mut *log;
            for (action, resource) in actions(&request) {
                let call = AwsCall { function: function.to_string(), action, resource };
                if written.insert(call.clone()) {
                    let line = serde_json::to_string(&call).expect("a call as JSON");
                    writeln!(file, "{line}").expect("the calls log is writable");
                }
            }
        }
        if !aws_time::timing() {
            return self.0.call(request);
        }
        let operation = operation(&request);
        aws_time::noted(operation, self.0.call(request))
    }
}

/// The service and operation of a request, for the route benchmark's counts (see [`aws_time`]):
/// `dynamodb:Query GSI1` (the index a Query or Scan reads), `kms:Sign`, `s3:HeadObject`,
/// `ses:SendEmail`.
fn operation(request: &HttpRequest) -> String {
    let service = service(request);
    if let Some(target) = request.headers().get("x-amz-target") {
        let name = target.rsplit('.').next().unwrap_or_default();
        if matches!(name, "Query" | "Scan") {
            let body: Value = request.body().bytes().and_then(|b| serde_json::from_slice(b).ok()).unwrap_or_default();
            if let Some(index) = body["IndexName"].as_str() {
                return format!("{service}:{name} {index}");
            }
        }
        return format!("{service}:{name}");
    }
    match (service.as_str(), request.method()) {
        ("s3", "HEAD") => "s3:HeadObject".to_string(),
        ("s3", "PUT") if request.headers().get("x-amz-copy-source").is_some() => "s3:CopyObject".to_string(),
        ("s3", _) => s3_actions(request).into_iter().next().map_or_else(|| "s3:unrecognised".into(), |(a, _)| a),
        ("ses", _) => ses_actions(request, &Value::Null).into_iter().next().map_or_else(String::new, |(a, _)| a),
        (other, method) => format!("{other}:{method}"),
    }
}

/// The service a request is signed for (`dynamodb`, `s3`, `ses`, ...).
fn service(request: &HttpRequest) -> String {
    let authorization = request.headers().get("authorization").unwrap_or_default();
    let scope = authorization.split("Credential=").nth(1).and_then(|c| c.split(',').next()).unwrap_or_default();
    scope.split('/').nth(3).unwrap_or("unknown").to_string()
}

/// The IAM actions a request needs, with the resource each names.
fn actions(request: &HttpRequest) -> Vec<(String, String)> {
    let body: Value = request.body().bytes().and_then(|b| serde_json::from_slice(b).ok()).unwrap_or(Value::Null);
    match service(request).as_str() {
        "dynamodb" => dynamodb_actions(request, &body),
        "s3" => s3_actions(request),
        "ses" => ses_actions(request, &body),
        "ssm" => {
            let name = body["Name"].as_str().unwrap_or_default();
            vec![(ssm_action(request), format!("parameter/{}", name.trim_start_matches('/')))]
        }
        "kms" => {
            let target = request.headers().get("x-amz-target").unwrap_or_default();
            vec![(format!("kms:{}", target.rsplit('.').next().unwrap_or_default()), "key/signing".to_string())]
        }
        other => vec![(format!("{other}:unrecognised"), request.uri().to_string())],
    }
}

fn ssm_action(request: &HttpRequest) -> String {
    let target = request.headers().get("x-amz-target").unwrap_or_default();
    format!("ssm:{}", target.rsplit('.').next().unwrap_or_default())
}

fn dynamodb_actions(request: &HttpRequest, body: &Value) -> Vec<(String, String)> {
    let target = request.headers().get("x-amz-target").unwrap_or_default();
    let operation = target.rsplit('.').next().unwrap_or_default();
    let on_table = |body: &Value| match body["IndexName"].as_str() {
        Some(index) => format!("index/{index}"),
        None => "table".to_string(),
    };
    match operation {
        // Transactions need the action of each item's write (there is no TransactWriteItems action).
        "TransactWriteItems" => body["TransactItems"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|item| item.as_object()?.iter().next())
            .map(|(kind, _)| {
                let action = match kind.as_str() {
                    "Put" => "PutItem",
                    "Update" => "UpdateItem",
                    "Delete" => "DeleteItem",
                    _ => "ConditionCheckItem",
                };
                (format!("dynamodb:{action}"), "table".to_string())
            })
            .collect(),
        "TransactGetItems" => vec![("dynamodb:GetItem".into(), "table".into())],
        operation => vec![(format!("dynamodb:{operation}"), on_table(body))],
    }
}

fn s3_actions(request: &HttpRequest) -> Vec<(String, String)> {
    let uri: url::Url = request.uri().parse().expect("an absolute URI");
    let mut segments = uri.path().trim_start_matches('/').splitn(2, '/');
    let _bucket = segments.next();
    let object = |key: &str| format!("object/{}", key.split('/').next().unwrap_or_default());
    let query: Vec<String> = uri.query_pairs().map(|(k, _)| k.into_owned()).collect();
    let tagging = query.iter().any(|k| k == "tagging");
    let headers = request.headers();
    let Some(key) = segments.next().filter(|k| !k.is_empty()) else {
        let action = if request.method() == "GET" { "s3:ListBucket" } else { "s3:unrecognised" };
        return vec![(action.to_string(), "bucket".to_string())];
    };
    let key = percent_decoded(key);
    let mut actions = Vec::new();
    match (request.method(), tagging) {
        ("GET" | "HEAD", false) => actions.push(("s3:GetObject".to_string(), object(&key))),
        ("GET", true) => actions.push(("s3:GetObjectTagging".to_string(), object(&key))),
        ("PUT", true) => actions.push(("s3:PutObjectTagging".to_string(), object(&key))),
        ("PUT", false) => {
            actions.push(("s3:PutObject".to_string(), object(&key)));
            if let Some(source) = headers.get("x-amz-copy-source") {
                let source = percent_decoded(source.trim_start_matches('/'));
                let source_key = source.split_once('/').map(|(_, key)| key).unwrap_or_default();
                actions.push(("s3:GetObject".to_string(), object(source_key)));
            }
            if headers.get("x-amz-tagging").is_some() {
                actions.push(("s3:PutObjectTagging".to_string(), object(&key)));
            }
        }
        ("DELETE", _) => actions.push(("s3:DeleteObject".to_string(), object(&key))),
        (method, _) => actions.push((format!("s3:unrecognised-{method}"), object(&key))),
    }
    actions
}

fn percent_decoded(text: &str) -> String {
    url::form_urlencoded::parse(format!("k={}", text.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, value)| value.into_owned())
        .unwrap_or_default()
}

fn ses_actions(request: &HttpRequest, body: &Value) -> Vec<(String, String)> {
    if request.method() == "POST" && request.uri().ends_with("/v2/email/outbound-emails") {
        let mut actions = vec![("ses:SendEmail".to_string(), "identity".to_string())];
        if body["ConfigurationSetName"].is_string() {
            actions.push(("ses:SendEmail".to_string(), "configuration-set".to_string()));
        }
        actions
    } else {
        vec![("ses:unrecognised".to_string(), request.uri().to_string())]
    }
}
