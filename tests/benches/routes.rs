//! `cargo bench -p accreditation-tests --bench routes`: what each HTTP route costs, against the
//! local AWS emulator (moto), split into the time its AWS calls were in flight and the time of the
//! function's own code (with the SDK's signing and parsing); a login beside the argon2id
//! verification it cannot go below; and the operators' queue at 100,000 requests.
//!
//! Each route's handler is called in-process, from an API Gateway v2 event, exactly as the
//! integration tests call it (`accreditation_tests::invoke_function`); the handler's future is
//! timed and so is every AWS call it makes ([`accreditation_tests::aws_time`]).
//!
//! Usage (the emulator and the fake reCAPTCHA running, as `make test` starts them):
//!
//! ```text
//! TEST_AWS_ENDPOINT=http://127.0.0.1:<moto> TEST_CAPTCHA_VERIFY_URL=http://127.0.0.1:<captcha>/siteverify \
//!   cargo bench -p accreditation-tests --bench routes -- [--iterations N] [--quick] [--markdown PATH]
//!   [--json PATH] [--queue N] [--deep-page N] [--no-queue]
//! ```
//!
//! Also from the environment: `BENCH_ITERATIONS` (300), `BENCH_QUICK` (20 iterations, a queue of
//! 5,000, page 10), `BENCH_MARKDOWN`, `BENCH_QUEUE` (100,000), `BENCH_DEEP_PAGE` (100). `--json`
//! writes the figures `scripts/bench_report.py` checks against the targets. Exits non-zero, saying
//! why, when the emulator is unreachable or any call answers an unexpected status.

// A benchmark: a failed unwrap is a failed run, reported with its place.
#![allow(clippy::unwrap_used)]

use std::{
    collections::{BTreeMap, HashMap},
    fmt::Write as _,
    path::PathBuf,
    time::{Duration, Instant},
};

use accreditation::{
    app::App,
    domain::{Timestamp, Username},
    services::{
        clients::{NewClient, register_client},
        passwords::PasswordHasher,
    },
};
use accreditation_tests::{
    ApiResponse, STRONG_PASSWORD, TestApp, api_event, aws_calls,
    aws_time::{self, Timing},
    captcha_verify_url, emulator_endpoint, file_of, test_site, upload_file, valid_form,
};
use aws_sdk_dynamodb::types::{AttributeValue, PutRequest, WriteRequest};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use lambda_http::{Body, Response};
use secrecy::SecretString;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// Rate limits no run reaches (every call comes from the event's one source address); the
/// counters are still written, as on AWS.
const LIMITS: &str = "submission_address=10000000/3600,submission_email=1000/3600,login_address=10000000/900,\
                      login_account=10000000/900,status_address=10000000/900,status_request=10000000/900";
const REDIRECT: &str = "https://portal.example.it/oidc/callback";
const ISSUER: &str = "https://portal.example.org";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk-verifier-of-the-benchmark";
/// Items per BatchWriteItem (DynamoDB's maximum) and batches in flight while filling the queue.
const BATCH: usize = 25;
const WRITERS: usize = 8;

/// What the command line and the environment asked.
struct Options {
    iterations: usize,
    queue: usize,
    deep_page: usize,
    markdown: Option<PathBuf>,
    json: Option<PathBuf>,
}

impl Options {
    fn read() -> Self {
        let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let number = |name: &str, text: Option<String>| {
            text.map(|t| t.parse::<usize>().unwrap_or_else(|_| fail(&format!("{name}: not a number: {t}"))))
        };
        let quick = env("BENCH_QUICK").is_some_and(|v| v != "0") || std::env::args().any(|a| a == "--quick");
        let mut options = Options {
            iterations: number("BENCH_ITERATIONS", env("BENCH_ITERATIONS")).unwrap_or(if quick { 20 } else { 300 }),
            queue: number("BENCH_QUEUE", env("BENCH_QUEUE")).unwrap_or(if quick { 5_000 } else { 100_000 }),
            deep_page: number("BENCH_DEEP_PAGE", env("BENCH_DEEP_PAGE")).unwrap_or(if quick { 10 } else { 100 }),
            markdown: env("BENCH_MARKDOWN").map(PathBuf::from),
            json: None,
        };
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            let mut value = || args.next().unwrap_or_else(|| fail(&format!("{arg} needs a value")));
            match arg.as_str() {
                "--iterations" | "-n" => options.iterations = number(&arg, Some(value())).unwrap(),
                "--queue" => options.queue = number(&arg, Some(value())).unwrap(),
                "--deep-page" => options.deep_page = number(&arg, Some(value())).unwrap(),
                "--no-queue" => options.queue = 0,
                "--markdown" => options.markdown = Some(PathBuf::from(value())),
                "--json" => options.json = Some(PathBuf::from(value())),
                // `cargo bench` passes --bench; --quick was read above.
                "--bench" | "--quick" => {}
                other => fail(&format!("unknown argument {other} (see the header of tests/benches/routes.rs)")),
            }
        }
        if options.iterations == 0 {
            fail("--iterations must be at least 1");
        }
        if options.queue > 0 && options.queue < options.deep_page * 100 {
            fail(&format!("a queue of {} has no page {} of 100", options.queue, options.deep_page));
        }
        options
    }
}

