//! The items of the table as stored: their keys (`schema` names the attributes) and shapes.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{
    domain::{
        Account, AccreditationRequest, AuditEntry, ChangeGrant, Email, OutboxEmail, OutboxStatus, PasswordState,
        Reference, RequestId, Timestamp, TokenHash,
    },
    ports::{AccountAuditEntry, ErasureRecord, IdempotencyRecord, LoginKey, SessionRecord},
    workflow::Status,
};

/// The sort key of a request's own item.
pub(super) const META: &str = "META";
/// The sort key of person and email locks.
pub(super) const LOCK: &str = "LOCK";
/// `GSI1PK` of the emails still to send.
pub(super) const OUTBOX_PENDING: &str = "OUTBOX#pending";
/// `GSI1PK` of the accounts still holding a legacy hash (indexed by import time, so that ops can
/// list the dormant ones); an account leaves the index with its first password change.
pub(super) const LEGACY_ACCOUNTS: &str = "LEGACY";

pub(super) fn request_pk(id: RequestId) -> String {
    format!("REQ#{id}")
}

/// The lock of a person: same citizenship and identification code (hashed: no PII in keys).
pub(super) fn person_lock_pk(request: &AccreditationRequest) -> String {
    let applicant = &request.applicant;
    let digest = Sha256::digest(applicant.identification_code.as_str().as_bytes());
    format!("PERSON#{}#{}", applicant.citizenship, hex::encode(digest))
}

/// The lock of a mailbox, whatever its case.
pub(super) fn email_lock_pk(request: &AccreditationRequest) -> String {
    format!("EMAIL#{}", hex::encode(Sha256::digest(request.applicant.email.normalized().as_bytes())))
}

/// Where a request sits in the operators' index: by status, oldest submission first (from
/// submission on; requests still awaiting a document are not listed).
fn queue_key(request: &AccreditationRequest) -> Option<(String, String)> {
    let since = request.submitted_at()?;
    Some((queue_pk(request.status()), format!("{since}#{}", request.id)))
}

pub(super) fn queue_pk(status: Status) -> String {
    format!("STATUS#{status}")
}

pub(super) fn idempotency_pk(key_hash: &str) -> String {
    format!("IDEM#{key_hash}")
}

pub(super) fn outbox_pk(id: &str) -> String {
    format!("OUTBOX#{id}")
}

pub(super) fn outbox_due_key(due_at: Timestamp, id: &str) -> String {
    format!("{due_at}#{id}")
}

pub(super) fn account_pk(username: &str) -> String {
    format!("ACCOUNT#{username}")
}

pub(super) fn login_pk(username: &str) -> String {
    format!("LOGIN#{username}")
}

/// The sort key of the login count of one source address (hashed: no address in keys).
pub(super) fn login_sk(source: &str) -> String {
    format!("LOGIN#{}", hex::encode(Sha256::digest(source.as_bytes())))
}

pub(super) fn grant_pk(token: &TokenHash) -> String {
    format!("GRANT#{}", token.as_str())
}

/// `GSI2PK` of the accounts of an email address, whatever its case (hashed: no PII in keys).
pub(super) fn account_email_key(email: &Email) -> String {
    format!("ACCOUNTEMAIL#{}", hex::encode(Sha256::digest(email.normalized().as_bytes())))
}

/// The latest password reset of an account: the only reset grant that works.
pub(super) fn reset_pk(username: &str) -> String {
    format!("RESET#{username}")
}

/// A rate-limit counter of `scope` in the window starting at `window` (Unix seconds).
pub(super) fn rate_pk(scope: &str, window: i64) -> String {
    format!("RATE#{scope}#{window}")
}

pub(super) fn session_pk(id: &TokenHash) -> String {
    format!("SESSION#{}", id.as_str())
}

