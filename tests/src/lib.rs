//! Test support: every test gets its own table, bucket and sender on the local AWS emulator, and
//! calls the real Lambda handlers with API Gateway (payload v2), S3 and scheduled events.
//! `make test` starts the emulator and the fake reCAPTCHA; without them every test fails loudly.

// Test support: a failed unwrap is a failed test, reported with its place.
#![allow(clippy::unwrap_used)]

pub mod aws_calls;
pub mod aws_time;
pub mod fault_proxy;
pub mod template;

use std::collections::HashMap;

use std::sync::{Arc, Mutex};

use accreditation::{
    adapters::bootstrap,
    app::{App, Wiring, aws_timeouts, s3_client, sdk_config},
    config::Config,
    domain::Timestamp,
    ports::Clock,
    services::postman::SweepReport,
};
use aws_lambda_events::s3::S3Event;
use lambda_http::{Body, Response};
use serde_json::{Value, json};

/// Repository root (events/, infra/, Cargo.toml).
pub const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

/// The emulator's endpoint, set by `make test`.
pub fn emulator_endpoint() -> String {
    std::env::var("TEST_AWS_ENDPOINT").unwrap_or_else(|_| {
        panic!("TEST_AWS_ENDPOINT is not set: run the tests with `make test`, which starts the AWS emulator (moto)")
    })
}

/// The fake siteverify endpoint, set by `make test` (see scripts/fake_recaptcha.py).
pub fn captcha_verify_url() -> String {
    std::env::var("TEST_CAPTCHA_VERIFY_URL").unwrap_or_else(|_| {
        panic!("TEST_CAPTCHA_VERIFY_URL is not set: run the tests with `make test`, which starts the fake reCAPTCHA")
    })
}

/// A password the policy accepts.
pub const STRONG_PASSWORD: &str = "Tramonto sul Vesuvio, 1987!";

/// The value of a `Label: value` line of an email (plain text or HTML).
pub fn line_value(body: &str, label: &str) -> Option<String> {
    body.lines()
        .map(|line| line.trim().trim_end_matches("<br>"))
        .find_map(|line| line.strip_prefix(&format!("{label}: ")).map(|v| v.trim().to_string()))
}

/// A short random suffix for resource names and addresses.
pub fn unique() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..12].to_string()
}

/// A valid form (the example) with a unique email and identification code.
pub fn valid_form() -> Value {
    let suffix = unique();
    json!({
        "name": "Maria", "surname": "D'Angelo", "email": format!("maria.{suffix}@example.org"),
        "phone": "+16175550100", "pec": null, "other_phone": null, "birth_country": "US",
        "birth_date": "1990-04-01", "identification_code": format!("X{}", suffix.to_uppercase()),
        "gender": "F", "citizenship": "US", "residence_country": "US",
        "address": {"city": "Boston", "street": "Main Street", "number": "12"},
        "privacy_consent": true, "language": "en", "captcha_token": "pass-token",
        "document": {"content_type": "image/png", "size": 2048}
    })
}

/// The first bytes of real files of each type, padded to `size`.
pub fn file_of(kind: &str, size: usize) -> Vec<u8> {
    let magic: &[u8] = match kind {
        "pdf" => b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n",
        "png" => b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0",
        "jpeg" => b"\xff\xd8\xff\xe0\0\x10JFIF\0\x01\x01\0\0\x01\0\x01\0\0",
        "exe" => b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff\0\0",
        "html" => b"<!DOCTYPE html><html><body>hello</body></html>",
        other => panic!("no sample for {other}"),
    };
    let mut bytes = magic.to_vec();
    bytes.resize(size.max(magic.len()), b' ');
    bytes.truncate(size);
    bytes
}

/// An HTTP answer of a handler.
#[derive(Debug)]
pub struct ApiResponse {
    /// Status code.
    pub status: u16,
    /// Headers (lower-case names).
    pub headers: HashMap<String, String>,
    /// The JSON body (`null` when empty; a page or asset as a JSON string of its text).
    pub body: Value,
}

/// An operator with an enrolled authenticator, as the tests keep them.
#[derive(Debug, Clone)]
pub struct OperatorAccount {
    /// Username.
    pub username: String,
    /// The session the enrolment opened.
    pub token: String,
    /// The TOTP secret (base32), as the authenticator app holds it.
    pub secret: String,
    /// The recovery codes shown at enrolment.
    pub recovery_codes: Vec<String>,
}

