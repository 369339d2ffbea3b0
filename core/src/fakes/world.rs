//! Every service over the fakes, as a function's cold start wires them over AWS.

use super::*;

/// Every service over the fakes, as a function's cold start wires them over AWS.
pub struct World {
    /// The table.
    pub store: Arc<FakeStore>,
    /// The document bucket.
    pub bucket: Arc<FakeBucket>,
    /// The mail service.
    pub mailer: Arc<FakeMailer>,
    /// The time.
    pub clock: Arc<FakeClock>,
    /// The outbox sender.
    pub postman: Postman,
    /// The acceptance check of uploads.
    pub acceptance: DocumentAcceptance,
    /// The operators' use cases.
    pub operator: OperatorService,
    /// The hasher the credentials use, to check them.
    pub hasher: PasswordHasher,
}

/// First retry delay of a failed email in [`World`].
pub const RETRY: time::Duration = time::Duration::seconds(60);
/// Attempts before [`World`]'s postman gives an email up.
pub const MAX_ATTEMPTS: u32 = 3;

impl World {
    /// Fresh fakes and the services over them.
    pub fn new() -> Self {
        let (store, bucket, mailer, clock) = (FakeStore::new(), FakeBucket::new(), FakeMailer::new(), FakeClock::new());
        let hasher = PasswordHasher::new().expect("argon2 parameters");
        let settings = CredentialSettings {
            login_url: "https://portal.example/login".into(),
            validity: time::Duration::days(7),
            delivery: CredentialDelivery::TemporaryPassword,
            reset_url: "https://portal.example/reset".into(),
        };
        let credentials = CredentialIssuer::new(store.clone(), store.clone(), hasher.clone(), clock.clone(), settings);
        let ports = PostmanPorts {
            outbox: store.clone(),
            requests: store.clone(),
            accounts: store.clone(),
            credentials,
            documents: bucket.clone(),
            mailer: mailer.clone(),
            clock: clock.clone(),
        };
        let postman =
            Postman::new(ports, PostmanSettings { retry_base: RETRY, max_attempts: MAX_ATTEMPTS, info_form_key: None });
        let acceptance = DocumentAcceptance::new(store.clone(), bucket.clone(), postman.clone(), clock.clone());
        let tokens = Sessions::new(SecretString::from("a session signing key of 32 bytes or more"), "test", "test-api");
        let sessions = LiveSessions::new(tokens, store.clone(), store.clone());
        let operator = OperatorService::new(
            store.clone(),
            store.clone(),
            bucket.clone(),
            postman.clone(),
            sessions,
            clock.clone(),
        );
        Self { store, bucket, mailer, clock, postman, acceptance, operator, hasher }
    }

    /// A new request awaiting its PNG document, stored as the applicant service leaves it.
    pub fn awaiting_request(&self) -> AccreditationRequest {
        let now = self.clock.now();
        let id = RequestId::generate();
        let eidas = EidasCountries::shipped();
        let rules = FormRules { today: now.datetime().date(), eidas: &eidas };
        let form = serde_json::json!({
            "name": "Maria", "surname": "D'Angelo", "email": format!("maria.{id}@example.org"),
            "phone": "+16175550100", "birth_country": "US", "birth_date": "1990-04-01",
            "identification_code": "X1234567", "gender": "F", "citizenship": "US", "residence_country": "US",
            "address": {"city": "Boston", "street": "Main Street", "number": "12"},
            "privacy_consent": true, "language": "en", "captcha_token": "pass-token",
            "document": {"content_type": "image/png", "size": 2048}
        });
        let serde_json::Value::Object(form) = form else { unreachable!("an object") };
        let form = ApplicationForm::parse(&form, &rules).expect("a valid form");
        let document =
            DocumentSlot { upload_key: upload_key(id).expect("a key"), declared: form.document, accepted: None };
        let consent = Consent { at: now, privacy_notice_version: "2026-01".into() };
        let token = SecretToken::generate().expect("randomness").hash();
        let request = AccreditationRequest::new(
            id,
            Reference::new(2026, 1),
            form.applicant,
            consent,
            token,
            document,
            now,
            now.plus(time::Duration::hours(24)),
        );
        self.store.put_request(request.clone());
        request
    }

    /// A request whose document was accepted: in the operators' queue.
    pub fn submitted_request(&self) -> AccreditationRequest {
        let request = self.awaiting_request();
        let now = self.clock.now();
        let accepted = AcceptedDocument {
            key: format!("documents/{}/accepted", request.id),
            size: 2048,
            content_type: DocumentType::Png,
            at: now,
        };
        let submitted = request.apply(Event::DocumentAccepted(accepted), now).expect("awaiting a document");
        self.store.put_request(submitted.clone());
        submitted
    }

    /// An operator's session claims.
    pub fn operator_claims(&self) -> Claims {
        let now = self.clock.now().unix();
        Claims {
            sub: "op.anna".into(),
            role: Role::Operator,
            iat: now,
            exp: now + 900,
            iss: "test".into(),
            aud: "test-api".into(),
            jti: "session".into(),
            authentication: crate::domain::Authentication::PasswordAndCode,
        }
    }

    /// The first lines of a PNG file of `size` bytes.
    pub fn png(size: usize) -> Vec<u8> {
        let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0".to_vec();
        bytes.resize(size, b' ');
        bytes
    }

    /// The temporary password of a credentials email.
    pub fn temporary_password(email: &OutgoingEmail) -> String {
        email
            .text
            .lines()
            .find_map(|line| line.strip_prefix("Temporary password: "))
            .expect("a temporary password line")
            .to_string()
    }

    /// True when `password` is the current password of `username`.
    pub async fn password_works(&self, username: &Username, password: &str) -> bool {
        let hash = self.store.tables().accounts.get(username).and_then(|a| a.password_hash().map(str::to_string));
        self.hasher.verify(SecretString::from(password.to_string()), hash).await.expect("verify")
    }
}
