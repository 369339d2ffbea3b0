//! A fault proxy between the functions' SDK clients and the emulator: an HTTP/1.1 forwarder on
//! `127.0.0.1:<free port>` that, for a chosen share of the DynamoDB, S3 and SES calls, answers what
//! AWS answers when it misbehaves instead of (or after) forwarding the call.
//!
//! - **Before forwarding** (the call never reached AWS): DynamoDB
//!   `ProvisionedThroughputExceededException` and `ThrottlingException` (400, the JSON `__type`
//!   body the SDK parses), S3 `SlowDown` (503, XML), SES `TooManyRequestsException` (429), a plain
//!   `500` (`InternalServerError`, `InternalError`, `InternalFailure`), a dropped connection
//!   (closed without an answer), or a delay past the SDK's attempt timeout (then closed).
//! - **After forwarding** (AWS did the work, the client saw a failure: the nasty case for
//!   idempotency): a `500`, a dropped connection, or an answer delayed past the attempt timeout.
//!
//! The calls are told apart as AWS tells them: DynamoDB by its `X-Amz-Target` header, SES v2 by
//! its `/v2/email/` paths, S3 by everything else without a target (the browser's signed POST
//! upload included); other services (KMS, SSM) pass untouched.
//!
//! Whether the `n`-th call to a service gets a fault, and which, is a function of the seed, the
//! service and `n` only ([`FaultProxy::seed`], printed at start; `FAULT_SEED=<seed>` replays it),
//! so a sequential run meets the same faults again.
//!
//! DynamoDB answers a retried `TransactWriteItems` with the same `ClientRequestToken` (the SDK keeps
//! the token across its retries) with the first call's success, without writing again; the
//! emulator does not, so the proxy does it for it: a transaction that succeeded behind a lost
//! answer is not turned by the retry into a cancelled one that AWS would never answer.

use std::{
    collections::{BTreeMap, HashMap},
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use serde_json::Value;
use tokio::{
    io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader},
    net::{TcpListener, TcpStream},
    sync::OnceCell,
};

/// An AWS service, as the proxy tells its calls apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Service {
    /// DynamoDB (`X-Amz-Target: DynamoDB_20120810.*`).
    DynamoDb,
    /// S3 (no target, not SES), the browser's upload included.
    S3,
    /// SES v2 (`/v2/email/...`).
    Ses,
    /// Anything else (KMS, SSM): never faulted.
    Other,
}

impl Service {
    /// Every faultable service.
    pub const FAULTABLE: [Service; 3] = [Service::DynamoDb, Service::S3, Service::Ses];

    /// The service a request is for.
    fn of(request: &Request) -> Self {
        match request.header("x-amz-target") {
            Some(target) if target.starts_with("DynamoDB_") => Self::DynamoDb,
            Some(_) => Self::Other,
            None if request.target.starts_with("/v2/email/") => Self::Ses,
            None => Self::S3,
        }
    }

    /// Its name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Service::DynamoDb => "DynamoDB",
            Service::S3 => "S3",
            Service::Ses => "SES",
            Service::Other => "other",
        }
    }
}

/// What goes wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Fault {
    /// The service's throttling error (DynamoDB: `ProvisionedThroughputExceededException` or
    /// `ThrottlingException`, S3: `SlowDown`, SES: `TooManyRequestsException`).
    Throttle,
    /// `500` (DynamoDB `InternalServerError`, S3 `InternalError`, SES `InternalFailure`).
    ServerError,
    /// The connection is closed without an answer.
    Drop,
    /// No answer before the SDK's attempt timeout (then the connection is closed).
    Delay,
}

/// When a fault strikes: before the call reaches AWS, or after AWS did it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum When {
    /// The call never reached AWS.
    Before,
    /// AWS did the call; the client sees a failure.
    After,
}

/// Which faults, how often, and how long a delay lasts.
#[derive(Debug, Clone)]
pub struct FaultPlan {
    /// The share of the calls to each faulted service that get a fault (0 to 1).
    pub share: f64,
    /// The services faulted.
    pub services: Vec<Service>,
    /// The faults, with their relative weights.
    pub faults: Vec<(Fault, When, u32)>,
    /// The services whose calls may fail after forwarding. SES is left out by the journey's plan:
    /// `SendEmail` has no idempotency token, so a sent email whose answer is lost can only be sent
    /// again or not at all; no service can tell which, and the outbox chooses at-least-once.
    pub after_forwarding: Vec<Service>,
    /// How long a delayed call waits: longer than the SDK's attempt timeout.
    pub delay: Duration,
}