/// A submitted request: what the applicant keeps.
#[derive(Debug, Clone)]
pub struct Submitted {
    /// Request id.
    pub id: String,
    /// Access token.
    pub token: String,
    /// The whole 201 body.
    pub body: Value,
}

/// SDK clients on the emulator, for setting up and inspecting what the functions wrote.
#[derive(Clone)]
pub struct Clients {
    /// The SDK configuration they share.
    pub sdk: aws_config::SdkConfig,
    /// DynamoDB.
    pub dynamodb: aws_sdk_dynamodb::Client,
    /// S3 (path-style).
    pub s3: aws_sdk_s3::Client,
    /// SES v2.
    pub ses: aws_sdk_sesv2::Client,
    /// SSM Parameter Store.
    pub ssm: aws_sdk_ssm::Client,
    /// KMS (the ID token signing keys).
    pub kms: aws_sdk_kms::Client,
}

impl Clients {
    /// Clients for the emulator at `endpoint`.
    pub async fn connect(endpoint: &str) -> Self {
        let sdk = sdk_config("eu-south-1", Some(endpoint)).await;
        Self {
            dynamodb: aws_sdk_dynamodb::Client::new(&sdk),
            s3: s3_client(&sdk, true),
            ses: aws_sdk_sesv2::Client::new(&sdk),
            ssm: aws_sdk_ssm::Client::new(&sdk),
            kms: aws_sdk_kms::Client::new(&sdk),
            sdk,
        }
    }
}

/// The app wired to fresh resources on the emulator.
pub struct TestApp {
    /// The services, as a function's cold start builds them.
    pub app: App,
    /// The services' clock, which tests move forward.
    pub clock: Arc<TestClock>,
    /// The SDK clients.
    pub clients: Clients,
    /// Table name.
    pub table: String,
    /// Bucket name.
    pub bucket: String,
    /// The emulator endpoint.
    pub endpoint: String,
    /// The wiring the services were built from (another provider, e.g. after a key rotation).
    pub wiring: Wiring,
    http: reqwest::Client,
}

impl TestApp {
    /// A fresh table, bucket and verified sender, with the real reCAPTCHA client against the fake.
    pub async fn spawn() -> Self {
        Self::spawn_with(&[]).await
    }

    /// Like [`TestApp::spawn`], with some variables changed (e.g. `SENDER_EMAIL`).
    pub async fn spawn_with(overrides: &[(&str, &str)]) -> Self {
        Self::spawn_at(overrides, None).await
    }

    /// Like [`TestApp::spawn_with`], the functions' AWS calls going through `proxy` (the test's own
    /// clients, which set up and inspect, still call the emulator directly).
    pub async fn spawn_behind(proxy: &fault_proxy::FaultProxy, overrides: &[(&str, &str)]) -> Self {
        Self::spawn_at(overrides, Some(proxy.endpoint())).await
    }

