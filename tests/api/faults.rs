//! AWS misbehaving (issue 20): the whole journey, run many times with throttling, `500`s, dropped
//! connections and delays injected into the functions' DynamoDB, S3 and SES calls by the fault
//! proxy, loses nothing and never answers a `500`; and events delivered twice have one effect.
//!
//! The journey's clients retry as real ones do: a `429`/`503` after its `Retry-After` (scaled down
//! fifty times: the faults strike calls, not moments, so waiting longer proves nothing), a lost
//! answer to `POST /requests` by sending it again with the same `Idempotency-Key`, the upload until
//! S3 takes it, and the S3 trigger as Lambda retries a failed asynchronous invocation (twice).

use std::{
    collections::{BTreeMap, HashMap},
    fmt::Write as _,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use accreditation::services::postman::{LEASE, SweepReport};
use accreditation_tests::{
    ApiResponse, STRONG_PASSWORD, TestApp, api_event,
    aws_calls::as_function,
    emulator_endpoint,
    fault_proxy::{Fault, FaultPlan, FaultProxy, FaultReport, Service, When},
    file_of, invoke_requests, line_value, read_event, valid_form,
};
use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::{Value, json};
use tracing::instrument::WithSubscriber;

/// Journeys per share of faults.
const RUNS: usize = 20;
/// Journeys started per share of faults however slow the emulator is.
const MIN_RUNS: usize = 8;
/// No journey starts after this long into its share's batch (the test stays under 3 minutes on
/// a busy machine, where the emulator, serving the other tests too, answers in seconds).
const BATCH_BUDGET: [Duration; 2] = [Duration::from_secs(40), Duration::from_secs(70)];
/// The shares of calls faulted, one batch of runs each.
const SHARES: [f64; 2] = [0.10, 0.30];
/// Journeys under way at once (each spends most of its time waiting on AWS, or on a fault).
const CONCURRENT: usize = 6;
/// Answers a client waits through at one step before giving up.
const ATTEMPTS: usize = 12;

type Item = HashMap<String, AttributeValue>;

/// Every answer the clients got.
#[derive(Default)]
struct Answers {
    total: u64,
    successes: u64,
    /// `429`/`503` with `Retry-After`, waited and retried.
    documented_retries: u64,
    /// Documented client errors a retry meets when the call it retries had landed (e.g. `409
    /// invalid_transition` to the retry of an approval that was written).
    after_landed: BTreeMap<String, u64>,
    /// `5xx` answers: each a defect.
    server_errors: Vec<String>,
    /// `429`/`503` without `Retry-After`: each a defect.
    without_retry_after: Vec<String>,
}

/// A shared buffer as a log writer.
#[derive(Clone)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Capture {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// What one journey achieved.
#[derive(Debug, Default)]
struct Journey {
    run: usize,
    /// The client's address.
    ip: String,
    address: String,
    /// The ids of every `201` the client got.
    created: Vec<String>,
    id: Option<String>,
    username: Option<String>,
    /// The temporary password, once its email arrived.
    temporary: Option<String>,
    /// Answers to `POST /requests` thrown away by the client and sent again with the same key.
    resubmitted: u32,
    /// Uploads S3 failed and the browser sent again.
    uploads_retried: u32,
    /// Uploads S3 took that the acceptance then lost (`422 document_not_uploaded`): sent again.
    uploads_lost: u32,
    /// S3 trigger invocations that failed and were retried (as Lambda does).
    triggers_retried: u32,
    /// The credentials had not arrived before the faults ended: finished afterwards.
    finished_after_faults: bool,
    completed: bool,
    /// Why it stopped, if it did.
    failure: Option<String>,
}

/// What the journeys share.
struct World {
    app: TestApp,
    proxy: FaultProxy,
    /// What the services logged at error level during the journeys (JSON lines).
    errors: Arc<Mutex<Vec<u8>>>,
    operator: String,
    answers: Mutex<Answers>,
    browser: reqwest::Client,
}

impl World {
    /// A subscriber noting the services' error-level events (the cause of each `5xx`), for the
    /// journeys' tasks only.
    fn error_log(&self) -> tracing::Dispatch {
        let buffer = Capture(self.errors.clone());
        let subscriber = tracing_subscriber::fmt()
            .json()
            .with_max_level(tracing::Level::ERROR)
            .with_writer(move || buffer.clone())
            .finish();
        tracing::Dispatch::new(subscriber)
    }

    /// The distinct errors logged, with their counts.
    fn logged_errors(&self) -> BTreeMap<String, usize> {
        let bytes = self.errors.lock().unwrap().clone();
        let mut counts = BTreeMap::new();
        for line in String::from_utf8_lossy(&bytes).lines() {
            let event: Value = serde_json::from_str(line).unwrap_or_default();
            let fields = &event["fields"];
            let text = format!("{}: {}", fields["message"].as_str().unwrap_or_default(), fields["error"]);
            *counts.entry(text).or_default() += 1;
        }
        counts
    }

    /// Calls the API as client `ip`.
    async fn call(
        &self,
        ip: &str,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&Value>,
    ) -> ApiResponse {
        let body = body.map(Value::to_string);
        let mut event = api_event(method, path, headers, body.as_deref());
        event["requestContext"]["http"]["sourceIp"] = json!(ip);
        event["headers"]["x-forwarded-for"] = json!(ip);
        invoke_requests(&self.app.app, &event).await
    }

    /// Calls until an answer that is neither `429`/`503` nor `5xx` (a real client retries those
    /// too), noting each answer; returns the last, and whether an earlier one was a failure
    /// (so a documented error may mean that the failed call had landed).
    async fn settled(
        &self,
        step: &str,
        ip: &str,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&Value>,
    ) -> (ApiResponse, bool) {
        let mut retried = false;
        for attempt in 1..=ATTEMPTS {
            let response = self.call(ip, method, path, headers, body).await;
            let retry_after = response.headers.get("retry-after").and_then(|v| v.parse::<u64>().ok());
            let wait = {
                let mut answers = self.answers.lock().unwrap();
                answers.total += 1;
                let described = format!("{step}: {} {}", response.status, response.body);
                match (response.status, retry_after) {
                    (200..=299, _) => {
                        answers.successes += 1;
                        None
                    }
                    (429 | 503, Some(seconds)) => {
                        answers.documented_retries += 1;
                        Some(Duration::from_millis(20 * seconds.min(60)))
                    }
                    (429 | 503, None) => {
                        answers.without_retry_after.push(described);
                        Some(Duration::from_millis(100))
                    }
                    (500..=599, _) => {
                        answers.server_errors.push(described);
                        Some(Duration::from_millis(100))
                    }
                    _ => None,
                }
            };
            match wait {
                Some(wait) if attempt < ATTEMPTS => {
                    retried = true;
                    tokio::time::sleep(wait).await;
                }
                _ => return (response, retried),
            }
        }
        unreachable!("the last attempt returns")
    }

    fn landed(&self, what: &str) {
        *self.answers.lock().unwrap().after_landed.entry(what.to_string()).or_default() += 1;
    }

    /// Posts the document to the signed form as a browser does, until S3 takes it.
    async fn upload(&self, upload: &Value, bytes: &[u8], journey: &mut Journey) -> Result<(), String> {
        let content_type = upload["fields"]["Content-Type"].as_str().ok_or("no Content-Type field")?.to_string();
        let url = upload["url"].as_str().ok_or("no upload url")?;
        let mut last = String::new();
        for _ in 0..ATTEMPTS {
            let mut form = reqwest::multipart::Form::new();
            for (name, value) in upload["fields"].as_object().ok_or("no upload fields")? {
                form = form.text(name.clone(), value.as_str().unwrap_or_default().to_string());
            }
            let file = reqwest::multipart::Part::bytes(bytes.to_vec())
                .file_name("document")
                .mime_str(&content_type)
                .map_err(|e| e.to_string())?;
            match self.browser.post(url).multipart(form.part("file", file)).send().await {
                Ok(response) if response.status().is_success() => return Ok(()),
                Ok(response) => last = format!("S3 answered {}", response.status()),
                Err(error) => last = error.to_string(),
            }
            journey.uploads_retried += 1;
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Err(format!("the upload never succeeded: {last}"))
    }

    /// One run of the mailer's scheduled sweep; a failed invocation is an error Lambda retries.
    async fn sweep(&self) -> Result<SweepReport, String> {
        let event = lambda_runtime::LambdaEvent::new(read_event("scheduled-outbox-sweep.json"), Default::default());
        as_function("mailer", mailer::handler(&self.app.app.postman, event)).await.map_err(|e| e.to_string())
    }

    /// Every email SES accepted, as the proxy saw them go.
    fn emails(&self) -> Vec<Value> {
        self.proxy.emails()
    }

    /// The journey `run` up to the approval (and a run of the mailer's schedule).
    async fn to_approval(&self, run: usize) -> Journey {
        let mut journey = Journey { run, ip: format!("198.51.{}.{}", run / 250, run % 250 + 1), ..Journey::default() };
        if let Err(failure) = self.try_journey(run, &mut journey).await {
            journey.failure = Some(failure);
        }
        journey
    }

    /// The rest of the journey, once the credentials arrived: the first login and the change.
    async fn to_own_password(&self, mut journey: Journey) -> Journey {
        if let Err(failure) = self.first_login(&mut journey).await {
            journey.failure = Some(failure);
        }
        journey
    }

    async fn try_journey(&self, run: usize, journey: &mut Journey) -> Result<(), String> {
        let ip = journey.ip.clone();
        let form = valid_form();
        journey.address = form["email"].as_str().unwrap().to_string();

        // Submission, with an Idempotency-Key; a third of the clients lose the first answer.
        let key = uuid::Uuid::new_v4().to_string();
        let headers = [("content-type", "application/json"), ("idempotency-key", key.as_str())];
        let mut created: Option<Value> = None;
        loop {
            let (response, _) = self.settled("POST /requests", &ip, "POST", "/requests", &headers, Some(&form)).await;
            if response.status != 201 {
                return Err(format!("submission: {} {}", response.status, response.body));
            }
            journey.created.push(response.body["id"].as_str().unwrap_or_default().to_string());
            if let Some(first) = &created {
                if first != &response.body {
                    return Err(format!("the resubmission got another answer: {first} then {}", response.body));
                }
                break;
            }
            created = Some(response.body);
            if !run.is_multiple_of(3) {
                break;
            }
            journey.resubmitted += 1;
        }
        let created = created.expect("a 201");
        let id = created["id"].as_str().unwrap().to_string();
        let token = created["access_token"].as_str().unwrap().to_string();
        journey.id = Some(id.clone());

        // The upload, the S3 trigger's acceptance, and the applicant's confirmation.
        self.upload(&created["upload"], &file_of("png", 2048), journey).await?;
        let upload_key = created["upload"]["fields"]["key"].as_str().unwrap();
        for attempt in 0..3 {
            match self.app.object_created(upload_key).await {
                Ok(()) => break,
                Err(_) if attempt < 2 => journey.triggers_retried += 1,
                Err(_) => journey.triggers_retried += 1,
            }
        }
        let bearer = format!("Bearer {token}");
        let auth = [("authorization", bearer.as_str())];
        let path = format!("/requests/{id}/document");
        let mut confirmed = self.settled("POST /requests/{id}/document", &ip, "POST", &path, &auth, None).await.0;
        if confirmed.status == 422 && confirmed.body["error"] == "document_not_uploaded" {
            // The upload was taken, then lost by a failed acceptance: the applicant does as told.
            journey.uploads_lost += 1;
            self.upload(&created["upload"], &file_of("png", 2048), journey).await?;
            confirmed = self.settled("POST /requests/{id}/document", &ip, "POST", &path, &auth, None).await.0;
        }
        if confirmed.status != 200 || confirmed.body["status"] != "submitted" {
            return Err(format!("confirmation: {} {}", confirmed.status, confirmed.body));
        }

        // The operator approves.
        let operator = format!("Bearer {}", self.operator);
        let headers = [("content-type", "application/json"), ("authorization", operator.as_str())];
        let path = format!("/operator/requests/{id}/approve");
        let (approved, retried) = self
            .settled("POST /operator/requests/{id}/approve", "192.0.2.10", "POST", &path, &headers, Some(&json!({})))
            .await;
        match (approved.status, approved.body["status"].as_str()) {
            (200, Some("approved")) => journey.username = approved.body["username"].as_str().map(str::to_string),
            (409, Some("approved")) if retried => {
                self.landed("409 invalid_transition (approved) to a retried approval")
            }
            _ => return Err(format!("approval: {} {}", approved.status, approved.body)),
        }

        // The credentials go at once; the mailer's schedule sends what failed.
        let _ = self.sweep().await;
        Ok(())
    }

    /// The first login with the temporary password, and the change to the applicant's own.
    async fn first_login(&self, journey: &mut Journey) -> Result<(), String> {
        let ip = journey.ip.clone();
        let ip = ip.as_str();
        let username = journey.username.clone().ok_or("no username")?;
        let temporary = journey.temporary.clone().ok_or("no temporary password")?;
        let login = json!({"username": username, "password": temporary});
        let headers = [("content-type", "application/json")];
        let (first, _) = self.settled("POST /auth/login", ip, "POST", "/auth/login", &headers, Some(&login)).await;
        if first.status != 200 || first.body["status"] != "password_change_required" {
            return Err(format!("first login: {} {}", first.status, first.body));
        }
        let change = json!({"change_token": first.body["change_token"], "new_password": STRONG_PASSWORD});
        let (changed, retried) =
            self.settled("POST /auth/password", ip, "POST", "/auth/password", &headers, Some(&change)).await;
        match (changed.status, changed.body["status"].as_str(), changed.body["error"].as_str()) {
            (200, Some("authenticated"), _) => {}
            (401, _, Some("invalid_change_token")) if retried => {
                // The failed call may have changed the password: the new one tells.
                let login = json!({"username": username, "password": STRONG_PASSWORD});
                let (again, _) =
                    self.settled("POST /auth/login", ip, "POST", "/auth/login", &headers, Some(&login)).await;
                if again.body["status"] != "authenticated" {
                    return Err(format!("password change: {} {}", changed.status, changed.body));
                }
                self.landed("401 invalid_change_token to a retried change (the change had landed)");
            }
            _ => return Err(format!("password change: {} {}", changed.status, changed.body)),
        }
        journey.completed = true;
        Ok(())
    }
}

/// The emails of `all` sent to `address`.
fn to<'a>(all: &'a [Value], address: &str) -> Vec<&'a Value> {
    all.iter()
        .filter(|m| m["destinations"]["ToAddresses"].as_array().is_some_and(|to| to.iter().any(|a| a == address)))
        .collect()
}

