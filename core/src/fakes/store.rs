//! The table: requests, audit trails, locks, idempotency records, counters and the outbox, and
//! the hooks and faults of its calls.

use async_trait::async_trait;

use super::*;

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
    pub(super) fn enter(&self, call: &'static str) -> Result<MutexGuard<'_, Tables>, InfraError> {
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
            && tables.accounts.contains_key(account.username())
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
            tables.accounts.insert(account.username().clone(), account.clone());
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