    /// The app, its functions' AWS endpoint `functions_endpoint` (the emulator's by default).
    async fn spawn_at(overrides: &[(&str, &str)], functions_endpoint: Option<&str>) -> Self {
        let endpoint = emulator_endpoint();
        let functions_endpoint = functions_endpoint.map_or_else(|| endpoint.clone(), str::to_string);
        let suffix = unique();
        let mut vars: HashMap<String, String> = [
            ("AWS_REGION", "eu-south-1".to_string()),
            ("AWS_ENDPOINT_URL", functions_endpoint.clone()),
            ("TABLE_NAME", format!("requests-{suffix}")),
            ("DOCUMENT_BUCKET", format!("documents-{suffix}")),
            ("SENDER_EMAIL", format!("noreply-{suffix}@accreditamento.example.it")),
            ("PRIVACY_NOTICE_VERSION", "2026-11-test".to_string()),
            ("CAPTCHA_SECRET", "test-secret".to_string()),
            ("CAPTCHA_VERIFY_URL", captcha_verify_url()),
            ("CAPTCHA_HOSTNAMES", "localhost".to_string()),
            ("OUTBOX_RETRY_SECONDS", "0".to_string()),
            ("LOGIN_URL", "https://portal.example.org/login".to_string()),
            ("SESSION_SIGNING_KEY", format!("test-signing-key-{suffix}-0123456789abcdef")),
            ("MFA_SECRET_KEY", format!("test-mfa-key-{suffix}-0123456789abcdef")),
            ("SUBJECT_KEY", format!("test-subject-key-{suffix}-0123456789abcdef")),
            ("OIDC_SIGNING_KEY", format!("alias/test-oidc-{suffix}")),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        for (name, value) in overrides {
            vars.insert(name.to_string(), value.to_string());
        }
        let config = Config::from_lookup(|name| vars.get(name).cloned()).expect("test configuration is valid");
        let clients = Clients::connect(&endpoint).await;
        let created = async {
            bootstrap::create_table(&clients.dynamodb, &config.table_name).await?;
            bootstrap::create_bucket(&clients.s3, &config.bucket_name, &config.region, &["*".to_string()]).await
        };
        created.await.unwrap_or_else(|e| panic!("the emulator at {endpoint} refused the test resources: {e:?}"));
        if let Some(alias) = config.oidc.signing_key.as_deref().filter(|key| key.starts_with("alias/")) {
            bootstrap::create_signing_key(&clients.kms, alias).await.expect("signing key");
        }
        if !overrides.iter().any(|(name, _)| *name == "SENDER_EMAIL") {
            bootstrap::verify_sender(&clients.ses, &config.sender_email).await.expect("sender identity");
        }
        let clock = Arc::new(TestClock::default());
        // The functions' clients note every AWS call they make (the `iam` test checks the roles).
        let mut sdk = clients.sdk.to_builder();
        if functions_endpoint != endpoint {
            // Behind the fault proxy: the timeouts of AWS, not the emulator's longer ones, so that
            // its delays outlast them as they would on AWS.
            sdk = sdk.timeout_config(aws_timeouts().config());
        }
        let sdk = sdk.endpoint_url(functions_endpoint).http_client(aws_calls::RecordingClient::new()).build();
        let wiring = Wiring { config: config.clone(), sdk, clock: clock.clone() };
        let app = App::new(&wiring).expect("app wiring");
        Self {
            app,
            wiring,
            clock,
            clients,
            table: config.table_name.clone(),
            bucket: config.bucket_name.clone(),
            endpoint,
            http: reqwest::Client::new(),
        }
    }

    /// Invokes the `requests` handler with an API Gateway v2 event.
    pub async fn call(&self, method: &str, path: &str, headers: &[(&str, &str)], body: Option<&str>) -> ApiResponse {
        let event = api_event(method, path, headers, body);
        invoke_requests(&self.app, &event).await
    }

    /// Invokes the `oidc` handler (the OpenID Connect provider).
    pub async fn oidc(&self, method: &str, path: &str, headers: &[(&str, &str)], body: Option<&str>) -> ApiResponse {
        let event = api_event(method, path, headers, body);
        invoke_function(&self.app, "oidc", &event).await
    }

    /// Invokes the `oidc` handler of `provider`.
    pub async fn oidc_of(
        &self,
        provider: &accreditation::services::provider::OpenIdProvider,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> ApiResponse {
        let event = api_event(method, path, headers, body);
        let request = lambda_http::request::from_str(&event.to_string()).expect("API Gateway v2 event");
        ApiResponse::from(
            aws_calls::as_function("oidc", oidc::handler(provider, request)).await.expect("the handler never fails"),
        )
    }

    /// `POST path` with a JSON body.
    pub async fn post_json(&self, path: &str, body: &Value) -> ApiResponse {
        self.call("POST", path, &[("content-type", "application/json")], Some(&body.to_string())).await
    }

    /// `POST path` with the applicant's token and no body.
    pub async fn post_with_token(&self, path: &str, token: &str) -> ApiResponse {
        self.call("POST", path, &[("authorization", &format!("Bearer {token}"))], None).await
    }

    /// `GET path` with the applicant's token.
    pub async fn get_with_token(&self, path: &str, token: &str) -> ApiResponse {
        self.call("GET", path, &[("authorization", &format!("Bearer {token}"))], None).await
    }

    /// `POST path` with a JSON body and, if given, a bearer token.
    pub async fn post(&self, path: &str, bearer: Option<&str>, body: &Value) -> ApiResponse {
        let auth = bearer.map(|t| format!("Bearer {t}"));
        let mut headers = vec![("content-type", "application/json")];
        if let Some(auth) = &auth {
            headers.push(("authorization", auth));
        }
        self.call("POST", path, &headers, Some(&body.to_string())).await
    }

    /// `GET path` with, if given, a bearer token.
    pub async fn get(&self, path: &str, bearer: Option<&str>) -> ApiResponse {
        let auth = bearer.map(|t| format!("Bearer {t}"));
        let headers: Vec<(&str, &str)> = auth.iter().map(|a| ("authorization", a.as_str())).collect();
        self.call("GET", path, &headers, None).await
    }

    /// `POST /auth/login`.
    pub async fn login(&self, username: &str, password: &str) -> ApiResponse {
        self.post("/auth/login", None, &json!({"username": username, "password": password})).await
    }

    /// Submits `form`, uploads a PNG and confirms it: a request in the operators' queue.
    pub async fn submitted_request(&self, form: &Value) -> Submitted {
        let created = self.submit(form).await;
        let size = form["document"]["size"].as_u64().unwrap_or(2048) as usize;
        let kind = match form["document"]["content_type"].as_str() {
            Some("application/pdf") => "pdf",
            Some("image/jpeg") => "jpeg",
            _ => "png",
        };
        self.upload(&created.body["upload"], file_of(kind, size)).await;
        let confirmed = self.post_with_token(&format!("/requests/{}/document", created.id), &created.token).await;
        assert_eq!(confirmed.status, 200, "{:#}", confirmed.body);
        created
    }

    /// The username and temporary password of the last credentials email to `address`.
    pub async fn credentials_sent_to(&self, address: &str) -> (String, String) {
        let emails = self.emails_to(address).await;
        let email = emails
            .iter()
            .rev()
            .find(|e| line_value(e["body"].as_str().unwrap_or_default(), "Username").is_some())
            .unwrap_or_else(|| panic!("no credentials email to {address}: {emails:#?}"));
        let body = email["body"].as_str().unwrap();
        (line_value(body, "Username").unwrap(), line_value(body, "Temporary password").expect("a temporary password"))
    }

    /// An approved applicant: (username, temporary password, email address, request id).
    pub async fn approved(&self) -> (String, String, String, String) {
        let form = valid_form();
        let address = form["email"].as_str().unwrap().to_string();
        let created = self.submitted_request(&form).await;
        let operator = self.operator_session().await;
        let path = format!("/operator/requests/{}/approve", created.id);
        assert_eq!(self.post(&path, Some(&operator), &json!({})).await.status, 200);
        let (username, temporary) = self.credentials_sent_to(&address).await;
        (username, temporary, address, created.id)
    }

    /// An approved applicant who chose [`STRONG_PASSWORD`] at the first login: username, email
    /// address and the session the change opened.
    pub async fn applicant_account(&self) -> (String, String, String) {
        let (username, temporary, address, _) = self.approved().await;
        let first = self.login(&username, &temporary).await;
        let change = json!({"change_token": first.body["change_token"], "new_password": STRONG_PASSWORD});
        let session = self.post("/auth/password", None, &change).await;
        assert_eq!(session.body["status"], "authenticated", "{:#}", session.body);
        (username, address, session.body["token"].as_str().unwrap().to_string())
    }

    /// A new operator who went through the forced first password change and enrolled an
    /// authenticator: their session token.
    pub async fn operator_session(&self) -> String {
        self.operator_account().await.token
    }

    /// The code `secret`'s authenticator shows at the services' time.
    pub fn totp_code(&self, secret: &str) -> String {
        let secret = totp_rs::Secret::try_from_base32(secret).expect("a base32 secret");
        let totp = totp_rs::Builder::new().with_secret(secret.as_ref().to_vec()).build().expect("a TOTP");
        totp.generate(u64::try_from(self.app.clock.now().unix()).unwrap()).to_string()
    }

    /// `POST /auth/mfa`.
    pub async fn second_factor(&self, mfa_token: &Value, code: &str) -> ApiResponse {
        self.post("/auth/mfa", None, &json!({"mfa_token": mfa_token, "code": code})).await
    }

    /// A new login of `operator` with their password and a code of the next time step (the
    /// services' clock moves 30 s: a code is accepted once): the session token.
    pub async fn operator_login(&self, operator: &OperatorAccount) -> String {
        self.clock.advance(time::Duration::seconds(30));
        let login = self.login(&operator.username, STRONG_PASSWORD).await;
        assert_eq!(login.body["status"], "second_factor_required", "{:#}", login.body);
        let done = self.second_factor(&login.body["mfa_token"], &self.totp_code(&operator.secret)).await;
        assert_eq!(done.status, 200, "{:#}", done.body);
        done.body["token"].as_str().unwrap().to_string()
    }

    /// A new operator who went through the forced first password change (choosing
    /// [`STRONG_PASSWORD`]) and enrolled an authenticator.
    pub async fn operator_account(&self) -> OperatorAccount {
        let username = format!("op.{}", unique());
        let address = format!("{username}@assistenza.example.it");
        let email = accreditation::domain::Email::parse(&address).unwrap();
        accreditation::services::operator::create_operator(
            self.app.accounts.as_ref(),
            &self.app.postman,
            self.app.clock.as_ref(),
            accreditation::domain::Username::parse(&username).unwrap(),
            email,
            accreditation::domain::Language::En,
        )
        .await
        .expect("operator created");
        let emails = self.emails_to(&address).await;
        let body = emails.last().expect("a credentials email")["body"].as_str().unwrap().to_string();
        let change_token = match line_value(&body, "Activation link") {
            Some(link) => link.split_once("#activation=").expect("a token in the link").1.to_string(),
            None => {
                let (username, temporary) = self.credentials_sent_to(&address).await;
                let first = self.login(&username, &temporary).await;
                assert_eq!(first.body["status"], "password_change_required", "{:#}", first.body);
                first.body["change_token"].as_str().unwrap().to_string()
            }
        };
        let changed = self
            .post("/auth/password", None, &json!({"change_token": change_token, "new_password": STRONG_PASSWORD}))
            .await;
        assert_eq!(changed.status, 200, "{:#}", changed.body);
        assert_eq!(changed.body["status"], "mfa_enrolment_required", "{:#}", changed.body);
        let secret = changed.body["secret"].as_str().unwrap().to_string();
        let enrolled = self.second_factor(&changed.body["mfa_token"], &self.totp_code(&secret)).await;
        assert_eq!(enrolled.status, 200, "{:#}", enrolled.body);
        let recovery_codes = enrolled.body["recovery_codes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap().to_string())
            .collect();
        OperatorAccount {
            username,
            token: enrolled.body["token"].as_str().unwrap().to_string(),
            secret,
            recovery_codes,
        }
    }

    /// Submits `form` (201 expected) and returns what the applicant keeps.
    pub async fn submit(&self, form: &Value) -> Submitted {
        let response = self.post_json("/requests", form).await;
        assert_eq!(response.status, 201, "submission refused: {:#}", response.body);
        Submitted {
            id: response.body["id"].as_str().expect("id").to_string(),
            token: response.body["access_token"].as_str().expect("access_token").to_string(),
            body: response.body,
        }
    }

    /// Uploads `bytes` as a browser would: the signed form fields, then the file.
    pub async fn upload(&self, upload: &Value, bytes: Vec<u8>) -> u16 {
        upload_file(&self.http, upload, bytes).await
    }

    /// Runs the S3 `ObjectCreated` handler for `key`.
    pub async fn object_created(&self, key: &str) -> Result<(), lambda_runtime::Error> {
        let mut event: Value = read_event("s3-object-created.json");
        event["Records"][0]["s3"]["bucket"]["name"] = json!(self.bucket);
        event["Records"][0]["s3"]["object"]["key"] = json!(key);
        let event: S3Event = serde_json::from_value(event).expect("S3 event");
        let event = lambda_runtime::LambdaEvent::new(event, Default::default());
        aws_calls::as_function("document-uploaded", document_uploaded::handler(&self.app.acceptance, event)).await
    }

    /// Runs the scheduled outbox sweep.
    pub async fn sweep(&self) -> SweepReport {
        let event = lambda_runtime::LambdaEvent::new(read_event("scheduled-outbox-sweep.json"), Default::default());
        aws_calls::as_function("mailer", mailer::handler(&self.app.postman, event)).await.expect("sweep")
    }

    /// Runs the `email-events` handler on the sample SNS bounce, retargeted at `request_id` and `address`.
    pub async fn bounce(&self, request_id: &str, address: &str) -> Result<(), lambda_runtime::Error> {
        let mut event = read_event("sns-ses-bounce.json");
        let sns = &mut event["Records"][0]["Sns"];
        let mut message: Value = serde_json::from_str(sns["Message"].as_str().expect("a message")).expect("SES JSON");
        message["mail"]["tags"]["request_id"] = json!([request_id]);
        message["mail"]["destination"] = json!([address]);
        message["bounce"]["bouncedRecipients"][0]["emailAddress"] = json!(address);
        sns["Message"] = json!(message.to_string());
        let event = serde_json::from_value(event).expect("SNS event");
        let event = lambda_runtime::LambdaEvent::new(event, Default::default());
        aws_calls::as_function("email-events", email_events::handler(&self.app.delivery_reports, event)).await
    }

    /// The `upload-state` tag of the object `key`.
    pub async fn upload_state(&self, key: &str) -> String {
        let tags = self.clients.s3.get_object_tagging().bucket(&self.bucket).key(key).send().await.expect("tags");
        let tag = tags.tag_set().iter().find(|t| t.key() == accreditation::schema::UPLOAD_STATE_TAG);
        tag.map(|t| t.value().to_string()).unwrap_or_default()
    }

    /// The MIME emails (with attachments) the emulator accepted for `address`.
    pub async fn raw_emails_to(&self, address: &str) -> Vec<Value> {
        let data = moto_data(&self.http, &self.endpoint).await;
        data["ses"]["RawMessage"]
            .as_array()
            .map(|all| {
                all.iter().filter(|m| m["raw_data"].as_str().unwrap_or_default().contains(address)).cloned().collect()
            })
            .unwrap_or_default()
    }

    /// Outbox items in `status`.
    pub async fn outbox_items(&self, status: &str) -> Vec<HashMap<String, aws_sdk_dynamodb::types::AttributeValue>> {
        self.all_items()
            .await
            .into_iter()
            .filter(|i| i["PK"].as_s().unwrap().starts_with("OUTBOX#") && i["status"].as_s().unwrap() == status)
            .collect()
    }

    /// Runs the mailer on a DynamoDB stream event carrying `items` as inserted (the emulator
    /// has no stream triggers, so the event is built from the table, like events/dynamodb-outbox-stream.json).
    pub async fn mailer_stream(
        &self,
        items: &[HashMap<String, aws_sdk_dynamodb::types::AttributeValue>],
    ) -> SweepReport {
        let mut event = read_event("dynamodb-outbox-stream.json");
        let template = event["Records"][0].clone();
        let records: Vec<Value> = items
            .iter()
            .map(|item| {
                let mut record = template.clone();
                let image = dynamo_json(item);
                record["dynamodb"]["Keys"] = json!({"PK": image["PK"], "SK": image["SK"]});
                record["dynamodb"]["NewImage"] = image;
                record
            })
            .collect();
        event["Records"] = Value::Array(records);
        let event = lambda_runtime::LambdaEvent::new(event, Default::default());
        aws_calls::as_function("mailer", mailer::handler(&self.app.postman, event)).await.expect("mailer")
    }

    /// The emails the emulator holds for `address`, oldest first.
    pub async fn emails_to(&self, address: &str) -> Vec<Value> {
        emails_to(&self.http, &self.endpoint, address).await
    }

    /// True when the bucket holds `key`.
    pub async fn object_exists(&self, key: &str) -> bool {
        self.clients.s3.head_object().bucket(&self.bucket).key(key).send().await.is_ok()
    }

    /// The raw table item `PK`/`SK`, to check what is (and is not) stored.
    pub async fn raw_item(
        &self,
        pk: &str,
        sk: &str,
    ) -> Option<HashMap<String, aws_sdk_dynamodb::types::AttributeValue>> {
        use aws_sdk_dynamodb::types::AttributeValue::S;
        self.clients
            .dynamodb
            .get_item()
            .table_name(&self.table)
            .key("PK", S(pk.into()))
            .key("SK", S(sk.into()))
            .send()
            .await
            .expect("GetItem")
            .item
    }

    /// The table as a store of legacy accounts (what `admin import-legacy` writes through).
    pub fn legacy_store(&self) -> accreditation::adapters::dynamodb::DynamoStore {
        accreditation::adapters::dynamodb::DynamoStore::new(self.clients.dynamodb.clone(), &self.table)
    }

    /// The permanent key of the accepted identity document of request `id`.
    pub async fn accepted_key(&self, id: &str) -> String {
        let item = self.raw_item(&format!("REQ#{id}"), "META").await.expect("request");
        let accepted = item["document"].as_m().unwrap()["accepted"].as_m().expect("accepted document");
        accepted["key"].as_s().unwrap().clone()
    }

    /// Every item of the table, for "nothing else was written" checks.
    pub async fn all_items(&self) -> Vec<HashMap<String, aws_sdk_dynamodb::types::AttributeValue>> {
        self.clients.dynamodb.scan().table_name(&self.table).send().await.expect("Scan").items.unwrap_or_default()
    }
}

/// The system time moved forward by what a test asked.
#[derive(Default)]
pub struct TestClock(Mutex<time::Duration>);

impl TestClock {
    /// Moves the time forward.
    pub fn advance(&self, by: time::Duration) {
        *self.0.lock().unwrap() += by;
    }
}

impl Clock for TestClock {
    fn now(&self) -> Timestamp {
        Timestamp::now().plus(*self.0.lock().unwrap())
    }
}

/// Invokes the handler of the function serving `path` (as the API Gateway routes do).
pub async fn invoke_requests(app: &App, event: &Value) -> ApiResponse {
    let path = event["rawPath"].as_str().unwrap_or_default();
    let function = if path.starts_with("/auth/") {
        "auth"
    } else if path.starts_with("/operator/") {
        "operator"
    } else {
        "requests"
    };
    invoke_function(app, function, event).await
}

/// Invokes the handler of the HTTP function `function` (`requests`, `auth` or `operator`).
pub async fn invoke_function(app: &App, function: &str, event: &Value) -> ApiResponse {
    let request = lambda_http::request::from_str(&event.to_string()).expect("API Gateway v2 event");
    let response = match function {
        "auth" => {
            let services = auth::Services { auth: &app.auth, recovery: &app.recovery };
            aws_calls::as_function("auth", auth::handler(services, request)).await
        }
        "operator" => aws_calls::as_function("operator", operator::handler(&app.operator, request)).await,
        "requests" => aws_calls::as_function("requests", requests::handler(&app.applicant, request)).await,
        "web" => aws_calls::as_function("web", web::handler(&test_site(), request)).await,
        "oidc" => aws_calls::as_function("oidc", oidc::handler(&app.provider, request)).await,
        other => panic!("{other} is not an HTTP function"),
    };
    ApiResponse::from(response.expect("the handler never fails"))
}

impl From<Response<Body>> for ApiResponse {
    /// The answer as a test reads it.
    fn from(response: Response<Body>) -> Self {
        let status = response.status().as_u16();
        // A header sent more than once (Set-Cookie) keeps every value, one per line.
        let mut headers: HashMap<String, String> = HashMap::new();
        for (name, value) in response.headers() {
            let value = value.to_str().unwrap_or_default();
            headers
                .entry(name.as_str().to_string())
                .and_modify(|v| *v = format!("{v}\n{value}"))
                .or_insert_with(|| value.to_string());
        }
        let body = match response.body() {
            // Pages and assets are kept as text; every API answer is JSON.
            Body::Text(text) if !response.headers()["content-type"].to_str().unwrap_or_default().contains("json") => {
                Value::String(text.clone())
            }
            Body::Text(text) => serde_json::from_str(text).expect("JSON body"),
            Body::Binary(bytes) => serde_json::from_slice(bytes).expect("JSON body"),
            Body::Empty => Value::Null,
            _ => Value::Null,
        };
        ApiResponse { status, headers, body }
    }
}

/// The pages as the `web` function serves them (emulator bucket, CAPTCHA stand-in).
pub fn test_site() -> web::Site {
    let vars: HashMap<&str, String> = [
        ("TABLE_NAME", "pages".to_string()),
        ("DOCUMENT_BUCKET", "pages".to_string()),
        ("SENDER_EMAIL", "noreply@accreditamento.example.it".to_string()),
        ("PRIVACY_NOTICE_VERSION", "2026-11-test".to_string()),
        ("LOGIN_URL", "https://portal.example.org/login".to_string()),
        ("CAPTCHA_MODE", "off".to_string()),
        ("AWS_ENDPOINT_URL", emulator_endpoint()),
    ]
    .into_iter()
    .collect();
    let config = Config::from_lookup(|name| vars.get(name).cloned()).expect("page configuration");
    web::Site::new(&config).expect("the pages render")
}

/// An API Gateway HTTP API (payload v2) event as Lambda receives it.
pub fn api_event(method: &str, path: &str, headers: &[(&str, &str)], body: Option<&str>) -> Value {
    let mut event = read_event("get-request.json");
    let headers: serde_json::Map<String, Value> = headers.iter().map(|(k, v)| (k.to_string(), json!(v))).collect();
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    event["rawPath"] = json!(path);
    event["rawQueryString"] = json!(query);
    let parameters: serde_json::Map<String, Value> = query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (k.to_string(), json!(percent_decode(v))))
        .collect();
    event["queryStringParameters"] = Value::Object(parameters);
    event["headers"] = Value::Object(headers);
    event["requestContext"]["http"]["method"] = json!(method);
    event["requestContext"]["http"]["path"] = json!(path);
    event["requestContext"]["requestId"] = json!(unique());
    event["body"] = body.map_or(Value::Null, |b| json!(b));
    event["isBase64Encoded"] = json!(false);
    event
}

/// A sample event from `events/`.
pub fn read_event(name: &str) -> Value {
    let path = format!("{ROOT}/events/{name}");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Posts `bytes` to a pre-signed upload form, as a browser does; returns the HTTP status.
pub async fn upload_file(http: &reqwest::Client, upload: &Value, bytes: Vec<u8>) -> u16 {
    assert_eq!(upload["method"], "POST");
    let mut form = reqwest::multipart::Form::new();
    for (name, value) in upload["fields"].as_object().expect("upload fields") {
        form = form.text(name.clone(), value.as_str().expect("text field").to_string());
    }
    let content_type = upload["fields"]["Content-Type"].as_str().expect("Content-Type field").to_string();
    let file = reqwest::multipart::Part::bytes(bytes).file_name("document").mime_str(&content_type).expect("mime");
    form = form.part("file", file);
    let url = upload["url"].as_str().expect("upload url");
    http.post(url).multipart(form).send().await.expect("upload request").status().as_u16()
}

/// The emails the emulator accepted for `address` (`ses.Message` of moto's data API).
pub async fn emails_to(http: &reqwest::Client, endpoint: &str, address: &str) -> Vec<Value> {
    let data = moto_data(http, endpoint).await;
    data["ses"]["Message"]
        .as_array()
        .map(|messages| {
            messages
                .iter()
                .filter(|m| {
                    m["destinations"]["ToAddresses"].as_array().is_some_and(|to| to.iter().any(|a| a == address))
                })
                .cloned()
                .collect()
        })
        .unwrap_or_default()
}

fn percent_decode(value: &str) -> String {
    url::form_urlencoded::parse(format!("v={value}").as_bytes()).next().map(|(_, v)| v.into_owned()).unwrap_or_default()
}

/// An item in the DynamoDB JSON of stream records (`{"S": ...}`, `{"N": ...}`, ...).
pub fn dynamo_json(item: &HashMap<String, aws_sdk_dynamodb::types::AttributeValue>) -> Value {
    use aws_sdk_dynamodb::types::AttributeValue as A;
    fn one(value: &A) -> Value {
        match value {
            A::S(s) => json!({"S": s}),
            A::N(n) => json!({"N": n}),
            A::Bool(b) => json!({"BOOL": b}),
            A::Null(_) => json!({"NULL": true}),
            A::M(m) => json!({"M": m.iter().map(|(k, v)| (k.clone(), one(v))).collect::<serde_json::Map<_, _>>()}),
            A::L(l) => json!({"L": l.iter().map(one).collect::<Vec<_>>()}),
            other => panic!("unexpected attribute {other:?}"),
        }
    }
    Value::Object(item.iter().map(|(k, v)| (k.clone(), one(v))).collect())
}

/// The emulator's state (`/moto-api/data.json`). Moto serialises it while other requests change
/// it, and now and then fails (e.g. on a DynamoDB stream record added meanwhile): retried.
pub async fn moto_data(http: &reqwest::Client, endpoint: &str) -> Value {
    let url = format!("{endpoint}/moto-api/data.json");
    let mut last_error = String::new();
    for _ in 0..10 {
        match http.get(&url).send().await {
            Ok(response) if response.status().is_success() => match response.json().await {
                Ok(data) => return data,
                Err(e) => last_error = e.to_string(),
            },
            Ok(response) => last_error = format!("HTTP {}", response.status()),
            Err(e) => last_error = e.to_string(),
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    panic!("the emulator's data API failed 10 times: {last_error}")
}