/// The username and temporary password of the last credentials email among `emails`.
fn credentials_in(emails: &[&Value]) -> Option<(String, String)> {
    emails.iter().rev().find_map(|email| {
        let body = email["body"].as_str()?;
        Some((line_value(body, "Username")?, line_value(body, "Temporary password")?))
    })
}

fn text(item: &Item, name: &str) -> Option<String> {
    item.get(name).and_then(|v| v.as_s().ok()).cloned()
}

/// What the table and the emails must show after the faults, each with its count of violations.
struct Invariants {
    rows: Vec<(String, usize, Vec<String>)>,
}

impl Invariants {
    fn check(&mut self, name: &str, violations: Vec<String>, checked: usize) {
        self.rows.push((format!("{name} (of {checked})"), violations.len(), violations));
    }
}

async fn invariants(world: &World, journeys: &[Journey]) -> Invariants {
    let items = world.app.all_items().await;
    let all_emails = world.emails();
    let by_key: HashMap<(String, String), &Item> =
        items.iter().map(|i| ((text(i, "PK").unwrap_or_default(), text(i, "SK").unwrap_or_default()), i)).collect();
    let requests: Vec<&Item> = items
        .iter()
        .filter(|i| text(i, "PK").is_some_and(|pk| pk.starts_with("REQ#")) && text(i, "SK").as_deref() == Some("META"))
        .collect();
    let locks: Vec<&Item> = items
        .iter()
        .filter(|i| {
            text(i, "PK").is_some_and(|pk| pk.starts_with("PERSON#") || pk.starts_with("EMAIL#"))
                && text(i, "SK").as_deref() == Some("LOCK")
        })
        .collect();
    let mut rows = Invariants { rows: Vec::new() };

    let created: Vec<&String> = journeys.iter().flat_map(|j| &j.created).collect();
    let lost = created
        .iter()
        .filter(|id| !by_key.contains_key(&(format!("REQ#{id}"), "META".to_string())))
        .map(|id| format!("201 for {id}, no request"))
        .collect();
    rows.check("lost submissions: a 201 without its request", lost, created.len());

    let status_of = |id: &str| by_key.get(&(format!("REQ#{id}"), "META".to_string())).and_then(|r| text(r, "status"));
    let orphan_locks = locks
        .iter()
        .filter(|lock| {
            let id = text(lock, "request_id").unwrap_or_default();
            status_of(&id).is_none_or(|status| status == "rejected")
        })
        .map(|lock| format!("{} names {:?}", text(lock, "PK").unwrap_or_default(), text(lock, "request_id")))
        .collect();
    rows.check("half-written: a lock without its request", orphan_locks, locks.len());

    let unlocked = requests
        .iter()
        .filter(|r| text(r, "status").as_deref() != Some("rejected"))
        .filter_map(|request| {
            let id = text(request, "id").unwrap_or_default();
            let held = |prefix: &str| {
                locks
                    .iter()
                    .filter(|l| {
                        text(l, "PK").is_some_and(|pk| pk.starts_with(prefix))
                            && text(l, "request_id").as_deref() == Some(id.as_str())
                    })
                    .count()
            };
            let (person, email) = (held("PERSON#"), held("EMAIL#"));
            (person != 1 || email != 1).then(|| format!("{id}: {person} person and {email} email locks"))
        })
        .collect();
    rows.check("half-written: a request without its locks", unlocked, requests.len());

    let approved: Vec<&&Item> = requests.iter().filter(|r| text(r, "status").as_deref() == Some("approved")).collect();
    let without_account = approved
        .iter()
        .filter(|request| {
            let id = text(request, "id").unwrap_or_default();
            let account =
                text(request, "username").and_then(|u| by_key.get(&(format!("ACCOUNT#{u}"), "ACCOUNT".into())));
            account.is_none_or(|a| text(a, "request_id").as_deref() != Some(id.as_str()))
        })
        .map(|request| format!("{:?} approved as {:?}", text(request, "id"), text(request, "username")))
        .collect();
    rows.check("half-written: an approval without its account", without_account, approved.len());

    let mut missing = Vec::new();
    let mut named = 0;
    for request in &requests {
        let slots = request
            .get("document")
            .into_iter()
            .chain(request.get("additional_documents").and_then(|l| l.as_l().ok()).into_iter().flatten());
        for slot in slots {
            let key = slot
                .as_m()
                .ok()
                .and_then(|m| m.get("accepted"))
                .and_then(|a| a.as_m().ok())
                .and_then(|a| text(a, "key"));
            if let Some(key) = key {
                named += 1;
                if !world.app.object_exists(&key).await {
                    missing.push(format!("{:?} names {key}", text(request, "id")));
                }
            }
        }
    }
    rows.check("half-written: a request naming a document the bucket lacks", missing, named);

    let outbox: Vec<&Item> =
        items.iter().filter(|i| text(i, "PK").is_some_and(|pk| pk.starts_with("OUTBOX#"))).collect();
    let unsent = outbox
        .iter()
        .filter(|e| text(e, "status").as_deref() != Some("sent"))
        .map(|e| format!("{:?} {:?}: {:?}", text(e, "kind"), text(e, "status"), text(e, "last_error")))
        .collect();
    rows.check("lost emails: an outbox email not sent", unsent, outbox.len());

    let mut credentials_not_one = Vec::new();
    let mut duplicates = Vec::new();
    let mut emails = 0;
    for journey in journeys {
        let received = to(&all_emails, &journey.address);
        emails += received.len();
        let credentials = received
            .iter()
            .filter(|e| line_value(e["body"].as_str().unwrap_or_default(), "Username").is_some())
            .count();
        let is_approved = journey.id.as_deref().is_some_and(|id| status_of(id).as_deref() == Some("approved"));
        if credentials != usize::from(is_approved) {
            credentials_not_one.push(format!("{}: {credentials} credentials emails", journey.address));
        }
        let mut subjects: BTreeMap<String, usize> = BTreeMap::new();
        for email in received {
            *subjects.entry(email["subject"].as_str().unwrap_or_default().to_string()).or_default() += 1;
        }
        duplicates.extend(
            subjects.into_iter().filter(|(_, n)| *n > 1).map(|(s, n)| format!("{}: {n} × {s}", journey.address)),
        );
    }
    rows.check("credentials emails not exactly one per approval", credentials_not_one, approved.len());
    rows.check("duplicate emails", duplicates, emails);

    let lost_uploads = journeys
        .iter()
        .filter(|j| j.uploads_lost > 0)
        .map(|j| format!("{:?}: 422 document_not_uploaded after S3 took the upload", j.id))
        .collect();
    rows.check("lost documents: an upload S3 took, lost by a failed acceptance", lost_uploads, journeys.len());

    let unfinished = journeys
        .iter()
        .filter(|j| !j.completed)
        .map(|j| format!("{}: {}", j.address, j.failure.as_deref().unwrap_or("not finished")))
        .collect();
    rows.check("journeys not completed", unfinished, journeys.len());

    let answers = world.answers.lock().unwrap();
    rows.check("answers that were a 5xx", answers.server_errors.clone(), answers.total as usize);
    rows.check("429/503 answers without Retry-After", answers.without_retry_after.clone(), answers.total as usize);
    rows
}