/// Ends the run with a message and a non-zero status.
fn fail(message: &str) -> ! {
    eprintln!("\x1b[31mbench failed:\x1b[0m {message}");
    std::process::exit(1)
}

/// One invocation, as measured.
struct Sample {
    /// The handler's future, in ms.
    elapsed: f64,
    /// AWS calls in flight, in ms.
    aws: f64,
    /// Its AWS calls' operations.
    operations: Vec<String>,
}

impl From<&Timing> for Sample {
    fn from(timing: &Timing) -> Self {
        Sample {
            elapsed: ms(timing.elapsed),
            aws: ms(timing.aws),
            operations: timing.calls.iter().map(|c| c.operation.clone()).collect(),
        }
    }
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// The value at `p` (0..=1) of `values`, nearest rank.
fn percentile(values: &[f64], p: f64) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// The samples of one route.
struct Route {
    name: String,
    function: &'static str,
    samples: Vec<Sample>,
}

/// The runs of section A, the app they share and the web function's pages.
struct Bench {
    test: TestApp,
    site: web::Site,
    routes: Vec<Route>,
}

/// Invokes the HTTP function `function` on `event` as `invoke_function` does, timing the
/// handler's future (the event's parsing and the answer's reading are outside).
async fn invoke(app: &App, site: &web::Site, function: &'static str, event: &Value) -> (ApiResponse, Timing) {
    let request = lambda_http::request::from_str(&event.to_string()).expect("API Gateway v2 event");
    let (response, timing) = aws_time::timed(handle(app, site, function, request)).await;
    (ApiResponse::from(response.expect("the handler never fails")), timing)
}

async fn handle(
    app: &App,
    site: &web::Site,
    function: &'static str,
    request: lambda_http::Request,
) -> Result<Response<Body>, lambda_http::Error> {
    match function {
        "auth" => {
            let services = auth::Services { auth: &app.auth, recovery: &app.recovery };
            aws_calls::as_function("auth", auth::handler(services, request)).await
        }
        "operator" => aws_calls::as_function("operator", operator::handler(&app.operator, request)).await,
        "requests" => aws_calls::as_function("requests", requests::handler(&app.applicant, request)).await,
        "web" => aws_calls::as_function("web", web::handler(site, request)).await,
        "oidc" => aws_calls::as_function("oidc", oidc::handler(&app.provider, request)).await,
        other => fail(&format!("{other} is not an HTTP function")),
    }
}

/// An event of `method path` with `headers` and a JSON body (or a form, with its content type).
fn event(method: &str, path: &str, headers: &[(&str, &str)], body: Option<&str>) -> Value {
    api_event(method, path, headers, body)
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

impl Bench {
    /// Calls `route` (served by `function`) with `event`; any status but `expected` ends the run.
    async fn call(&mut self, route: &str, function: &'static str, event: Value, expected: u16) -> ApiResponse {
        let (response, timing) = invoke(&self.test.app, &self.site, function, &event).await;
        if response.status != expected {
            fail(&format!("{route}: answered {} where {expected} was expected: {:#}", response.status, response.body));
        }
        let sample = Sample::from(&timing);
        match self.routes.iter_mut().find(|r| r.name == route) {
            Some(existing) => existing.samples.push(sample),
            None => self.routes.push(Route { name: route.to_string(), function, samples: vec![sample] }),
        }
        response
    }
}

/// The value of the cookie `name` a response sets.
fn set_cookie(response: &ApiResponse, name: &str) -> String {
    let header = response.headers.get("set-cookie").unwrap_or_else(|| fail(&format!("no {name} cookie")));
    header
        .lines()
        .find_map(|line| line.strip_prefix(&format!("{name}=")))
        .map(|rest| rest.split(';').next().unwrap().to_string())
        .unwrap_or_else(|| fail(&format!("no {name} cookie in {header}")))
}

/// The parameters of a redirect's query.
fn redirect_query(location: &str) -> HashMap<String, String> {
    let query = location.split_once('?').map(|(_, q)| q).unwrap_or_default();
    form_urlencoded::parse(query.as_bytes()).into_owned().collect()
}

fn query(pairs: &[(&str, &str)]) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (name, value) in pairs {
        query.append_pair(name, value);
    }
    query.finish()
}

/// Section A: every route, `n` times each.
async fn routes(bench: &mut Bench, n: usize) -> Vec<f64> {
    let http = reqwest::Client::new();
    for _ in 0..n {
        bench.call("GET / (a page, no AWS)", "web", event("GET", "/", &[], None), 200).await;
    }
    for _ in 0..n {
        let discovery = event("GET", "/.well-known/openid-configuration", &[], None);
        bench.call("GET /.well-known/openid-configuration", "oidc", discovery, 200).await;
    }
    for _ in 0..n {
        bench.call("GET /oidc/jwks", "oidc", event("GET", "/oidc/jwks", &[], None), 200).await;
    }

    // The applicant's routes, each on the requests the submissions made.
    let json = [("content-type", "application/json")];
    let mut submitted = Vec::new();
    let mut siteverify = Vec::new();
    for _ in 0..n {
        let body = valid_form().to_string();
        let created =
            bench.call("POST /requests", "requests", event("POST", "/requests", &json, Some(&body)), 201).await;
        let id = created.body["id"].as_str().unwrap().to_string();
        submitted.push((id, created.body["access_token"].as_str().unwrap().to_string()));
        // The reCAPTCHA check the submission makes (not an AWS call), alone.
        let started = Instant::now();
        let verdict = http
            .post(captcha_verify_url())
            .form(&[("secret", "test-secret"), ("response", "pass-token"), ("remoteip", "203.0.113.7")])
            .send()
            .await;
        if !verdict.is_ok_and(|v| v.status().is_success()) {
            fail("the fake reCAPTCHA did not answer");
        }
        siteverify.push(ms(started.elapsed()));
    }
    for (id, token) in &submitted {
        let auth = bearer(token);
        let path = format!("/requests/{id}/upload-url");
        let upload = event("POST", &path, &[("authorization", &auth)], None);
        let grant = bench.call("POST /requests/{id}/upload-url", "requests", upload, 200).await;
        let status = upload_file(&http, &grant.body["upload"], file_of("png", 2048)).await;
        if !(200..300).contains(&status) {
            fail(&format!("the emulator refused an upload with {status}"));
        }
    }
    for (id, token) in &submitted {
        let auth = bearer(token);
        let confirm = event("POST", &format!("/requests/{id}/document"), &[("authorization", &auth)], None);
        bench.call("POST /requests/{id}/document", "requests", confirm, 200).await;
    }
    for (id, token) in &submitted {
        let auth = bearer(token);
        let status = event("GET", &format!("/requests/{id}"), &[("authorization", &auth)], None);
        bench.call("GET /requests/{id}", "requests", status, 200).await;
    }

    // The operator's routes, on the queue the submissions filled.
    let operator = bearer(&bench.test.operator_session().await);
    for _ in 0..n {
        let page = event("GET", "/operator/requests", &[("authorization", &operator)], None);
        bench.call("GET /operator/requests", "operator", page, 200).await;
    }
    for (id, _) in &submitted {
        let view = event("GET", &format!("/operator/requests/{id}"), &[("authorization", &operator)], None);
        bench.call("GET /operator/requests/{id}", "operator", view, 200).await;
    }
    for (id, _) in &submitted {
        let headers = [("authorization", operator.as_str()), ("content-type", "application/json")];
        let approve = event("POST", &format!("/operator/requests/{id}/approve"), &headers, Some("{}"));
        let done = bench.call("POST /operator/requests/{id}/approve", "operator", approve, 200).await;
        if done.body["status"] != "approved" {
            fail(&format!("an approval answered {:#}", done.body));
        }
    }
    siteverify
}

/// Section B: `n` logins of an account with a permanent password, each followed by the same
/// argon2id verification alone. Answers the floor's times (ms); the logins are a route of `bench`.
async fn logins(bench: &mut Bench, n: usize) -> Vec<f64> {
    let (username, _, _) = bench.test.applicant_account().await;
    let account = bench.test.app.accounts.account(&Username::parse(&username).unwrap()).await.unwrap();
    let hash = account
        .and_then(|a| a.password_hash().map(str::to_string))
        .unwrap_or_else(|| fail("the account has no password hash"));
    if !hash.starts_with("$argon2id$") {
        fail(&format!("not an argon2id hash: {hash}"));
    }
    let hasher = PasswordHasher::new().unwrap();
    let body = json!({"username": username, "password": STRONG_PASSWORD}).to_string();
    let mut floor = Vec::new();
    for _ in 0..n {
        let login = event("POST", "/auth/login", &[("content-type", "application/json")], Some(&body));
        let done = bench.call("POST /auth/login", "auth", login, 200).await;
        if done.body["status"] != "authenticated" {
            fail(&format!("the login answered {:#}", done.body));
        }
        let started = Instant::now();
        let matched = hasher.verify(SecretString::from(STRONG_PASSWORD), Some(hash.clone())).await.unwrap();
        floor.push(ms(started.elapsed()));
        if !matched {
            fail("the floor's verification did not match");
        }
    }
    floor
}

/// The OpenID Connect routes with a live single sign-on session: authorize, the code exchange,
/// userinfo, `n` times each (each code and token used once).
async fn openid(bench: &mut Bench, n: usize) {
    let test = &bench.test;
    let new = NewClient {
        name: "Portale Servizi Lavoro",
        redirect_uris: vec![REDIRECT.to_string()],
        post_logout_redirect_uris: vec![],
        public: false,
    };
    let (client, secret) = register_client(&test.legacy_store(), new, test.app.clock.now()).await.unwrap();
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", client.client_id, secret.unwrap().expose()))
    );
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(VERIFIER.as_bytes()));
    let authorize_path = format!(
        "/oidc/authorize?{}",
        query(&[
            ("response_type", "code"),
            ("client_id", &client.client_id),
            ("redirect_uri", REDIRECT),
            ("scope", "openid profile email"),
            ("state", "state-1"),
            ("nonce", "nonce-1"),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ])
    );
    // One sign-in through the provider's login: the single sign-on cookie.
    let (username, _, _) = test.applicant_account().await;
    let started = test.oidc("GET", &authorize_path, &[], None).await;
    let authorization = redirect_query(&started.headers["location"])["authorization"].clone();
    let browser = format!("__Host-oidc-login={}", set_cookie(&started, "__Host-oidc-login"));
    let login = test.login(&username, STRONG_PASSWORD).await;
    let auth = bearer(login.body["token"].as_str().unwrap());
    let headers =
        [("content-type", "application/json"), ("cookie", &browser), ("authorization", &auth), ("origin", ISSUER)];
    let handed =
        test.oidc("POST", "/oidc/login", &headers, Some(&json!({ "authorization": authorization }).to_string())).await;
    if handed.status != 200 {
        fail(&format!("the hand-over answered {}: {:#}", handed.status, handed.body));
    }
    let sso = format!("__Host-sso={}", set_cookie(&handed, "__Host-sso"));

    // Each code exchanged as soon as it is issued (a code lives a minute) and each access token
    // used at once: one sign-in to a site after another.
    for _ in 0..n {
        let authorize = event("GET", &authorize_path, &[("cookie", &sso)], None);
        let redirected = bench.call("GET /oidc/authorize (live SSO)", "oidc", authorize, 303).await;
        let code = redirect_query(&redirected.headers["location"]).remove("code");
        let code = code.unwrap_or_else(|| fail(&format!("no code in {}", redirected.headers["location"])));
        let form = query(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ]);
        let headers = [("content-type", "application/x-www-form-urlencoded"), ("authorization", basic.as_str())];
        let tokens = bench
            .call("POST /oidc/token (code)", "oidc", event("POST", "/oidc/token", &headers, Some(&form)), 200)
            .await;
        let auth = bearer(tokens.body["access_token"].as_str().unwrap());
        bench
            .call("GET /oidc/userinfo", "oidc", event("GET", "/oidc/userinfo", &[("authorization", &auth)], None), 200)
            .await;
    }
}