impl FaultPlan {
    /// No fault.
    pub fn off() -> Self {
        Self { share: 0.0, services: vec![], faults: vec![], after_forwarding: vec![], delay: Duration::ZERO }
    }

    /// Every kind of fault, for `share` of the DynamoDB, S3 and SES calls; after forwarding only
    /// for DynamoDB and S3. Delays cost the run a whole attempt timeout each: they weigh less.
    /// `sdk` is the functions' SDK configuration: a delay outlasts its attempt timeout.
    pub fn every_kind(share: f64, sdk: &aws_config::SdkConfig) -> Self {
        let attempt_timeout = sdk.timeout_config().and_then(|t| t.operation_attempt_timeout());
        let attempt_timeout = attempt_timeout.expect("the functions' SDK configuration sets an attempt timeout");
        Self {
            share,
            services: Service::FAULTABLE.to_vec(),
            faults: vec![
                (Fault::Throttle, When::Before, 4),
                (Fault::ServerError, When::Before, 2),
                (Fault::ServerError, When::After, 2),
                (Fault::Drop, When::Before, 2),
                (Fault::Drop, When::After, 2),
                (Fault::Delay, When::Before, 1),
                (Fault::Delay, When::After, 1),
            ],
            after_forwarding: vec![Service::DynamoDb, Service::S3],
            delay: attempt_timeout + Duration::from_millis(400),
        }
    }

    /// Whether `fault` can strike a call to `service` `when`.
    fn allows(&self, service: Service, fault: Fault, when: When) -> bool {
        // Throttling is decided before any work is done.
        let possible = !(fault == Fault::Throttle && when == When::After);
        possible && (when == When::Before || self.after_forwarding.contains(&service))
    }
}

/// What the proxy saw and did, per service.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FaultReport {
    /// Calls received.
    pub calls: BTreeMap<Service, u64>,
    /// Faults injected, by service and a label naming the fault and when it struck.
    pub faults: BTreeMap<(Service, String), u64>,
    /// Retried `TransactWriteItems` answered from the first call (see the module's notes).
    pub token_replays: u64,
    /// The slowest answer of the emulator.
    pub slowest_upstream: Duration,
    /// Answers of the emulator that took over a second (each near the SDK's attempt timeout).
    pub slow_upstream: u64,
}

impl FaultReport {
    /// Every fault injected.
    pub fn total_faults(&self) -> u64 {
        self.faults.values().sum()
    }

    /// Every call received to the faultable services.
    pub fn total_calls(&self) -> u64 {
        Service::FAULTABLE.iter().map(|s| self.calls.get(s).copied().unwrap_or(0)).sum()
    }

    /// What happened since `earlier` (an earlier report of the same proxy).
    pub fn since(&self, earlier: &FaultReport) -> FaultReport {
        let minus = |now: u64, then: Option<&u64>| now - then.copied().unwrap_or(0);
        FaultReport {
            calls: self.calls.iter().map(|(k, v)| (*k, minus(*v, earlier.calls.get(k)))).collect(),
            faults: self
                .faults
                .iter()
                .map(|(k, v)| (k.clone(), minus(*v, earlier.faults.get(k))))
                .filter(|(_, v)| *v > 0)
                .collect(),
            token_replays: self.token_replays - earlier.token_replays,
            slowest_upstream: self.slowest_upstream,
            slow_upstream: self.slow_upstream - earlier.slow_upstream,
        }
    }
}

