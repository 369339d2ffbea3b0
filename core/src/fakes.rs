//! In-memory fakes of the ports, for fast, deterministic service tests: one store holding what
//! the table would, a bucket, a mailer and a clock. Any call can be made to fail (`fail_next`),
//! and a hook can change the store just before a chosen call (`before`), to play the other side of
//! a race at an exact point.

use std::{
    collections::{BTreeMap, HashMap},
    sync::{Arc, Mutex, MutexGuard},
};

use async_trait::async_trait;
use secrecy::SecretString;
use sha2::Digest;

use crate::{
    domain::{
        AcceptedDocument, Account, AccreditationRequest, ApplicationForm, AuditEntry, Consent, DocumentSlot,
        DocumentType, EidasCountries, Email, Event, FormRules, Reference, RequestId, Role, SecretToken, Timestamp,
        TokenHash, Username,
    },
    ports::{
        AccountAuditEntry, AccountStore, Admission, ChangeGrant, Clock, CreateAccountError, CreateError, DocumentStore,
        GrantStore, IdempotencyRecord, InfraError, LoginAttemptStore, LoginKey, Mailer, NewRequest, Outbox,
        OutboxEmail, OutboxStatus, OutgoingEmail, QueuePosition, RateLimiter, RequestStore, SessionRecord,
        SessionStore, StoredObject, Transition, TransitionError, UploadForm,
    },
    services::{
        acceptance::{DocumentAcceptance, upload_key},
        credentials::{CredentialDelivery, CredentialIssuer, CredentialSettings},
        operator::OperatorService,
        passwords::PasswordHasher,
        postman::{Postman, PostmanPorts, PostmanSettings},
        sessions::{Claims, LiveSessions, Sessions},
    },
    workflow::Status,
};