/// The AWS calls per invocation, by operation (`2 dynamodb:GetItem, 0.5 kms:Sign`).
fn operations_per_call(samples: &[Sample]) -> String {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for operation in samples.iter().flat_map(|s| &s.operations) {
        *counts.entry(operation).or_default() += 1;
    }
    if counts.is_empty() {
        return "none".to_string();
    }
    let per = |count: usize| {
        let value = count as f64 / samples.len() as f64;
        if count.is_multiple_of(samples.len()) { format!("{value:.0}") } else { format!("{value:.2}") }
    };
    counts.iter().map(|(operation, count)| format!("{} {operation}", per(*count))).collect::<Vec<_>>().join(", ")
}

fn routes_table(routes: &[Route], n: usize) -> String {
    let mut table = format!(
        "### Routes: {n} invocations each, in-process against moto\n\n\
         | Route | Function | p50 ms | p95 ms | p99 ms | AWS p50 ms | own p50 ms | own p95 ms | own / AWS at p50 | AWS calls per invocation |\n\
         |---|---|---:|---:|---:|---:|---:|---:|---:|---|\n"
    );
    for route in routes {
        let elapsed: Vec<f64> = route.samples.iter().map(|s| s.elapsed).collect();
        let aws: Vec<f64> = route.samples.iter().map(|s| s.aws).collect();
        let own: Vec<f64> = route.samples.iter().map(|s| s.elapsed - s.aws).collect();
        let (aws50, own50) = (percentile(&aws, 0.5), percentile(&own, 0.5));
        let ratio = if aws50 > 0.0 { format!("{:.0} %", own50 / aws50 * 100.0) } else { "–".to_string() };
        writeln!(
            table,
            "| {} | {} | {:.2} | {:.2} | {:.2} | {:.2} | {:.3} | {:.3} | {} | {} |",
            route.name,
            route.function,
            percentile(&elapsed, 0.5),
            percentile(&elapsed, 0.95),
            percentile(&elapsed, 0.99),
            aws50,
            own50,
            percentile(&own, 0.95),
            ratio,
            operations_per_call(&route.samples),
        )
        .unwrap();
    }
    table.push_str(
        "\nRoute time: the handler's future, start to end. AWS time: the wall time during which at least one \
         of its AWS SDK HTTP calls was in flight (connector call to the response body's last byte; \
         concurrent calls counted once). Own = route − AWS per invocation: the function's code and the \
         SDK's (serialising, signing, parsing), plus any I/O that is not an AWS call.\n",
    );
    table
}