/// The proxy, serving until dropped.
pub struct FaultProxy {
    endpoint: String,
    shared: Arc<Shared>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl FaultProxy {
    /// A proxy in front of `upstream` (the emulator's endpoint), faults off. The seed is
    /// `FAULT_SEED` when set, random otherwise; either way it is printed.
    pub async fn start(upstream: &str) -> Self {
        let seed = std::env::var("FAULT_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(random_seed);
        println!("fault proxy seed {seed} (FAULT_SEED={seed} replays the same faults)");
        eprintln!("fault proxy seed {seed} (FAULT_SEED={seed} replays the same faults)");
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a free port on 127.0.0.1");
        let endpoint = format!("http://{}", listener.local_addr().expect("the bound address"));
        let http = reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("an HTTP client");
        let shared = Arc::new(Shared {
            upstream: upstream.trim_end_matches('/').to_string(),
            http,
            seed,
            plan: Mutex::new(FaultPlan::off()),
            report: Mutex::new(FaultReport::default()),
            emails: Mutex::default(),
            transactions: Mutex::new(HashMap::new()),
        });
        let serving = shared.clone();
        let server = tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                tokio::spawn(serve(serving.clone(), socket));
            }
        });
        Self { endpoint, shared, server }
    }

    /// `http://127.0.0.1:<port>`: the endpoint the functions' SDK clients are given.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The seed of the faults.
    pub fn seed(&self) -> u64 {
        self.shared.seed
    }

    /// Changes the faults (at once, for the calls that arrive from now on).
    pub fn set_plan(&self, plan: FaultPlan) {
        *self.shared.plan.lock().unwrap() = plan;
    }

    /// The emails SES accepted through the proxy, oldest first, in the shape of the emulator's
    /// `ses.Message` records (`destinations.ToAddresses`, `subject`, `body`: the text part, or
    /// the whole MIME message of a raw email). Reading them here spares the emulator's state dump,
    /// which grows with every test and takes seconds.
    pub fn emails(&self) -> Vec<Value> {
        self.shared.emails.lock().unwrap().clone()
    }

    /// What the proxy saw and did so far.
    pub fn report(&self) -> FaultReport {
        self.shared.report.lock().unwrap().clone()
    }
}

struct Shared {
    upstream: String,
    http: reqwest::Client,
    seed: u64,
    plan: Mutex<FaultPlan>,
    report: Mutex<FaultReport>,
    /// The emails SES accepted (`SendEmail` calls forwarded and answered `200`).
    emails: Mutex<Vec<Value>>,
    /// Successful `TransactWriteItems` answers by `ClientRequestToken`, with the body they answered.
    transactions: Mutex<HashMap<String, Arc<OnceCell<Written>>>>,
}

/// A transaction's first successful answer, with the body it answered.
type Written = (Vec<u8>, Answer);

/// A request as read from the client.
struct Request {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

/// An answer to write back.
#[derive(Debug, Clone)]
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

/// What to do with the client's connection.
enum Reply {
    Answer(Answer),
    Close,
}

/// Request headers that concern one hop only (the forwarder sets its own).
const HOP_BY_HOP: &[&str] = &[
    "host",
    "connection",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "content-length",
    "expect",
    "te",
    "trailer",
    "upgrade",
];

impl Shared {
    async fn handle(&self, request: Request) -> Reply {
        let service = Service::of(&request);
        let fault = self.decide(service);
        if let Some((fault, When::Before, label)) = &fault {
            self.count_fault(service, label);
            return match fault {
                Fault::Delay => {
                    let delay = self.plan.lock().unwrap().delay;
                    tokio::time::sleep(delay).await;
                    Reply::Close
                }
                Fault::Drop => Reply::Close,
                Fault::Throttle | Fault::ServerError => Reply::Answer(error_answer(service, label, &request)),
            };
        }
        let answer = match self.forward_once(service, &request).await {
            Ok(answer) => answer,
            Err(error) => {
                eprintln!("fault proxy: the emulator did not answer {} {}: {error}", request.method, request.target);
                return Reply::Close;
            }
        };
        if service == Service::Ses && request.target.ends_with("/outbound-emails") && answer.status == 200 {
            self.emails.lock().unwrap().push(sent_email(&request.body));
        }
        match fault {
            Some((fault, When::After, label)) => {
                self.count_fault(service, &label);
                match fault {
                    Fault::Delay => {
                        let delay = self.plan.lock().unwrap().delay;
                        tokio::time::sleep(delay).await;
                        Reply::Answer(answer)
                    }
                    Fault::ServerError => Reply::Answer(error_answer(service, &label, &request)),
                    Fault::Drop | Fault::Throttle => Reply::Close,
                }
            }
            _ => Reply::Answer(answer),
        }
    }