/// Calls made to fail: each name (the port method's) fails as many times as asked.
#[derive(Default)]
pub struct Faults(Mutex<HashMap<&'static str, u32>>);

impl Faults {
    /// The next `times` calls of `call` fail as an unavailable dependency.
    pub fn fail_next(&self, call: &'static str, times: u32) {
        *lock(&self.0).entry(call).or_default() += times;
    }

    /// An error if `call` is due to fail.
    fn check(&self, call: &'static str) -> Result<(), InfraError> {
        let mut faults = lock(&self.0);
        match faults.get_mut(call) {
            Some(left) if *left > 0 => {
                *left -= 1;
                Err(InfraError::Unavailable("fake", format!("{call} made to fail").into()))
            }
            _ => Ok(()),
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// What the table holds.
#[derive(Default)]
pub struct Tables {
    /// Requests by id.
    pub requests: HashMap<RequestId, AccreditationRequest>,
    /// Audit entries by request, oldest first.
    pub audit: HashMap<RequestId, Vec<AuditEntry>>,
    /// Person and email locks: the request holding each.
    pub locks: HashMap<String, (RequestId, Reference, Option<Timestamp>)>,
    /// Idempotency records by key hash.
    pub idempotency: HashMap<String, IdempotencyRecord>,
    /// Counters (references, usernames).
    pub counters: HashMap<String, u64>,
    /// Emails by id.
    pub outbox: BTreeMap<String, OutboxEmail>,
    /// Accounts by username.
    pub accounts: HashMap<Username, Account>,
    /// Login attempts by username.
    pub logins: HashMap<(String, String), Attempts>,
    /// Grants by token hash.
    pub grants: HashMap<String, ChangeGrant>,
    /// Open sessions by the hash of their id.
    pub sessions: HashMap<String, SessionRecord>,
    /// The latest reset token of each account.
    pub resets: HashMap<Username, TokenHash>,
    /// Rate-limit counters by scope and window start.
    pub rates: HashMap<(String, i64), u32>,
    /// Administrators' actions by account.
    pub account_audit: HashMap<Username, Vec<AccountAuditEntry>>,
}

/// The login attempts of one username.
#[derive(Debug, Clone, Copy)]
pub struct Attempts {
    /// Counted since the last success.
    pub counted: u32,
    /// How many may be checked.
    pub allowance: u32,
    /// The lock.
    pub locked_until: Option<Timestamp>,
}

type Hook = Box<dyn FnOnce(&mut Tables) + Send>;

/// The table: every store port at once.
#[derive(Default)]
pub struct FakeStore {
    tables: Mutex<Tables>,
    hooks: Mutex<HashMap<&'static str, Hook>>,
    /// Calls made to fail.
    pub faults: Faults,
}

impl FakeStore {
    /// A new empty store, shared.
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// What the store holds now.
    pub fn tables(&self) -> MutexGuard<'_, Tables> {
        lock(&self.tables)
    }

    /// Runs `hook` on the store just before the next `call` does anything.
    pub fn before(&self, call: &'static str, hook: impl FnOnce(&mut Tables) + Send + 'static) {
        lock(&self.hooks).insert(call, Box::new(hook));
    }

    /// Writes a request as it is (for tests that start from a given state).
    pub fn put_request(&self, request: AccreditationRequest) {
        self.tables().requests.insert(request.id, request);
    }

    /// The start of every call: its hook, then its fault.
    fn enter(&self, call: &'static str) -> Result<MutexGuard<'_, Tables>, InfraError> {
        let hook = lock(&self.hooks).remove(call);
        let mut tables = self.tables();
        if let Some(hook) = hook {
            hook(&mut tables);
        }
        self.faults.check(call)?;
        Ok(tables)
    }
}

fn person_key(request: &AccreditationRequest) -> String {
    let applicant = &request.applicant;
    format!("PERSON#{}#{}", applicant.citizenship, applicant.identification_code.as_str())
}

fn email_key(request: &AccreditationRequest) -> String {
    format!("EMAIL#{}", request.applicant.email.normalized())
}

fn versioned(tables: &Tables, request: &AccreditationRequest, expected: u64) -> Result<(), TransitionError> {
    match tables.requests.get(&request.id) {
        Some(stored) if stored.version() == expected => Ok(()),
        _ => Err(TransitionError::Conflict),
    }
}

#[async_trait]
impl RequestStore for FakeStore {
    async fn next_reference_number(&self, year: i32) -> Result<u64, InfraError> {
        let mut tables = self.enter("next_reference_number")?;
        let counter = tables.counters.entry(format!("COUNTER#{year}")).or_default();
        *counter += 1;
        Ok(*counter)
    }

    async fn create(&self, new: &NewRequest, now: Timestamp) -> Result<(), CreateError> {
        let mut tables = self.enter("create")?;
        let request = &new.request;
        let held = |key: &String, tables: &Tables| {
            tables.locks.get(key).is_some_and(|(_, _, ttl)| ttl.is_none_or(|t| t >= now))
        };
        if let Some(record) = &new.idempotency
            && tables.idempotency.get(&record.key_hash).is_some_and(|r| r.expires_at >= now)
        {
            return Err(CreateError::IdempotencyKeyUsed);
        }
        let keys = [person_key(request), email_key(request)];
        if keys.iter().any(|key| held(key, &tables)) {
            return Err(CreateError::PersonHasActiveRequest);
        }
        for key in keys {
            tables.locks.insert(key, (request.id, request.reference.clone(), request.expires_at()));
        }
        if let Some(record) = &new.idempotency {
            tables.idempotency.insert(record.key_hash.clone(), record.clone());
        }
        tables.audit.entry(request.id).or_default().push(new.audit.clone());
        tables.requests.insert(request.id, request.clone());
        Ok(())
    }

    async fn active_request_of(
        &self,
        request: &AccreditationRequest,
        now: Timestamp,
    ) -> Result<Option<RequestId>, InfraError> {
        let tables = self.enter("active_request_of")?;
        Ok([person_key(request), email_key(request)].iter().find_map(|key| {
            tables
                .locks
                .get(key)
                .filter(|(id, _, ttl)| *id != request.id && ttl.is_none_or(|t| t >= now))
                .map(|(id, _, _)| *id)
        }))
    }

    async fn find(&self, id: RequestId) -> Result<Option<AccreditationRequest>, InfraError> {
        Ok(self.enter("find")?.requests.get(&id).cloned())
    }

    async fn idempotency_record(
        &self,
        key_hash: &str,
        now: Timestamp,
    ) -> Result<Option<IdempotencyRecord>, InfraError> {
        Ok(self.enter("idempotency_record")?.idempotency.get(key_hash).filter(|r| r.expires_at >= now).cloned())
    }

    async fn transition(&self, change: &Transition) -> Result<(), TransitionError> {
        let mut tables = self.enter("transition")?;
        let request = &change.request;
        versioned(&tables, request, change.expected_version)?;
        if let Some(account) = &change.account
            && tables.accounts.contains_key(&account.username)
        {
            return Err(TransitionError::UsernameTaken);
        }
        for key in [person_key(request), email_key(request)] {
            if request.status().holds_person() {
                tables.locks.insert(key, (request.id, request.reference.clone(), request.expires_at()));
            } else {
                tables.locks.remove(&key);
            }
        }
        if let Some(email) = &change.email {
            tables.outbox.insert(email.id.clone(), email.clone());
        }
        if let Some(account) = &change.account {
            tables.accounts.insert(account.username.clone(), account.clone());
        }
        tables.audit.entry(request.id).or_default().push(change.audit.clone());
        tables.requests.insert(request.id, request.clone());
        Ok(())
    }

    async fn update(&self, request: &AccreditationRequest, expected_version: u64) -> Result<(), TransitionError> {
        let mut tables = self.enter("update")?;
        versioned(&tables, request, expected_version)?;
        tables.requests.insert(request.id, request.clone());
        Ok(())
    }

    async fn audit_trail(&self, id: RequestId) -> Result<Vec<AuditEntry>, InfraError> {
        Ok(self.enter("audit_trail")?.audit.get(&id).cloned().unwrap_or_default())
    }

    async fn queue(
        &self,
        status: Status,
        limit: i32,
        after: Option<QueuePosition>,
    ) -> Result<(Vec<AccreditationRequest>, Option<QueuePosition>), InfraError> {
        let tables = self.enter("queue")?;
        let position = |r: &AccreditationRequest| r.submitted_at().map(|at| format!("{at}#{}", r.id));
        let after = after.and_then(|p| p.0.get("at").cloned());
        let mut listed: Vec<_> = tables
            .requests
            .values()
            .filter(|r| r.status() == status && position(r).is_some_and(|p| after.as_ref().is_none_or(|a| p > *a)))
            .cloned()
            .collect();
        listed.sort_by_key(position);
        let limit = usize::try_from(limit).unwrap_or(0);
        let next = (listed.len() > limit)
            .then(|| listed.get(limit.saturating_sub(1)).and_then(position))
            .flatten()
            .map(|at| QueuePosition(BTreeMap::from([("at".to_string(), at)])));
        listed.truncate(limit);
        Ok((listed, next))
    }
}

#[async_trait]
impl Outbox for FakeStore {
    async fn enqueue(&self, email: &OutboxEmail) -> Result<(), InfraError> {
        self.enter("enqueue")?.outbox.insert(email.id.clone(), email.clone());
        Ok(())
    }

    async fn due(&self, now: Timestamp, limit: i32) -> Result<Vec<OutboxEmail>, InfraError> {
        let tables = self.enter("due")?;
        let mut due: Vec<_> =
            tables.outbox.values().filter(|e| e.status == OutboxStatus::Pending && e.due_at <= now).cloned().collect();
        due.sort_by_key(|e| e.due_at);
        due.truncate(usize::try_from(limit).unwrap_or(0));
        Ok(due)
    }

    async fn claim(&self, id: &str, now: Timestamp, lease_until: Timestamp) -> Result<Option<OutboxEmail>, InfraError> {
        let mut tables = self.enter("claim")?;
        let Some(email) = tables.outbox.get_mut(id).filter(|e| e.status == OutboxStatus::Pending && e.due_at <= now)
        else {
            return Ok(None);
        };
        email.due_at = lease_until;
        email.attempts += 1;
        Ok(Some(email.clone()))
    }

    async fn sent(&self, id: &str, message_id: &str, _at: Timestamp) -> Result<(), InfraError> {
        let mut tables = self.enter("sent")?;
        if let Some(email) = tables.outbox.get_mut(id) {
            email.status = OutboxStatus::Sent;
            email.message_id = Some(message_id.to_string());
            email.last_error = None;
        }
        Ok(())
    }

    async fn failed(&self, id: &str, error: &str, retry_at: Option<Timestamp>) -> Result<(), InfraError> {
        let mut tables = self.enter("failed")?;
        if let Some(email) = tables.outbox.get_mut(id) {
            email.last_error = Some(error.to_string());
            match retry_at {
                Some(at) => email.due_at = at,
                None => email.status = OutboxStatus::Failed,
            }
        }
        Ok(())
    }
}

#[async_trait]
impl AccountStore for FakeStore {
    async fn account(&self, username: &Username) -> Result<Option<Account>, InfraError> {
        Ok(self.enter("account")?.accounts.get(username).cloned())
    }

    async fn create_account(&self, account: &Account, email: &OutboxEmail) -> Result<(), CreateAccountError> {
        let mut tables = self.enter("create_account")?;
        if tables.accounts.contains_key(&account.username) {
            return Err(CreateAccountError::UsernameTaken);
        }
        tables.accounts.insert(account.username.clone(), account.clone());
        tables.outbox.insert(email.id.clone(), email.clone());
        Ok(())
    }

    async fn save_account(&self, account: &Account, expected_version: u64) -> Result<(), TransitionError> {
        let mut tables = self.enter("save_account")?;
        match tables.accounts.get(&account.username) {
            Some(stored) if stored.version == expected_version => {}
            _ => return Err(TransitionError::Conflict),
        }
        tables.accounts.insert(account.username.clone(), account.clone());
        Ok(())
    }

    async fn change_password(
        &self,
        account: &Account,
        expected_version: u64,
        grant: Option<&TokenHash>,
        email: &OutboxEmail,
    ) -> Result<(), TransitionError> {
        let mut tables = self.enter("change_password")?;
        let current = tables.accounts.get(&account.username).is_some_and(|a| a.version == expected_version);
        if !current || grant.is_some_and(|g| !tables.grants.contains_key(g.as_str())) {
            return Err(TransitionError::Conflict);
        }
        if let Some(grant) = grant {
            tables.grants.remove(grant.as_str());
        }
        tables.accounts.insert(account.username.clone(), account.clone());
        tables.outbox.insert(email.id.clone(), email.clone());
        Ok(())
    }

    async fn save_account_audited(
        &self,
        account: &Account,
        expected_version: u64,
        entry: &AccountAuditEntry,
    ) -> Result<(), TransitionError> {
        let mut tables = self.enter("save_account_audited")?;
        match tables.accounts.get(&account.username) {
            Some(stored) if stored.version == expected_version => {}
            _ => return Err(TransitionError::Conflict),
        }
        tables.accounts.insert(account.username.clone(), account.clone());
        tables.account_audit.entry(account.username.clone()).or_default().push(entry.clone());
        Ok(())
    }

    async fn account_audit(&self, username: &Username) -> Result<Vec<AccountAuditEntry>, InfraError> {
        Ok(self.enter("account_audit")?.account_audit.get(username).cloned().unwrap_or_default())
    }

    async fn accounts_with_email(&self, email: &Email) -> Result<Vec<Account>, InfraError> {
        let tables = self.enter("accounts_with_email")?;
        let mut found: Vec<Account> =
            tables.accounts.values().filter(|a| a.email.normalized() == email.normalized()).cloned().collect();
        found.sort_by(|a, b| a.username.as_str().cmp(b.username.as_str()));
        Ok(found)
    }

    async fn next_username_number(&self, base: &str) -> Result<u64, InfraError> {
        let mut tables = self.enter("next_username_number")?;
        let counter = tables.counters.entry(format!("USERNAME#{base}")).or_default();
        *counter += 1;
        Ok(*counter)
    }
}

#[async_trait]
impl LoginAttemptStore for FakeStore {
    async fn admit(&self, key: LoginKey<'_>, now: Timestamp, first_allowance: u32) -> Result<Admission, InfraError> {
        let mut tables = self.enter("admit")?;
        let attempts = tables.logins.entry((key.username.to_string(), key.source.to_string())).or_insert(Attempts {
            counted: 0,
            allowance: first_allowance,
            locked_until: None,
        });
        if let Some(until) = attempts.locked_until.filter(|until| *until > now) {
            return Ok(Admission::Locked(until));
        }
        if attempts.counted >= attempts.allowance {
            return Ok(Admission::Busy);
        }
        attempts.counted += 1;
        Ok(Admission::Check(attempts.counted))
    }

    async fn lock(&self, key: LoginKey<'_>, attempt: u32, until: Timestamp) -> Result<(), InfraError> {
        let mut tables = self.enter("lock")?;
        if let Some(attempts) = tables.logins.get_mut(&(key.username.to_string(), key.source.to_string()))
            && attempts.locked_until.is_none_or(|current| current < until)
        {
            attempts.locked_until = Some(until);
            attempts.allowance = attempt + 1;
        }
        Ok(())
    }

    async fn clear_login_failures(&self, username: &str, source: Option<&str>) -> Result<(), InfraError> {
        let mut tables = self.enter("clear_login_failures")?;
        tables.logins.retain(|(name, from), _| name != username || source.is_some_and(|source| source != from));
        Ok(())
    }
}

#[async_trait]
impl GrantStore for FakeStore {
    async fn store_grant(&self, token: &TokenHash, grant: &ChangeGrant) -> Result<(), InfraError> {
        self.enter("store_grant")?.grants.insert(token.as_str().to_string(), grant.clone());
        Ok(())
    }

    async fn grant(&self, token: &TokenHash, now: Timestamp) -> Result<Option<ChangeGrant>, InfraError> {
        Ok(self.enter("grant")?.grants.get(token.as_str()).filter(|g| g.expires_at > now).cloned())
    }

    async fn consume_grant(&self, token: &TokenHash) -> Result<bool, InfraError> {
        Ok(self.enter("consume_grant")?.grants.remove(token.as_str()).is_some())
    }

    async fn store_reset(&self, token: &TokenHash, grant: &ChangeGrant) -> Result<(), InfraError> {
        let mut tables = self.enter("store_reset")?;
        if let Some(previous) = tables.resets.insert(grant.username.clone(), token.clone()) {
            tables.grants.remove(previous.as_str());
        }
        tables.grants.insert(token.as_str().to_string(), grant.clone());
        Ok(())
    }

    async fn latest_reset(&self, username: &Username, now: Timestamp) -> Result<Option<TokenHash>, InfraError> {
        let tables = self.enter("latest_reset")?;
        let latest =
            tables.resets.get(username).filter(|t| tables.grants.get(t.as_str()).is_some_and(|g| g.expires_at > now));
        Ok(latest.cloned())
    }
}

#[async_trait]
impl RateLimiter for FakeStore {
    async fn hit(&self, scope: &str, window: i64, limit: u32, now: Timestamp) -> Result<Option<i64>, InfraError> {
        let mut tables = self.enter("hit")?;
        let start = now.unix() - now.unix().rem_euclid(window.max(1));
        let count = tables.rates.entry((scope.to_string(), start)).or_default();
        *count += 1;
        Ok((*count > limit).then(|| (start + window - now.unix()).max(1)))
    }
}

#[async_trait]
impl SessionStore for FakeStore {
    async fn open_session(&self, id: &TokenHash, session: &SessionRecord) -> Result<(), InfraError> {
        self.enter("open_session")?.sessions.insert(id.as_str().to_string(), session.clone());
        Ok(())
    }

    async fn session(&self, id: &TokenHash, now: Timestamp) -> Result<Option<SessionRecord>, InfraError> {
        Ok(self.enter("session")?.sessions.get(id.as_str()).filter(|s| s.expires_at > now).cloned())
    }

    async fn end_session(&self, id: &TokenHash) -> Result<(), InfraError> {
        self.enter("end_session")?.sessions.remove(id.as_str());
        Ok(())
    }
}

/// The ETag of `bytes` (S3's is their MD5 for a simple upload; any digest of the bytes will do).
fn etag_of(bytes: &[u8]) -> String {
    format!("\"{}\"", hex::encode(sha2::Sha256::digest(bytes)))
}

/// The document bucket.
#[derive(Default)]
pub struct FakeBucket {
    objects: Mutex<HashMap<String, Vec<u8>>>,
    /// An upload made right after the next read of the first bytes: `(key, bytes)` (a second
    /// upload racing the acceptance check).
    upload_after_read: Mutex<Option<(String, Vec<u8>)>>,
    /// Calls made to fail.
    pub faults: Faults,
}

impl FakeBucket {
    /// A new empty bucket, shared.
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Uploads `bytes` at `key`, as a browser with the upload form would.
    pub fn upload(&self, key: &str, bytes: &[u8]) {
        lock(&self.objects).insert(key.to_string(), bytes.to_vec());
    }

    /// Uploads `bytes` at `key` right after the next read of an object's first bytes.
    pub fn upload_after_next_read(&self, key: &str, bytes: &[u8]) {
        *lock(&self.upload_after_read) = Some((key.to_string(), bytes.to_vec()));
    }

    /// The object at `key`, if any.
    pub fn object(&self, key: &str) -> Option<Vec<u8>> {
        lock(&self.objects).get(key).cloned()
    }

    /// Every key, sorted.
    pub fn keys(&self) -> Vec<String> {
        let mut keys: Vec<_> = lock(&self.objects).keys().cloned().collect();
        keys.sort();
        keys
    }
}

#[async_trait]
impl DocumentStore for FakeBucket {
    async fn upload_form(
        &self,
        key: &str,
        content_type: DocumentType,
        expires_at: Timestamp,
    ) -> Result<UploadForm, InfraError> {
        self.faults.check("upload_form")?;
        let fields =
            BTreeMap::from([("key".to_string(), key.to_string()), ("Content-Type".into(), content_type.to_string())]);
        Ok(UploadForm { method: "POST".into(), url: "https://bucket.example".into(), fields, expires_at })
    }

    async fn head(&self, key: &str) -> Result<Option<StoredObject>, InfraError> {
        self.faults.check("head")?;
        Ok(self.object(key).map(|o| StoredObject { size: o.len() as u64, etag: etag_of(&o) }))
    }

    async fn first_bytes(&self, key: &str, count: u64, version: Option<&str>) -> Result<Option<Vec<u8>>, InfraError> {
        self.faults.check("first_bytes")?;
        let read = self.object(key).filter(|o| version.is_none_or(|version| etag_of(o) == version));
        if let Some((key, bytes)) = lock(&self.upload_after_read).take() {
            self.upload(&key, &bytes);
        }
        Ok(read.map(|mut bytes| {
            bytes.truncate(usize::try_from(count).unwrap_or(usize::MAX));
            bytes
        }))
    }

    async fn promote(&self, upload_key: &str, version: &str, key: &str) -> Result<bool, InfraError> {
        self.faults.check("promote")?;
        let mut objects = lock(&self.objects);
        match objects.get(upload_key) {
            Some(bytes) if etag_of(bytes) == version => {}
            _ => return Ok(false),
        }
        if let Some(bytes) = objects.get(upload_key).cloned() {
            objects.insert(key.to_string(), bytes);
        }
        Ok(true)
    }

    async fn download_url(
        &self,
        key: &str,
        _content_type: DocumentType,
        file_name: &str,
        _validity: std::time::Duration,
    ) -> Result<String, InfraError> {
        self.faults.check("download_url")?;
        Ok(format!("https://bucket.example/{key}?name={file_name}"))
    }

    async fn schedule_deletion(&self, _key: &str, _content_type: DocumentType) -> Result<(), InfraError> {
        self.faults.check("schedule_deletion")
    }

    async fn delete(&self, key: &str) -> Result<(), InfraError> {
        self.faults.check("delete")?;
        lock(&self.objects).remove(key);
        Ok(())
    }
}

/// The mail service: keeps what it sends.
#[derive(Default)]
pub struct FakeMailer {
    sent: Mutex<Vec<OutgoingEmail>>,
    /// Calls made to fail (`send`).
    pub faults: Faults,
}

impl FakeMailer {
    /// A new mailer, shared.
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Everything sent, oldest first.
    pub fn sent(&self) -> Vec<OutgoingEmail> {
        lock(&self.sent).clone()
    }
}

#[async_trait]
impl Mailer for FakeMailer {
    async fn send(&self, email: &OutgoingEmail) -> Result<String, InfraError> {
        self.faults.check("send")?;
        let mut sent = lock(&self.sent);
        sent.push(email.clone());
        Ok(format!("message-{}", sent.len()))
    }
}

/// A clock that moves only when told.
pub struct FakeClock(Mutex<Timestamp>);

impl FakeClock {
    /// A clock at the current time, shared.
    pub fn new() -> Arc<Self> {
        Arc::new(Self(Mutex::new(Timestamp::now())))
    }

    /// Moves the time forward.
    pub fn advance(&self, by: time::Duration) {
        let mut now = lock(&self.0);
        *now = now.plus(by);
    }
}

impl Clock for FakeClock {
    fn now(&self) -> Timestamp {
        *lock(&self.0)
    }
}

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
        let hash = self.store.tables().accounts.get(username).and_then(|a| a.password_hash.clone());
        self.hasher.verify(SecretString::from(password.to_string()), hash).await.expect("verify")
    }
}