fn login_table(login: &[Sample], floor: &[f64]) -> String {
    let elapsed: Vec<f64> = login.iter().map(|s| s.elapsed).collect();
    let aws: Vec<f64> = login.iter().map(|s| s.aws).collect();
    let own: Vec<f64> = login.iter().map(|s| s.elapsed - s.aws).collect();
    let row = |name: &str, values: &[f64]| {
        format!(
            "| {name} | {:.2} | {:.2} | {:.2} |\n",
            percentile(values, 0.5),
            percentile(values, 0.95),
            percentile(values, 0.99)
        )
    };
    let mut table = format!(
        "### Login beside its floor: {} rounds, interleaved\n\n| | p50 ms | p95 ms | p99 ms |\n|---|---:|---:|---:|\n",
        login.len()
    );
    table.push_str(&row("POST /auth/login (permanent argon2id password)", &elapsed));
    table.push_str(&row("argon2id verification alone (the floor)", floor));
    table.push_str(&row("login's AWS time", &aws));
    table.push_str(&row("login's own time (route − AWS)", &own));
    let (login50, floor50, aws50) = (percentile(&elapsed, 0.5), percentile(floor, 0.5), percentile(&aws, 0.5));
    writeln!(
        table,
        "\nLogin p50 − floor p50 = **{:.2} ms**; of which AWS p50 {:.2} ms, leaving {:.2} ms of other own work \
         (own p50 {:.2} ms − floor p50). Calls per login: {}.",
        login50 - floor50,
        aws50,
        login50 - floor50 - aws50,
        percentile(&own, 0.5),
        operations_per_call(login),
    )
    .unwrap();
    table
}