/// The runs at one share of faults.
struct Batch<'a> {
    share: f64,
    took: Duration,
    report: FaultReport,
    journeys: Vec<&'a Journey>,
}

/// The figures as a Markdown table.
fn table(seed: u64, batches: &[Batch<'_>], answers: &Answers, invariants: &Invariants) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "## The journey under injected AWS faults (seed {seed}: FAULT_SEED={seed} replays it)\n");
    let _ = writeln!(
        out,
        "| | {} |",
        batches.iter().map(|b| format!("{:.0} % faults", b.share * 100.0)).collect::<Vec<_>>().join(" | ")
    );
    let _ = writeln!(out, "|---|{}", "---:|".repeat(batches.len()));
    let row = |out: &mut String, name: &str, value: &dyn Fn(&Batch<'_>) -> String| {
        let _ = writeln!(out, "| {name} | {} |", batches.iter().map(value).collect::<Vec<_>>().join(" | "));
    };
    row(&mut out, "journeys run", &|b| b.journeys.len().to_string());
    row(&mut out, "wall time", &|b| format!("{:.1} s", b.took.as_secs_f64()));
    for service in Service::FAULTABLE {
        row(&mut out, &format!("{} calls", service.name()), &|b| {
            b.report.calls.get(&service).copied().unwrap_or(0).to_string()
        });
    }
    row(&mut out, "faults injected", &|b| format!("**{}**", b.report.total_faults()));
    let mut kinds: Vec<(Service, String)> = batches.iter().flat_map(|b| b.report.faults.keys().cloned()).collect();
    kinds.sort();
    kinds.dedup();
    for (service, label) in &kinds {
        row(&mut out, &format!("&nbsp; {} {label}", service.name()), &|b| {
            b.report.faults.get(&(*service, label.clone())).copied().unwrap_or(0).to_string()
        });
    }
    row(&mut out, "retried transactions answered by their token", &|b| b.report.token_replays.to_string());
    row(&mut out, "answers lost by the client, resubmitted (same Idempotency-Key)", &|b| {
        b.journeys.iter().map(|j| j.resubmitted).sum::<u32>().to_string()
    });
    row(&mut out, "uploads S3 failed, sent again", &|b| {
        b.journeys.iter().map(|j| j.uploads_retried).sum::<u32>().to_string()
    });
    row(&mut out, "S3 trigger invocations failed, retried", &|b| {
        b.journeys.iter().map(|j| j.triggers_retried).sum::<u32>().to_string()
    });
    row(&mut out, "journeys whose credentials came after the faults", &|b| {
        b.journeys.iter().filter(|j| j.finished_after_faults).count().to_string()
    });
    row(&mut out, "emulator answers over 1 s", &|b| b.report.slow_upstream.to_string());
    let slowest = batches.iter().map(|b| b.report.slowest_upstream).max().unwrap_or_default();
    let _ = writeln!(out, "\nSlowest emulator answer: {} ms.\n", slowest.as_millis());
    let _ = writeln!(out, "| answers the clients got | count |\n|---|---:|");
    let _ = writeln!(out, "| all | {} |", answers.total);
    let _ = writeln!(out, "| success (2xx) | {} |", answers.successes);
    let _ = writeln!(out, "| 429/503 with Retry-After, retried | {} |", answers.documented_retries);
    for (what, count) in &answers.after_landed {
        let _ = writeln!(out, "| {what} | {count} |");
    }
    let _ = writeln!(out, "\n| invariant, after the faults and the mailer's sweep | violations |\n|---|---:|");
    for (name, count, _) in &invariants.rows {
        let _ = writeln!(out, "| {name} | **{count}** |");
    }
    for (name, _, violations) in &invariants.rows {
        for violation in violations.iter().take(10) {
            let _ = writeln!(out, "- {name}: {violation}");
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_journey_loses_nothing_when_aws_misbehaves() {
    let started = Instant::now();
    let proxy = FaultProxy::start(&emulator_endpoint()).await;
    let app = TestApp::spawn_behind(&proxy, &[]).await;
    let operator = app.operator_session().await;
    let world = Arc::new(World {
        app,
        proxy,
        operator,
        errors: Arc::default(),
        answers: Mutex::default(),
        browser: reqwest::Client::new(),
    });

    let mut batches = Vec::new();
    let mut journeys: Vec<Journey> = Vec::new();
    for (batch, share) in SHARES.into_iter().enumerate() {
        let before = world.proxy.report();
        let began = Instant::now();
        world.proxy.set_plan(FaultPlan::every_kind(share, &world.app.wiring.sdk));
        let approved = in_parallel(
            &world,
            (0..RUNS).map(|run| batch * RUNS + run).collect(),
            Some(BATCH_BUDGET[batch]),
            |world, run| async move { world.to_approval(run).await },
        )
        .await;
        // The applicants read their credentials email, log in and choose their password.
        let emails = world.emails();
        let (ready, waiting): (Vec<_>, Vec<_>) = approved
            .into_iter()
            .partition(|journey| journey.failure.is_some() || credentials_in(&to(&emails, &journey.address)).is_some());
        let ready = ready
            .into_iter()
            .map(|mut journey| {
                if let Some((username, temporary)) = credentials_in(&to(&emails, &journey.address)) {
                    (journey.username, journey.temporary) = (Some(username), Some(temporary));
                }
                journey
            })
            .collect();
        let mut done = in_parallel(&world, ready, None, |world, journey| async move {
            if journey.failure.is_some() { journey } else { world.to_own_password(journey).await }
        })
        .await;
        done.extend(waiting.into_iter().map(|journey| Journey { finished_after_faults: true, ..journey }));
        world.proxy.set_plan(FaultPlan::off());
        batches.push((share, began.elapsed(), world.proxy.report().since(&before), done.len()));
        done.sort_by_key(|journey| journey.run);
        journeys.extend(done);
    }

    // The faults end; the mailer's schedule runs, past the leases of emails whose sender failed.
    for _ in 0..4 {
        world.app.clock.advance(LEASE + time::Duration::minutes(1));
        let report = world.sweep().await.expect("the sweep without faults");
        if report.sent == 0 && report.retrying == 0 {
            break;
        }
    }
    let emails = world.emails();
    for journey in journeys.iter_mut().filter(|j| j.finished_after_faults) {
        match credentials_in(&to(&emails, &journey.address)) {
            Some((username, temporary)) => {
                (journey.username, journey.temporary) = (Some(username), Some(temporary));
                if let Err(failure) = world.first_login(journey).await {
                    journey.failure = Some(failure);
                }
            }
            None => journey.failure = Some("no credentials email, even after the sweep".into()),
        }
    }

    let invariants = invariants(&world, &journeys).await;
    let mut offset = 0;
    let batches: Vec<Batch<'_>> = batches
        .into_iter()
        .map(|(share, took, report, count)| {
            let of_batch = journeys[offset..offset + count].iter().collect();
            offset += count;
            Batch { share, took, report, journeys: of_batch }
        })
        .collect();
    let answers = world.answers.lock().unwrap();
    let mut figures = table(world.proxy.seed(), &batches, &answers, &invariants);
    let _ = writeln!(figures, "\nWhole test: {:.1} s.", started.elapsed().as_secs_f64());
    let logged = world.logged_errors();
    if !logged.is_empty() {
        let _ = writeln!(figures, "\nErrors the services logged during the journeys:");
        for (error, count) in &logged {
            let _ = writeln!(figures, "- {count} × {error}");
        }
    }
    println!("{figures}");
    let logs = std::path::Path::new(accreditation_tests::ROOT).join("target/test-logs");
    std::fs::create_dir_all(&logs).unwrap();
    std::fs::write(logs.join("fault-table.md"), &figures).unwrap();

    let faults: u64 = batches.iter().map(|b| b.report.total_faults()).sum();
    assert!(faults > 50, "the proxy injected faults: {faults}");
    let after: u64 = batches
        .iter()
        .flat_map(|b| &b.report.faults)
        .filter(|((_, label), _)| label.ends_with("after AWS"))
        .map(|(_, n)| n)
        .sum();
    assert!(after > 0, "some faults struck after AWS did the call");
    let broken: Vec<_> = invariants.rows.iter().filter(|(_, count, _)| *count > 0).collect();
    assert!(broken.is_empty(), "invariants broken (seed {}):\n{figures}", world.proxy.seed());
}

/// `work` done for each of `inputs`, [`CONCURRENT`] at a time.
async fn in_parallel<I, F, Fut>(world: &Arc<World>, inputs: Vec<I>, budget: Option<Duration>, work: F) -> Vec<Journey>
where
    I: Send + 'static,
    F: Fn(Arc<World>, I) -> Fut,
    Fut: Future<Output = Journey> + Send + 'static,
{
    let started = Instant::now();
    let mut running = tokio::task::JoinSet::new();
    let mut done = Vec::new();
    for (index, input) in inputs.into_iter().enumerate() {
        if running.len() == CONCURRENT {
            done.push(running.join_next().await.unwrap().unwrap());
        }
        if index >= MIN_RUNS && budget.is_some_and(|budget| started.elapsed() > budget) {
            break;
        }
        running.spawn(work(world.clone(), input).with_subscriber(world.error_log()));
    }
    while let Some(journey) = running.join_next().await {
        done.push(journey.unwrap());
    }
    done
}

/// The plan of a test that needs one service failing for a while: every call throttled.
fn throttled(service: Service) -> FaultPlan {
    FaultPlan {
        share: 1.0,
        services: vec![service],
        faults: vec![(Fault::Throttle, When::Before, 1)],
        after_forwarding: vec![],
        delay: Duration::ZERO,
    }
}

#[tokio::test]
async fn a_stream_record_delivered_twice_sends_one_email() {
    let proxy = FaultProxy::start(&emulator_endpoint()).await;
    let app = TestApp::spawn_behind(&proxy, &[]).await;
    let form = valid_form();
    let address = form["email"].as_str().unwrap().to_string();
    let created = app.submitted_request(&form).await;
    let operator = app.operator_session().await;

    // SES throttles the approval's fast path: the credentials wait in the outbox.
    proxy.set_plan(throttled(Service::Ses));
    let approved = app.post(&format!("/operator/requests/{}/approve", created.id), Some(&operator), &json!({})).await;
    proxy.set_plan(FaultPlan::off());
    assert_eq!(approved.status, 200, "{:#}", approved.body);
    let pending = app.outbox_items("pending").await;
    assert_eq!(pending.len(), 1, "{pending:?}");
    let before = to(&proxy.emails(), &address).len();

    // The stream's batch comes twice at once (a retried batch beside its first run), then again.
    let (first, second) = tokio::join!(app.mailer_stream(&pending), app.mailer_stream(&pending));
    let late = app.mailer_stream(&pending).await;
    assert_eq!(first.sent + second.sent + late.sent, 1, "{first:?} {second:?} {late:?}");
    assert_eq!(app.sweep().await.sent, 0, "nothing left to send");
    let emails = proxy.emails();
    assert_eq!(to(&emails, &address).len(), before + 1, "one credentials email");
    let (username, temporary) = credentials_in(&to(&emails, &address)).expect("a credentials email");
    assert_eq!(app.login(&username, &temporary).await.body["status"], "password_change_required");
}

#[tokio::test]
async fn an_s3_event_delivered_again_after_the_decision_changes_nothing() {
    // (The same event twice in a row, and racing the API, is in documents.rs.)
    let proxy = FaultProxy::start(&emulator_endpoint()).await;
    let app = TestApp::spawn_behind(&proxy, &[]).await;
    let form = valid_form();
    let address = form["email"].as_str().unwrap().to_string();
    let created = app.submit(&form).await;
    app.upload(&created.body["upload"], file_of("png", 2048)).await;
    let key = created.body["upload"]["fields"]["key"].as_str().unwrap().to_string();
    app.object_created(&key).await.expect("trigger");
    let operator = app.operator_session().await;
    let approved = app.post(&format!("/operator/requests/{}/approve", created.id), Some(&operator), &json!({})).await;
    assert_eq!(approved.status, 200, "{:#}", approved.body);
    let items_before = app.all_items().await;
    let emails_before = to(&proxy.emails(), &address).len();
    let document = app.accepted_key(&created.id).await;

    // S3 delivers the old event again, late.
    app.object_created(&key).await.expect("a late duplicate is settled, not an error");

    let request = app.raw_item(&format!("REQ#{}", created.id), "META").await.unwrap();
    assert_eq!(request["status"].as_s().unwrap(), "approved");
    let audits =
        |items: &[Item]| items.iter().filter(|i| text(i, "SK").is_some_and(|s| s.starts_with("AUDIT#"))).count();
    assert_eq!(audits(&app.all_items().await), audits(&items_before), "no new transition");
    assert_eq!(to(&proxy.emails(), &address).len(), emails_before, "no new email");
    assert!(app.object_exists(&document).await, "the accepted document stays");
}