/// The key attributes of an item; the `GSI1` pair only on items in that index.
#[derive(Serialize, Deserialize)]
pub(super) struct Keys {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    #[serde(rename = "GSI1PK", default, skip_serializing_if = "Option::is_none")]
    gsi1pk: Option<String>,
    #[serde(rename = "GSI1SK", default, skip_serializing_if = "Option::is_none")]
    gsi1sk: Option<String>,
    #[serde(rename = "GSI2PK", default, skip_serializing_if = "Option::is_none")]
    gsi2pk: Option<String>,
    #[serde(rename = "GSI2SK", default, skip_serializing_if = "Option::is_none")]
    gsi2sk: Option<String>,
}

impl Keys {
    pub(super) fn new(pk: String, sk: &str) -> Self {
        Self { pk, sk: sk.into(), gsi1pk: None, gsi1sk: None, gsi2pk: None, gsi2sk: None }
    }

    pub(super) fn indexed(pk: String, sk: &str, gsi1: Option<(String, String)>) -> Self {
        let (gsi1pk, gsi1sk) = gsi1.unzip();
        Self { pk, sk: sk.into(), gsi1pk, gsi1sk, gsi2pk: None, gsi2sk: None }
    }
}

#[derive(Serialize, Deserialize)]
pub(super) struct RequestItem {
    #[serde(flatten)]
    keys: Keys,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ttl: Option<i64>,
    #[serde(flatten)]
    pub(super) request: AccreditationRequest,
}

impl RequestItem {
    pub(super) fn of(request: &AccreditationRequest) -> Self {
        Self {
            keys: Keys::indexed(request_pk(request.id), META, queue_key(request)),
            ttl: request.expires_at().map(Timestamp::unix),
            request: request.clone(),
        }
    }
}

#[derive(Serialize, Deserialize)]
pub(super) struct LockItem {
    #[serde(flatten)]
    pub(super) keys: Keys,
    pub(super) request_id: RequestId,
    pub(super) reference: Reference,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) ttl: Option<i64>,
}

/// What is kept of an erased request, under its key.
#[derive(Serialize, Deserialize)]
pub(super) struct ErasedItem {
    #[serde(flatten)]
    keys: Keys,
    #[serde(flatten)]
    pub(super) record: ErasureRecord,
}

impl ErasedItem {
    pub(super) fn of(record: &ErasureRecord) -> Self {
        Self { keys: Keys::new(request_pk(record.id), "ERASED"), record: record.clone() }
    }
}

#[derive(Serialize, Deserialize)]
pub(super) struct AuditItem {
    #[serde(flatten)]
    keys: Keys,
    #[serde(flatten)]
    pub(super) entry: AuditEntry,
}

impl AuditItem {
    pub(super) fn of(id: RequestId, version: u64, entry: &AuditEntry) -> Self {
        Self { keys: Keys::new(request_pk(id), &format!("AUDIT#{}#{version:06}", entry.at)), entry: entry.clone() }
    }
}

#[derive(Serialize, Deserialize)]
pub(super) struct IdempotencyItem {
    #[serde(flatten)]
    keys: Keys,
    pub(super) ttl: i64,
    #[serde(flatten)]
    pub(super) record: IdempotencyRecord,
}

impl IdempotencyItem {
    pub(super) fn of(record: &IdempotencyRecord) -> Self {
        Self {
            keys: Keys::new(idempotency_pk(&record.key_hash), "IDEM"),
            ttl: record.expires_at.unix(),
            record: record.clone(),
        }
    }
}

#[derive(Serialize, Deserialize)]
pub(super) struct OutboxItem {
    #[serde(flatten)]
    keys: Keys,
    #[serde(flatten)]
    pub(super) email: OutboxEmail,
}

impl OutboxItem {
    pub(super) fn of(email: &OutboxEmail) -> Self {
        let pending = (email.status == OutboxStatus::Pending)
            .then(|| (OUTBOX_PENDING.to_string(), outbox_due_key(email.due_at, &email.id)));
        Self { keys: Keys::indexed(outbox_pk(&email.id), "OUTBOX", pending), email: email.clone() }
    }
}