/// One measured page of the queue.
struct Page {
    name: String,
    items: usize,
    sample: Sample,
}

/// What section C found.
struct Queue {
    size: usize,
    /// The requests in the table while the cursors were walked.
    head: usize,
    filled_in: Duration,
    pages: Vec<Page>,
    /// Pages read to get the deep page's cursor, and how long that took.
    walk: (usize, Duration),
}

fn queue_table(queue: &Queue) -> String {
    let mut table = format!(
        "### The queue at scale: {} requests in `submitted`, a fresh table\n\n\
         | Page | Items | Latency ms | AWS ms | Own ms | DynamoDB calls |\n|---|---:|---:|---:|---:|---|\n",
        queue.size
    );
    for page in &queue.pages {
        writeln!(
            table,
            "| {} | {} | {:.1} | {:.1} | {:.2} | {} |",
            page.name,
            page.items,
            page.sample.elapsed,
            page.sample.aws,
            page.sample.elapsed - page.sample.aws,
            operations_per_call(std::slice::from_ref(&page.sample)),
        )
        .unwrap();
    }
    writeln!(
        table,
        "\nFilling the table (BatchWriteItem, {BATCH} a batch, {WRITERS} in flight) took {:.1} s.",
        queue.filled_in.as_secs_f64()
    )
    .unwrap();
    let (pages, took) = queue.walk;
    writeln!(
        table,
        "Its cursor was reached by walking {pages} pages of 100 while the table held the first {} requests \
         (written first, in queue order; the rest sort after them, so the deep page's items are the same): \
         {:.1} s, {:.0} ms a page.",
        queue.head,
        took.as_secs_f64(),
        ms(took) / pages.max(1) as f64
    )
    .unwrap();
    table.push_str(
        "Every page is one Query on the GSI1 index, never a Scan (checked). Moto answers a Query by reading \
         every item of the table, so these latencies, and their growth with the table, are moto's: \
         DynamoDB reads only the page's items from the index partition.\n",
    );
    table
}