    /// Counts the call and draws its fault, if any: the fault, when, and its label.
    fn decide(&self, service: Service) -> Option<(Fault, When, String)> {
        let index = {
            let mut report = self.report.lock().unwrap();
            let calls = report.calls.entry(service).or_default();
            *calls += 1;
            *calls
        };
        let plan = self.plan.lock().unwrap();
        if !plan.services.contains(&service) || plan.share <= 0.0 {
            return None;
        }
        let draw = |salt: u64| mix(self.seed ^ mix(((service as u64) << 56) ^ (index << 8) ^ salt));
        if unit(draw(1)) >= plan.share {
            return None;
        }
        let choices: Vec<_> = plan.faults.iter().filter(|(f, w, _)| plan.allows(service, *f, *w)).collect();
        let total: u64 = choices.iter().map(|(_, _, weight)| u64::from(*weight)).sum();
        if total == 0 {
            return None;
        }
        let mut pick = draw(2) % total;
        let (fault, when, _) = choices.into_iter().find(|(_, _, weight)| {
            let hit = pick < u64::from(*weight);
            pick = pick.saturating_sub(u64::from(*weight));
            hit
        })?;
        let name = match (fault, service) {
            (Fault::Throttle, Service::DynamoDb) if draw(3) % 2 == 0 => "ProvisionedThroughputExceededException",
            (Fault::Throttle, Service::DynamoDb) => "ThrottlingException",
            (Fault::Throttle, Service::S3) => "SlowDown 503",
            (Fault::Throttle, _) => "TooManyRequestsException 429",
            (Fault::ServerError, Service::DynamoDb) => "InternalServerError 500",
            (Fault::ServerError, Service::S3) => "InternalError 500",
            (Fault::ServerError, _) => "InternalFailure 500",
            (Fault::Drop, _) => "dropped connection",
            (Fault::Delay, _) => "no answer past the attempt timeout",
        };
        let when_label = match when {
            When::Before => "before",
            When::After => "after",
        };
        Some((*fault, *when, format!("{name}, {when_label} AWS")))
    }

    fn count_fault(&self, service: Service, label: &str) {
        *self.report.lock().unwrap().faults.entry((service, label.to_string())).or_default() += 1;
    }

    /// Forwards the request, except a `TransactWriteItems` whose token already succeeded: its
    /// first answer again, as DynamoDB does.
    async fn forward_once(&self, service: Service, request: &Request) -> Result<Answer, String> {
        let token = (service == Service::DynamoDb
            && request.header("x-amz-target").is_some_and(|t| t.ends_with(".TransactWriteItems")))
        .then(|| serde_json::from_slice::<Value>(&request.body).ok())
        .flatten()
        .and_then(|body| body["ClientRequestToken"].as_str().map(str::to_string));
        let Some(token) = token else { return self.forward(request).await };
        let cell = self.transactions.lock().unwrap().entry(token).or_default().clone();
        let forwarded = AtomicBool::new(false);
        let result = cell
            .get_or_try_init(|| async {
                forwarded.store(true, Ordering::SeqCst);
                match self.forward(request).await {
                    Ok(answer) if answer.status == 200 => Ok((request.body.clone(), answer)),
                    Ok(answer) => Err(NotKept::Answer(answer)),
                    Err(error) => Err(NotKept::Failed(error)),
                }
            })
            .await;
        let forwarded = forwarded.load(Ordering::SeqCst);
        match result {
            Ok((_, answer)) if forwarded => Ok(answer.clone()),
            Ok((body, answer)) if *body == request.body => {
                self.report.lock().unwrap().token_replays += 1;
                Ok(answer.clone())
            }
            Ok(_) => Ok(dynamodb_error(
                400,
                "com.amazonaws.dynamodb.v20120810#IdempotentParameterMismatchException",
                "The request uses the same client token as a previous, but non-identical request.",
            )),
            Err(NotKept::Answer(answer)) => Ok(answer),
            Err(NotKept::Failed(error)) => Err(error),
        }
    }