#[derive(Serialize, Deserialize)]
pub(super) struct AccountItem {
    #[serde(flatten)]
    keys: Keys,
    #[serde(flatten)]
    pub(super) account: Account,
}

impl AccountItem {
    pub(super) fn of(account: &Account) -> Self {
        let legacy = match account.password() {
            PasswordState::Legacy { imported_at } => {
                Some((LEGACY_ACCOUNTS.to_string(), format!("{imported_at}#{}", account.username().as_str())))
            }
            _ => None,
        };
        let mut keys = Keys::indexed(account_pk(account.username().as_str()), "ACCOUNT", legacy);
        keys.gsi2pk = Some(account_email_key(account.email()));
        keys.gsi2sk = Some(account.username().as_str().to_string());
        Self { keys, account: account.clone() }
    }
}

/// The login attempts of a username: counted before each password check (`failures`, reset by a
/// success), how many may be checked (`allowance`), and the lock (`lock_ends` in milliseconds,
/// for conditions).
#[derive(Serialize, Deserialize)]
pub(super) struct LoginItem {
    #[serde(flatten)]
    keys: Keys,
    #[serde(default)]
    failures: u32,
    #[serde(default)]
    allowance: Option<u32>,
    #[serde(default)]
    pub(super) locked_until: Option<Timestamp>,
    #[serde(default)]
    pub(super) lock_ends: Option<i64>,
    #[serde(default)]
    pub(super) ttl: Option<i64>,
}

impl LoginItem {
    /// The first attempt of `key`.
    pub(super) fn first(key: LoginKey<'_>, allowance: u32, ttl: i64) -> Self {
        Self {
            keys: Keys::new(login_pk(key.username), &login_sk(key.source)),
            failures: 1,
            allowance: Some(allowance),
            locked_until: None,
            lock_ends: None,
            ttl: Some(ttl),
        }
    }
}

#[derive(Serialize, Deserialize)]
pub(super) struct GrantItem {
    #[serde(flatten)]
    keys: Keys,
    pub(super) ttl: i64,
    #[serde(flatten)]
    pub(super) grant: ChangeGrant,
}

impl GrantItem {
    pub(super) fn of(token: &TokenHash, grant: &ChangeGrant) -> Self {
        Self { keys: Keys::new(grant_pk(token), "GRANT"), ttl: grant.expires_at.unix(), grant: grant.clone() }
    }
}

/// An open session, forgotten by the table once its token expires.
#[derive(Serialize, Deserialize)]
pub(super) struct SessionItem {
    #[serde(flatten)]
    keys: Keys,
    pub(super) ttl: i64,
    #[serde(flatten)]
    pub(super) session: SessionRecord,
}

impl SessionItem {
    pub(super) fn of(id: &TokenHash, session: &SessionRecord) -> Self {
        Self { keys: Keys::new(session_pk(id), "SESSION"), ttl: session.expires_at.unix(), session: session.clone() }
    }
}

/// The latest password reset of an account.
#[derive(Serialize, Deserialize)]
pub(super) struct ResetItem {
    #[serde(flatten)]
    keys: Keys,
    pub(super) ttl: i64,
    /// The hash of the only reset token that works.
    pub(super) token: TokenHash,
}

impl ResetItem {
    pub(super) fn of(username: &str, token: &TokenHash, expires_at: Timestamp) -> Self {
        Self { keys: Keys::new(reset_pk(username), "RESET"), ttl: expires_at.unix(), token: token.clone() }
    }
}

/// An administrator's action on an account, beside the account's item.
#[derive(Serialize, Deserialize)]
pub(super) struct AccountAuditItem {
    #[serde(flatten)]
    keys: Keys,
    #[serde(flatten)]
    pub(super) entry: AccountAuditEntry,
}

impl AccountAuditItem {
    pub(super) fn of(username: &str, entry: &AccountAuditEntry, version: u64) -> Self {
        Self {
            keys: Keys::new(account_pk(username), &format!("AUDIT#{}#{version:06}", entry.at)),
            entry: entry.clone(),
        }
    }
}