/// Section C: a fresh table with `size` requests in the queue, its first page (default size and
/// 100) and page `deep` of 100. Moto's Query reads every item of the table, so walking the
/// cursors at full size would take it half an hour: the items are written in queue order, the
/// first `deep` pages' worth first; the cursors are walked then (a cursor is the key of the last
/// item of its page, whatever follows it); then the rest is written and the pages are measured.
async fn queue(size: usize, deep: usize) -> Queue {
    let test = TestApp::spawn_with(&[("RATE_LIMITS", LIMITS)]).await;
    let site = test_site();
    let operator = bearer(&test.operator_session().await);
    let first = test.submitted_request(&valid_form()).await;
    let original = test.raw_item(&format!("REQ#{}", first.id), "META").await.expect("the request's item");
    let since = original["GSI1SK"].as_s().unwrap().split_once('#').map(|(at, _)| at.to_string()).unwrap();
    let since = Timestamp::try_from(since).unwrap_or_else(|e| fail(&format!("an unexpected queue key: {e}")));
    let template = Template {
        item_text: serde_json::to_string(&accreditation_tests::dynamo_json(&original)).unwrap(),
        original,
        since,
    };
    let template = std::sync::Arc::new(template);
    let head = (deep * 100).min(size);
    let mut filled_in = fill(&test, &template, 1..head).await;

    let mut pages = Vec::new();
    let mut page = async |name: &str, path: String| -> ApiResponse {
        let (response, timing) =
            invoke(&test.app, &site, "operator", &event("GET", &path, &[("authorization", &operator)], None)).await;
        if response.status != 200 {
            fail(&format!("{path}: answered {}: {:#}", response.status, response.body));
        }
        check_queue_calls(&path, &timing);
        let items = response.body["items"].as_array().map_or(0, Vec::len);
        if !name.is_empty() {
            pages.push(Page { name: name.to_string(), items, sample: Sample::from(&timing) });
        }
        response
    };
    let started = Instant::now();
    let mut response = page("", "/operator/requests?limit=100".into()).await;
    for _ in 2..deep {
        let cursor = response.body["next_cursor"].as_str().unwrap_or_else(|| fail("the queue ended early")).to_string();
        response = page("", format!("/operator/requests?limit=100&cursor={cursor}")).await;
    }
    let walked = started.elapsed();
    let cursor = response.body["next_cursor"].as_str().unwrap_or_else(|| fail("the queue ended early")).to_string();
    filled_in += fill(&test, &template, head..size).await;
    eprintln!("queue: {size} requests written in {:.1} s", filled_in.as_secs_f64());

    page("first page, default size (50)", "/operator/requests".into()).await;
    page("first page, limit=100", "/operator/requests?limit=100".into()).await;
    let name = format!("page {deep} of 100 (items {}–{})", (deep - 1) * 100 + 1, deep * 100);
    page(&name, format!("/operator/requests?limit=100&cursor={cursor}")).await;
    Queue { size, head, filled_in, pages, walk: (deep - 1, walked) }
}