    async fn forward(&self, request: &Request) -> Result<Answer, String> {
        let method = reqwest::Method::from_bytes(request.method.as_bytes()).map_err(|e| e.to_string())?;
        let mut builder = self.http.request(method, format!("{}{}", self.upstream, request.target));
        for (name, value) in &request.headers {
            if !HOP_BY_HOP.contains(&name.as_str()) {
                builder = builder.header(name.as_str(), value.as_str());
            }
        }
        let started = Instant::now();
        let response = builder.body(request.body.clone()).send().await.map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        let head = request.method == "HEAD";
        let headers = response
            .headers()
            .iter()
            .filter(|(name, _)| {
                let name = name.as_str();
                // A HEAD answer keeps the length of what a GET would send (HeadObject's size).
                (head && name == "content-length") || !HOP_BY_HOP.contains(&name)
            })
            .map(|(name, value)| (name.as_str().to_string(), String::from_utf8_lossy(value.as_bytes()).into_owned()))
            .collect();
        let body = response.bytes().await.map_err(|e| e.to_string())?.to_vec();
        let took = started.elapsed();
        let mut report = self.report.lock().unwrap();
        report.slowest_upstream = report.slowest_upstream.max(took);
        report.slow_upstream += u64::from(took > Duration::from_secs(1));
        Ok(Answer { status, headers, body })
    }
}

/// A transaction's answer not to keep: it failed (the client gets it as it is), or the emulator
/// did not answer.
enum NotKept {
    Answer(Answer),
    Failed(String),
}

/// The error answer AWS gives for the fault `label` on `service`.
fn error_answer(service: Service, label: &str, request: &Request) -> Answer {
    let server_error = label.contains("500");
    let mut answer = match service {
        Service::DynamoDb if server_error => {
            dynamodb_error(500, "com.amazonaws.dynamodb.v20120810#InternalServerError", "Internal server error")
        }
        Service::DynamoDb if label.starts_with("ThrottlingException") => dynamodb_error(
            400,
            "com.amazon.coral.availability#ThrottlingException",
            "Rate of requests exceeds the allowed throughput.",
        ),
        Service::DynamoDb => dynamodb_error(
            400,
            "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
            "The level of configured provisioned throughput for the table was exceeded.",
        ),
        Service::S3 => {
            let (status, code, message) = if server_error {
                (500, "InternalError", "We encountered an internal error. Please try again.")
            } else {
                (503, "SlowDown", "Please reduce your request rate.")
            };
            let body = format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message>\
                 <RequestId>FAULTPROXY</RequestId><HostId>fault-proxy</HostId></Error>"
            );
            Answer { status, headers: vec![("content-type".into(), "application/xml".into())], body: body.into_bytes() }
        }
        _ => {
            let (status, code, message) = if server_error {
                (500, "InternalFailure", "The request processing has failed because of an unknown error.")
            } else {
                (429, "TooManyRequestsException", "Too many requests have been made to the operation.")
            };
            Answer {
                status,
                headers: vec![
                    ("content-type".into(), "application/json".into()),
                    ("x-amzn-errortype".into(), code.into()),
                ],
                body: serde_json::json!({"message": message}).to_string().into_bytes(),
            }
        }
    };
    answer.headers.push(("x-amzn-requestid".into(), "FAULTPROXY".into()));
    if request.method == "HEAD" {
        // A HEAD answer has no body, errors included.
        answer.body.clear();
    }
    answer
}

/// A `SendEmail` body as the emulator records the email.
fn sent_email(body: &[u8]) -> Value {
    use base64::Engine;
    let request: Value = serde_json::from_slice(body).unwrap_or_default();
    let content = &request["Content"];
    let (subject, body) = match content["Simple"].as_object() {
        Some(simple) => (simple["Subject"]["Data"].clone(), simple["Body"]["Text"]["Data"].clone()),
        None => {
            let raw = content["Raw"]["Data"].as_str().unwrap_or_default();
            let mime = base64::engine::general_purpose::STANDARD.decode(raw).unwrap_or_default();
            let mime = String::from_utf8_lossy(&mime).into_owned();
            let subject = mime.lines().find_map(|l| l.strip_prefix("Subject: ")).unwrap_or_default().to_string();
            (Value::String(subject), Value::String(mime))
        }
    };
    serde_json::json!({
        "destinations": {"ToAddresses": request["Destination"]["ToAddresses"]},
        "subject": subject,
        "body": body,
    })
}

fn dynamodb_error(status: u16, kind: &str, message: &str) -> Answer {
    Answer {
        status,
        headers: vec![("content-type".into(), "application/x-amz-json-1.0".into())],
        body: serde_json::json!({"__type": kind, "message": message}).to_string().into_bytes(),
    }
}

/// Serves one client connection: its requests one after the other (keep-alive).
async fn serve(shared: Arc<Shared>, socket: TcpStream) {
    let (read, mut write) = socket.into_split();
    let mut read = BufReader::new(read);
    while let Ok(Some(request)) = read_request(&mut read, &mut write).await {
        let head = request.method == "HEAD";
        match shared.handle(request).await {
            Reply::Answer(answer) => {
                if write_answer(&mut write, &answer, head).await.is_err() {
                    return;
                }
            }
            Reply::Close => return,
        }
    }
}

