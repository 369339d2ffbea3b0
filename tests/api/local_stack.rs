//! `make dev` for real: `cargo lambda watch` behind the local API Gateway (scripts/local_gateway.py)
//! serves the API Gateway paths of the workspace's function router, a plain HTTP client goes
//! through the journey, and bytes that are not UTF-8 reach the functions as on API Gateway.

use std::{
    fs::File,
    os::unix::process::CommandExt,
    process::{Child, Command, Stdio},
    time::Duration,
};

use accreditation::adapters::bootstrap;
use accreditation_tests::{
    Clients, ROOT, captcha_verify_url, emails_to, emulator_endpoint, file_of, unique, upload_file, valid_form,
};
use serde_json::Value;

/// `cargo lambda watch` running in its own process group, stopped with it.
struct Watch(Child);

impl Drop for Watch {
    fn drop(&mut self) {
        let group = format!("-{}", self.0.id());
        let _ = Command::new("kill").args(["-TERM", "--", &group]).status();
        for _ in 0..50 {
            if matches!(self.0.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.0.wait();
    }
}

/// The local API Gateway, stopped with it.
struct Gateway(Child);

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[tokio::test]
async fn cargo_lambda_watch_serves_the_journey_on_the_api_gateway_paths() {
    let endpoint = emulator_endpoint();
    let suffix = unique();
    let (table, bucket) = (format!("watch-{suffix}"), format!("watch-{suffix}"));
    let sender = format!("noreply-{suffix}@accreditamento.example.it");
    let clients = Clients::connect(&endpoint).await;
    bootstrap::create_table(&clients.dynamodb, &table).await.unwrap();
    bootstrap::create_bucket(&clients.s3, &bucket, "eu-south-1", &["*".into()]).await.unwrap();
    bootstrap::verify_sender(&clients.ses, &sender).await.unwrap();

    let (port, watch_port) = (free_port().to_string(), free_port().to_string());
    std::fs::create_dir_all(format!("{ROOT}/target/test-logs")).unwrap();
    let log = format!("{ROOT}/target/test-logs/cargo-lambda-watch-{suffix}.log");
    let output = File::create(&log).unwrap();
    let child = Command::new("cargo")
        .args(["lambda", "watch", "--invoke-address", "127.0.0.1", "--invoke-port", &watch_port, "--ignore-changes"])
        .current_dir(ROOT)
        .envs([
            ("AWS_REGION", "eu-south-1"),
            ("AWS_ENDPOINT_URL", endpoint.as_str()),
            ("TABLE_NAME", table.as_str()),
            ("DOCUMENT_BUCKET", bucket.as_str()),
            ("SENDER_EMAIL", sender.as_str()),
            ("PRIVACY_NOTICE_VERSION", "2026-11-test"),
            ("CAPTCHA_SECRET", "test-secret"),
            ("CAPTCHA_VERIFY_URL", captcha_verify_url().as_str()),
            ("CAPTCHA_HOSTNAMES", "localhost"),
            ("RECAPTCHA_SITE_KEY", "test-site-key"),
            ("LOGIN_URL", "https://portal.example.org/login"),
            ("SESSION_SIGNING_KEY", "a local signing key for the watch test, 32+ bytes"),
            ("MFA_SECRET_KEY", "a local key sealing TOTP secrets for the watch test, 32+ bytes"),
        ])
        .stdin(Stdio::null())
        .stdout(output.try_clone().unwrap())
        .stderr(output)
        .process_group(0)
        .spawn()
        .expect("cargo lambda is installed by `make test` (scripts/requirements.txt)");
    let _watch = Watch(child);
    let python = format!("{ROOT}/.venv/bin/python");
    let gateway = Command::new(&python)
        .args([&format!("{ROOT}/scripts/local_gateway.py"), &port, &watch_port])
        .stdin(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{python} (make test's venv) runs the local gateway: {e}"));
    let _gateway = Gateway(gateway);

    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::builder().timeout(Duration::from_secs(60)).build().unwrap();
    let probe = format!("{base}/requests/0b8f1a52-3c4d-4e5f-8a9b-1c2d3e4f5a6b");
    // The first call waits for the function to compile; a function that fails to start makes
    // cargo lambda hold calls forever, so its log is watched too.
    let mut ready = None;
    for _ in 0..40 {
        let crashed = std::fs::read_to_string(&log).unwrap_or_default().contains("ERROR command exited");
        assert!(!crashed, "the function failed to start; see {log}");
        match http.get(&probe).bearer_auth("nothing").send().await {
            // 503: the gateway is up, cargo lambda watch not yet.
            Ok(response) if response.status() != 503 => {
                ready = Some(response);
                break;
            }
            _ => tokio::time::sleep(Duration::from_secs(1)).await,
        }
    }
    let probe = ready.unwrap_or_else(|| panic!("cargo lambda watch never answered; see {log}"));
    assert_eq!(probe.status(), 404, "see {log}");
    let body: Value = probe.json().await.unwrap();
    assert_eq!(body["error"], "not_found");

    let form = valid_form();
    let created = http.post(format!("{base}/requests")).json(&form).send().await.unwrap();
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.unwrap();
    let (id, token) = (created["id"].as_str().unwrap(), created["access_token"].as_str().unwrap());

    let status = upload_file(&http, &created["upload"], file_of("png", 2048)).await;
    assert!(matches!(status, 200 | 201 | 204));
    let accepted = http.post(format!("{base}/requests/{id}/document")).bearer_auth(token).send().await.unwrap();
    assert_eq!(accepted.status(), 200);
    let seen: Value =
        http.get(format!("{base}/requests/{id}")).bearer_auth(token).send().await.unwrap().json().await.unwrap();
    assert_eq!(seen["status"], "submitted");
    let emails = emails_to(&http, &endpoint, form["email"].as_str().unwrap()).await;
    assert!(emails[0]["body"].as_str().unwrap().contains(created["reference"].as_str().unwrap()));

    let wrong_method = http.put(format!("{base}/requests")).send().await.unwrap();
    assert_eq!(wrong_method.status(), 405);

    // Bytes that are not UTF-8 reach the function, as API Gateway passes them (a body base64-encoded).
    let latin1 = http.post(format!("{base}/requests")).header("content-type", "application/json");
    let latin1 = latin1.body(vec![0xff, 0xfe, b'{']).send().await.unwrap();
    assert_eq!(latin1.status(), 400, "see {log}");
    assert_eq!(latin1.json::<Value>().await.unwrap()["error"], "invalid_json");
    let header = reqwest::header::HeaderValue::from_bytes(b"Bearer caf\xe9").unwrap();
    let odd_token = http.get(format!("{base}/requests/{id}")).header("authorization", header).send().await.unwrap();
    assert_eq!(odd_token.status(), 404, "see {log}");
    assert_eq!(odd_token.json::<Value>().await.unwrap()["error"], "not_found");
    let unrouted = http.get(format!("{base}/no/such/route")).send().await.unwrap();
    assert_eq!(unrouted.status(), 404, "API Gateway's own answer to a path no route serves");

    // The other functions answer on their API Gateway paths too.
    let login =
        http.post(format!("{base}/auth/login")).json(&serde_json::json!({"username": "nobody.here", "password": "x"}));
    let login = login.send().await.unwrap();
    assert_eq!(login.status(), 401, "see {log}");
    let queue = http.get(format!("{base}/operator/requests")).send().await.unwrap();
    assert_eq!(queue.status(), 401, "see {log}");
    assert_eq!(queue.json::<Value>().await.unwrap()["error"], "unauthorized");
    for page in ["/", "/console", "/console/", "/status", "/login", "/privacy"] {
        let served = http.get(format!("{base}{page}")).send().await.unwrap();
        assert_eq!(served.status(), 200, "GET {page}; see {log}");
        assert!(served.text().await.unwrap().starts_with("<!doctype html>"), "GET {page} is a page");
    }

    let invoked = Command::new("cargo")
        .args(["lambda", "invoke", "requests", "--invoke-address", "127.0.0.1", "--invoke-port", &port])
        .args(["--data-file", "events/get-request.json"])
        .current_dir(ROOT)
        .output()
        .unwrap();
    assert!(invoked.status.success(), "{}", String::from_utf8_lossy(&invoked.stderr));
    let answer: Value = serde_json::from_slice(&invoked.stdout).unwrap();
    assert_eq!(answer["statusCode"], 404, "{answer}");
}