/// The item copied into the queue, its text and its submission time.
struct Template {
    original: HashMap<String, AttributeValue>,
    item_text: String,
    since: Timestamp,
}

/// Writes the copies `range` of the template (copy `i` submitted `i` ms after it), `BATCH` a
/// BatchWriteItem, `WRITERS` in flight; answers how long it took.
async fn fill(test: &TestApp, template: &std::sync::Arc<Template>, range: std::ops::Range<usize>) -> Duration {
    let started = Instant::now();
    let mut writers = tokio::task::JoinSet::new();
    for writer in 0..WRITERS {
        let (dynamodb, table, template, range) =
            (test.clients.dynamodb.clone(), test.table.clone(), template.clone(), range.clone());
        writers.spawn(async move {
            let copies = range.collect::<Vec<_>>();
            for batch in copies.chunks(BATCH).skip(writer).step_by(WRITERS) {
                let mut requests: Vec<WriteRequest> = batch
                    .iter()
                    .map(|&i| {
                        let item = cloned(&template.original, &template.item_text, template.since, i);
                        let put = PutRequest::builder().set_item(Some(item)).build().unwrap();
                        WriteRequest::builder().put_request(put).build()
                    })
                    .collect();
                while !requests.is_empty() {
                    let output = dynamodb
                        .batch_write_item()
                        .request_items(&table, requests)
                        .send()
                        .await
                        .unwrap_or_else(|e| fail(&format!("BatchWriteItem: {e:?}")));
                    requests = output.unprocessed_items.and_then(|mut u| u.remove(&table)).unwrap_or_default();
                }
            }
        });
    }
    writers.join_all().await;
    started.elapsed()
}

/// Fails loudly unless the queue's page was read with Query on the index alone.
fn check_queue_calls(path: &str, timing: &Timing) {
    let operations: Vec<&str> = timing.calls.iter().map(|c| c.operation.as_str()).collect();
    if operations.iter().any(|o| o.contains("Scan")) {
        fail(&format!("{path} scanned the table: {operations:?}"));
    }
    if !operations.contains(&"dynamodb:Query GSI1") {
        fail(&format!("{path} made no Query on GSI1: {operations:?}"));
    }
}

/// The request item `original` as request number `i` of the queue: a new id, keys and
/// submission time (`since` plus `i` ms, so the queue keeps its order).
fn cloned(
    original: &HashMap<String, AttributeValue>,
    text: &str,
    since: Timestamp,
    i: usize,
) -> HashMap<String, AttributeValue> {
    let id = uuid::Uuid::new_v4().to_string();
    let old_id = original["PK"].as_s().unwrap().trim_start_matches("REQ#");
    let old_since = original["GSI1SK"].as_s().unwrap().split_once('#').unwrap().0;
    let new_since = since.plus(time::Duration::milliseconds(i as i64)).to_string();
    let text = text.replace(old_id, &id).replace(old_since, &new_since);
    let json: Value = serde_json::from_str(&text).unwrap();
    json.as_object().unwrap().iter().map(|(k, v)| (k.clone(), attribute(v))).collect()
}

/// A value of DynamoDB JSON as an attribute.
fn attribute(value: &Value) -> AttributeValue {
    let (kind, inner) = value.as_object().unwrap().iter().next().unwrap();
    match kind.as_str() {
        "S" => AttributeValue::S(inner.as_str().unwrap().to_string()),
        "N" => AttributeValue::N(inner.as_str().unwrap().to_string()),
        "BOOL" => AttributeValue::Bool(inner.as_bool().unwrap()),
        "NULL" => AttributeValue::Null(true),
        "M" => AttributeValue::M(inner.as_object().unwrap().iter().map(|(k, v)| (k.clone(), attribute(v))).collect()),
        "L" => AttributeValue::L(inner.as_array().unwrap().iter().map(attribute).collect()),
        other => fail(&format!("an attribute of type {other} in a request item")),
    }
}