/// Reads one request (head and body, by `Content-Length` or chunked); `None` at the end.
async fn read_request(
    read: &mut (impl AsyncBufRead + Unpin),
    write: &mut (impl AsyncWrite + Unpin),
) -> std::io::Result<Option<Request>> {
    let mut line = Vec::new();
    let request_line = loop {
        line.clear();
        if read.read_until(b'\n', &mut line).await? == 0 {
            return Ok(None);
        }
        let text = String::from_utf8_lossy(&line).trim().to_string();
        if !text.is_empty() {
            break text;
        }
    };
    let mut parts = request_line.split(' ');
    let (Some(method), Some(target)) = (parts.next(), parts.next()) else {
        return Err(std::io::Error::other(format!("not an HTTP request: {request_line}")));
    };
    let (method, target) = (method.to_string(), target.to_string());
    let mut headers = Vec::new();
    loop {
        line.clear();
        if read.read_until(b'\n', &mut line).await? == 0 {
            return Ok(None);
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\r', '\n']);
        if text.is_empty() {
            break;
        }
        if let Some((name, value)) = text.split_once(':') {
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
        }
    }
    let mut request = Request { method, target, headers, body: Vec::new() };
    if request.header("expect").is_some_and(|e| e.eq_ignore_ascii_case("100-continue")) {
        write.write_all(b"HTTP/1.1 100 Continue\r\n\r\n").await?;
    }
    if request.header("transfer-encoding").is_some_and(|t| t.to_ascii_lowercase().contains("chunked")) {
        loop {
            line.clear();
            read.read_until(b'\n', &mut line).await?;
            let size = String::from_utf8_lossy(&line);
            let size = size.trim().split(';').next().unwrap_or_default().to_string();
            let size = usize::from_str_radix(&size, 16).map_err(std::io::Error::other)?;
            if size == 0 {
                // Trailers, up to the empty line.
                loop {
                    line.clear();
                    if read.read_until(b'\n', &mut line).await? == 0 || line.trim_ascii().is_empty() {
                        break;
                    }
                }
                break;
            }
            let start = request.body.len();
            request.body.resize(start + size, 0);
            read.read_exact(&mut request.body[start..]).await?;
            let mut crlf = [0u8; 2];
            read.read_exact(&mut crlf).await?;
        }
    } else if let Some(length) = request.header("content-length").and_then(|l| l.parse::<usize>().ok()) {
        request.body.resize(length, 0);
        read.read_exact(&mut request.body).await?;
    }
    Ok(Some(request))
}

async fn write_answer(write: &mut (impl AsyncWrite + Unpin), answer: &Answer, head: bool) -> std::io::Result<()> {
    let reason = reqwest::StatusCode::from_u16(answer.status).ok().and_then(|s| s.canonical_reason()).unwrap_or("");
    let mut out = format!("HTTP/1.1 {} {reason}\r\n", answer.status).into_bytes();
    for (name, value) in &answer.headers {
        out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
    }
    let bodiless = head || answer.status == 204 || answer.status == 304 || answer.status < 200;
    if !bodiless {
        out.extend_from_slice(format!("content-length: {}\r\n", answer.body.len()).as_bytes());
    } else if head && !answer.headers.iter().any(|(n, _)| n == "content-length") {
        out.extend_from_slice(b"content-length: 0\r\n");
    }
    out.extend_from_slice(b"\r\n");
    if !bodiless {
        out.extend_from_slice(&answer.body);
    }
    write.write_all(&out).await?;
    write.flush().await
}

/// SplitMix64's finaliser: a well-spread 64-bit hash.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A draw in `[0, 1)`.
fn unit(draw: u64) -> f64 {
    (draw >> 11) as f64 / (1u64 << 53) as f64
}

fn random_seed() -> u64 {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    mix(nanos as u64 ^ u64::from(std::process::id()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_draws_the_same_faults() {
        let draws = |seed: u64| -> Vec<u64> {
            (1..200u64).map(|i| mix(seed ^ mix(((Service::S3 as u64) << 56) ^ (i << 8) ^ 1))).collect()
        };
        assert_eq!(draws(7), draws(7));
        assert_ne!(draws(7), draws(8));
        let share = draws(7).iter().filter(|d| unit(**d) < 0.3).count() as f64 / 199.0;
        assert!((0.2..0.4).contains(&share), "{share}");
    }
}