#[tokio::main]
async fn main() {
    let options = Options::read();
    let endpoint = emulator_endpoint();
    let reachable = reqwest::Client::new().get(format!("{endpoint}/moto-api/")).send().await;
    if !reachable.is_ok_and(|r| r.status().is_success()) {
        fail(&format!(
            "the emulator at {endpoint} is unreachable (TEST_AWS_ENDPOINT): start it as scripts/test.sh does"
        ));
    }
    captcha_verify_url();
    let n = options.iterations;
    let build = if cfg!(debug_assertions) { "debug assertions on (not an optimised build)" } else { "optimised" };
    eprintln!("routes: {n} invocations each; build: {build}");

    let test = TestApp::spawn_with(&[("RATE_LIMITS", LIMITS)]).await;
    let mut bench = Bench { test, site: test_site(), routes: Vec::new() };
    let siteverify = routes(&mut bench, n).await;
    let floor = logins(&mut bench, n).await;
    openid(&mut bench, n).await;

    let mut markdown = format!(
        "## Route benchmark (tests/benches/routes.rs)\n\nBuild: {build}. Emulator: moto at {endpoint}. \
         Submissions call the fake reCAPTCHA (not an AWS call, so in their own time): alone, its \
         round trip took {:.2} ms at p50.\n\n",
        percentile(&siteverify, 0.5)
    );
    markdown.push_str(&routes_table(&bench.routes, n));
    let login = &bench.routes.iter().find(|r| r.name == "POST /auth/login").unwrap().samples;
    markdown.push('\n');
    markdown.push_str(&login_table(login, &floor));
    if options.queue > 0 {
        let queue = queue(options.queue, options.deep_page).await;
        markdown.push('\n');
        markdown.push_str(&queue_table(&queue));
    }
    println!("{markdown}");
    if let Some(path) = options.markdown {
        std::fs::write(&path, &markdown).unwrap_or_else(|e| fail(&format!("{}: {e}", path.display())));
        eprintln!("written to {}", path.display());
    }
    if let Some(path) = options.json {
        let figures = json!({ "routes": bench.routes.iter().map(route_figures).collect::<Vec<_>>(), "login": login_figures(login, &floor) });
        std::fs::write(&path, format!("{figures:#}\n")).unwrap_or_else(|e| fail(&format!("{}: {e}", path.display())));
    }
}

/// A route's figures for the report: p50/p95/p99 of its time, p50 of its AWS time, p50/p95 of
/// its own (route − AWS), in ms.
fn route_figures(route: &Route) -> Value {
    let elapsed: Vec<f64> = route.samples.iter().map(|s| s.elapsed).collect();
    let aws: Vec<f64> = route.samples.iter().map(|s| s.aws).collect();
    let own: Vec<f64> = route.samples.iter().map(|s| s.elapsed - s.aws).collect();
    json!({
        "route": route.name,
        "function": route.function,
        "n": route.samples.len(),
        "route_ms": { "p50": percentile(&elapsed, 0.5), "p95": percentile(&elapsed, 0.95), "p99": percentile(&elapsed, 0.99) },
        "aws_ms": { "p50": percentile(&aws, 0.5) },
        "own_ms": { "p50": percentile(&own, 0.5), "p95": percentile(&own, 0.95) },
        "aws_calls": operations_per_call(&route.samples),
    })
}

/// The login's figures beside its argon2id floor, p50 in ms.
fn login_figures(login: &[Sample], floor: &[f64]) -> Value {
    let p50 = |values: Vec<f64>| percentile(&values, 0.5);
    json!({
        "route_p50_ms": p50(login.iter().map(|s| s.elapsed).collect()),
        "aws_p50_ms": p50(login.iter().map(|s| s.aws).collect()),
        "own_p50_ms": p50(login.iter().map(|s| s.elapsed - s.aws).collect()),
        "floor_p50_ms": percentile(floor, 0.5),
    })
}
