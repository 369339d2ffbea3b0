//! Requests, locks, audit trails, counters, idempotency records and the email outbox in one
//! DynamoDB table (layout in `schema` and the README). Every multi-item change is one
//! `TransactWriteItems`, and every status change is conditional on the version read.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::{
    Client,
    error::{BuildError, ProvideErrorMetadata, SdkError},
    operation::{put_item::PutItemError, transact_write_items::TransactWriteItemsError},
    types::{AttributeValue, Delete, Put, ReturnValue, ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update},
};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use sha2::{Digest, Sha256};

use super::classify;
use crate::{
    domain::{
        Account, AccreditationRequest, AuditEntry, PasswordState, Reference, RequestId, Timestamp, TokenHash, Username,
    },
    ports::{
        AccountStore, ChangeGrant, CreateAccountError, CreateError, IdempotencyRecord, InfraError, LegacyAccountStore,
        LoginAttempts, NewRequest, Outbox, OutboxEmail, OutboxStatus, QueuePosition, RequestStore, Transition,
        TransitionError,
    },
    schema::{GSI1, GSI1PK, GSI1SK, PK, SK, TTL_ATTRIBUTE},
    workflow::Status,
};

type Item = HashMap<String, AttributeValue>;

/// The table behind [`RequestStore`] and [`Outbox`].
#[derive(Clone)]
pub struct DynamoStore {
    client: Client,
    table: String,
}

impl DynamoStore {
    /// The store of `table`.
    pub fn new(client: Client, table: &str) -> Self {
        Self { client, table: table.into() }
    }

    async fn get<T: DeserializeOwned>(&self, pk: String, sk: &str) -> Result<Option<T>, InfraError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(PK, s(pk))
            .key(SK, s(sk))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| classify("DynamoDB", "GetItem", e))?;
        output.item.map(from_item).transpose()
    }

    /// Adds one to the counter item `pk` and returns the new value (1 the first time).
    async fn increment(&self, pk: String) -> Result<u64, InfraError> {
        let output = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(PK, s(pk))
            .key(SK, s("COUNTER"))
            .update_expression("ADD #n :one")
            .expression_attribute_names("#n", "n")
            .expression_attribute_values(":one", n(1))
            .return_values(ReturnValue::UpdatedNew)
            .send()
            .await
            .map_err(|e| classify("DynamoDB", "UpdateItem", e))?;
        output
            .attributes()
            .and_then(|a| a.get("n"))
            .and_then(|v| v.as_n().ok())
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| InfraError::Unexpected("a counter returned no number".into(), None))
    }

    /// Replaces an item if it is still at `expected_version`.
    async fn put_if_version(&self, item: Item, expected_version: u64) -> Result<(), TransitionError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("#version = :expected")
            .expression_attribute_names("#version", "version")
            .expression_attribute_values(":expected", n(expected_version))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if e.code() == Some("ConditionalCheckFailedException") => Err(TransitionError::Conflict),
            Err(e) => Err(classify("DynamoDB", "PutItem", e).into()),
        }
    }

    /// Creates `account` unless its username is taken: `None`, or the account already there.
    /// A conditional `PutItem` per account (one write unit, a per-item answer) rather than a
    /// transaction per batch, which would cost double and fail whole on one taken username.
    async fn import_one(&self, account: &Account) -> Result<Option<Account>, InfraError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(&AccountItem::of(account))?))
            .condition_expression("attribute_not_exists(PK)")
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(_) => Ok(None),
            Err(e) if e.code() == Some("ConditionalCheckFailedException") => {
                let returned = match e.as_service_error() {
                    Some(PutItemError::ConditionalCheckFailedException(failed)) => failed.item().cloned(),
                    _ => None,
                };
                let existing = match returned {
                    Some(item) => Some(from_item::<AccountItem>(item)?.account),
                    None => self.account(&account.username).await?,
                };
                Ok(Some(existing.unwrap_or_else(|| account.clone())))
            }
            Err(e) => Err(classify("DynamoDB", "PutItem", e)),
        }
    }

    /// One transaction. DynamoDB cancels a transaction that meets another one in progress on the
    /// same item (`TransactionConflict`), without any condition having failed: it is retried, so
    /// that only conditions decide the outcome.
    async fn transact(&self, items: Vec<TransactWriteItem>) -> Result<(), SdkError<TransactWriteItemsError>> {
        let mut attempt = 0;
        loop {
            let result = self.client.transact_write_items().set_transact_items(Some(items.clone())).send().await;
            match result {
                Err(e) if attempt < 4 && only_transaction_conflicts(&e) => {
                    attempt += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(25 * attempt)).await;
                }
                other => return other.map(|_| ()),
            }
        }
    }
}

fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

fn to_item<T: Serialize>(value: &T) -> Result<Item, InfraError> {
    serde_dynamo::to_item(value).map_err(|e| InfraError::unexpected("encoding a DynamoDB item", e))
}

fn from_item<T: DeserializeOwned>(item: Item) -> Result<T, InfraError> {
    serde_dynamo::from_item(item).map_err(|e| InfraError::unexpected("decoding a DynamoDB item", e))
}

fn built<T>(result: Result<T, BuildError>) -> Result<T, InfraError> {
    result.map_err(|e| InfraError::unexpected("building a DynamoDB request", e))
}

fn request_pk(id: RequestId) -> String {
    format!("REQ#{id}")
}

const META: &str = "META";
const LOCK: &str = "LOCK";

/// The lock of a person: same citizenship and identification code (hashed: no PII in keys).
fn person_lock_pk(request: &AccreditationRequest) -> String {
    let applicant = &request.applicant;
    let digest = Sha256::digest(applicant.identification_code.as_str().as_bytes());
    format!("PERSON#{}#{}", applicant.citizenship, hex::encode(digest))
}

/// The lock of a mailbox, whatever its case.
fn email_lock_pk(request: &AccreditationRequest) -> String {
    format!("EMAIL#{}", hex::encode(Sha256::digest(request.applicant.email.normalized().as_bytes())))
}

/// Where a request sits in the operators' index: by status, oldest submission first (from
/// submission on; requests still awaiting a document are not listed).
fn queue_key(request: &AccreditationRequest) -> Option<(String, String)> {
    let since = request.submitted_at?;
    Some((queue_pk(request.status), format!("{since}#{}", request.id)))
}

fn queue_pk(status: Status) -> String {
    format!("STATUS#{status}")
}

/// The key attributes of an item; the `GSI1` pair only on items in that index.
#[derive(Serialize, Deserialize)]
struct Keys {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    #[serde(rename = "GSI1PK", default, skip_serializing_if = "Option::is_none")]
    gsi1pk: Option<String>,
    #[serde(rename = "GSI1SK", default, skip_serializing_if = "Option::is_none")]
    gsi1sk: Option<String>,
}

impl Keys {
    fn new(pk: String, sk: &str) -> Self {
        Self { pk, sk: sk.into(), gsi1pk: None, gsi1sk: None }
    }

    fn indexed(pk: String, sk: &str, gsi1: Option<(String, String)>) -> Self {
        let (gsi1pk, gsi1sk) = gsi1.unzip();
        Self { pk, sk: sk.into(), gsi1pk, gsi1sk }
    }
}

#[derive(Serialize, Deserialize)]
struct RequestItem {
    #[serde(flatten)]
    keys: Keys,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ttl: Option<i64>,
    #[serde(flatten)]
    request: AccreditationRequest,
}

impl RequestItem {
    fn of(request: &AccreditationRequest) -> Self {
        Self {
            keys: Keys::indexed(request_pk(request.id), META, queue_key(request)),
            ttl: request.expires_at.map(Timestamp::unix),
            request: request.clone(),
        }
    }
}

#[derive(Serialize, Deserialize)]
struct LockItem {
    #[serde(flatten)]
    keys: Keys,
    request_id: RequestId,
    reference: Reference,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ttl: Option<i64>,
}

#[derive(Serialize, Deserialize)]
struct AuditItem {
    #[serde(flatten)]
    keys: Keys,
    #[serde(flatten)]
    entry: AuditEntry,
}

impl AuditItem {
    fn of(id: RequestId, version: u64, entry: &AuditEntry) -> Self {
        Self { keys: Keys::new(request_pk(id), &format!("AUDIT#{}#{version:06}", entry.at)), entry: entry.clone() }
    }
}

#[derive(Serialize, Deserialize)]
struct IdempotencyItem {
    #[serde(flatten)]
    keys: Keys,
    ttl: i64,
    #[serde(flatten)]
    record: IdempotencyRecord,
}

const OUTBOX_PENDING: &str = "OUTBOX#pending";

#[derive(Serialize, Deserialize)]
struct OutboxItem {
    #[serde(flatten)]
    keys: Keys,
    #[serde(flatten)]
    email: OutboxEmail,
}

fn outbox_pk(id: &str) -> String {
    format!("OUTBOX#{id}")
}

fn outbox_due_key(due_at: Timestamp, id: &str) -> String {
    format!("{due_at}#{id}")
}

impl OutboxItem {
    fn of(email: &OutboxEmail) -> Self {
        let pending = (email.status == OutboxStatus::Pending)
            .then(|| (OUTBOX_PENDING.to_string(), outbox_due_key(email.due_at, &email.id)));
        Self { keys: Keys::indexed(outbox_pk(&email.id), "OUTBOX", pending), email: email.clone() }
    }
}

/// A `Put` of `item`, optionally conditional.
fn put(
    table: &str,
    item: Item,
    condition: Option<(&str, Vec<(&str, AttributeValue)>)>,
) -> Result<TransactWriteItem, InfraError> {
    let mut builder = Put::builder().table_name(table).set_item(Some(item));
    if let Some((expression, values)) = condition {
        builder = builder.condition_expression(expression);
        if expression.contains("#ttl") {
            builder = builder.expression_attribute_names("#ttl", TTL_ATTRIBUTE);
        }
        for (name, value) in values {
            builder = builder.expression_attribute_values(name, value);
        }
    }
    Ok(TransactWriteItem::builder().put(built(builder.build())?).build())
}

/// A transactional `Put` of `item` that only succeeds if the stored item is at `expected_version`.
fn versioned_put(table: &str, item: Item, expected_version: u64) -> Result<TransactWriteItem, InfraError> {
    let put = Put::builder()
        .table_name(table)
        .set_item(Some(item))
        .condition_expression("#version = :expected")
        .expression_attribute_names("#version", "version")
        .expression_attribute_values(":expected", n(expected_version))
        .build();
    Ok(TransactWriteItem::builder().put(built(put)?).build())
}

/// True when the transaction was cancelled because the condition of item `index` failed.
fn condition_failed_at(error: &SdkError<TransactWriteItemsError>, index: usize) -> bool {
    let Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) = error.as_service_error() else {
        return false;
    };
    cancelled
        .cancellation_reasons()
        .get(index)
        .and_then(|reason| reason.code())
        .is_some_and(|code| code == "ConditionalCheckFailed")
}

/// True when a transaction was cancelled for meeting another one, not for a failed condition.
fn only_transaction_conflicts(error: &SdkError<TransactWriteItemsError>) -> bool {
    let Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) = error.as_service_error() else {
        return false;
    };
    let codes: Vec<&str> = cancelled.cancellation_reasons().iter().filter_map(|r| r.code()).collect();
    codes.contains(&"TransactionConflict") && !codes.contains(&"ConditionalCheckFailed")
}

/// A lock item may be taken when it does not exist or has expired (TTL deletion lags).
const LOCK_FREE: &str = "attribute_not_exists(PK) OR #ttl < :now";

#[async_trait]
impl RequestStore for DynamoStore {
    async fn next_reference_number(&self, year: i32) -> Result<u64, InfraError> {
        self.increment(format!("COUNTER#{year}")).await
    }

    async fn create(&self, new: &NewRequest, now: Timestamp) -> Result<(), CreateError> {
        let request = &new.request;
        let now = now.unix();
        let lock = |pk: String| LockItem {
            keys: Keys::new(pk, LOCK),
            request_id: request.id,
            reference: request.reference.clone(),
            ttl: request.expires_at.map(Timestamp::unix),
        };
        let lock_condition = || Some((LOCK_FREE, vec![(":now", n(now))]));
        let mut items = vec![
            put(&self.table, to_item(&RequestItem::of(request))?, Some(("attribute_not_exists(PK)", vec![])))?,
            put(&self.table, to_item(&lock(person_lock_pk(request)))?, lock_condition())?,
            put(&self.table, to_item(&lock(email_lock_pk(request)))?, lock_condition())?,
            put(&self.table, to_item(&AuditItem::of(request.id, request.version, &new.audit))?, None)?,
        ];
        if let Some(record) = &new.idempotency {
            let item = IdempotencyItem {
                keys: Keys::new(format!("IDEM#{}", record.key_hash), "IDEM"),
                ttl: record.expires_at.unix(),
                record: record.clone(),
            };
            items.push(put(&self.table, to_item(&item)?, Some((LOCK_FREE, vec![(":now", n(now))])))?);
        }
        // A concurrent retry with the same idempotency key also collides on the person's locks:
        // the key decides first, so that the retry gets the original response, not a 409.
        match self.transact(items).await {
            Ok(()) => Ok(()),
            Err(e) if condition_failed_at(&e, 4) => Err(CreateError::IdempotencyKeyUsed),
            Err(e) if condition_failed_at(&e, 1) || condition_failed_at(&e, 2) => {
                Err(CreateError::PersonHasActiveRequest)
            }
            Err(e) => Err(classify("DynamoDB", "TransactWriteItems", e).into()),
        }
    }

    async fn active_request_of(
        &self,
        request: &AccreditationRequest,
        now: Timestamp,
    ) -> Result<Option<Reference>, InfraError> {
        let now = now.unix();
        for pk in [person_lock_pk(request), email_lock_pk(request)] {
            let lock: Option<LockItem> = self.get(pk, LOCK).await?;
            if let Some(lock) = lock.filter(|l| l.request_id != request.id && l.ttl.is_none_or(|t| t >= now)) {
                return Ok(Some(lock.reference));
            }
        }
        Ok(None)
    }

    async fn find(&self, id: RequestId) -> Result<Option<AccreditationRequest>, InfraError> {
        let item: Option<RequestItem> = self.get(request_pk(id), META).await?;
        Ok(item.map(|i| i.request))
    }

    async fn idempotency_record(
        &self,
        key_hash: &str,
        now: Timestamp,
    ) -> Result<Option<IdempotencyRecord>, InfraError> {
        let item: Option<IdempotencyItem> = self.get(format!("IDEM#{key_hash}"), "IDEM").await?;
        Ok(item.filter(|i| i.ttl >= now.unix()).map(|i| i.record))
    }

    async fn transition(&self, change: &Transition) -> Result<(), TransitionError> {
        let request = &change.request;
        let mut items = vec![
            versioned_put(&self.table, to_item(&RequestItem::of(request))?, change.expected_version)?,
            put(&self.table, to_item(&AuditItem::of(request.id, request.version, &change.audit))?, None)?,
        ];
        for pk in [person_lock_pk(request), email_lock_pk(request)] {
            let key = HashMap::from([(PK.to_string(), s(pk)), (SK.to_string(), s(LOCK))]);
            // Ours, or gone (a lapsed lock TTL deleted): never another request's lock.
            let ours = "attribute_not_exists(PK) OR request_id = :id";
            let item = if request.status.holds_person() {
                let mut update = Update::builder()
                    .table_name(&self.table)
                    .set_key(Some(key))
                    .condition_expression(ours)
                    .expression_attribute_names("#ttl", TTL_ATTRIBUTE)
                    .expression_attribute_names("#reference", "reference")
                    .expression_attribute_values(":id", s(request.id.to_string()))
                    .expression_attribute_values(":reference", s(request.reference.as_str()));
                update = match request.expires_at {
                    Some(at) => update
                        .update_expression("SET request_id = :id, #reference = :reference, #ttl = :ttl")
                        .expression_attribute_values(":ttl", n(at.unix())),
                    None => update.update_expression("SET request_id = :id, #reference = :reference REMOVE #ttl"),
                };
                TransactWriteItem::builder().update(built(update.build())?).build()
            } else {
                let delete = Delete::builder()
                    .table_name(&self.table)
                    .set_key(Some(key))
                    .condition_expression(ours)
                    .expression_attribute_values(":id", s(request.id.to_string()));
                TransactWriteItem::builder().delete(built(delete.build())?).build()
            };
            items.push(item);
        }
        if let Some(email) = &change.email {
            items.push(put(&self.table, to_item(&OutboxItem::of(email))?, Some(("attribute_not_exists(PK)", vec![])))?);
        }
        let account_index = items.len();
        if let Some(account) = &change.account {
            items.push(put(
                &self.table,
                to_item(&AccountItem::of(account))?,
                Some(("attribute_not_exists(PK)", vec![])),
            )?);
        }
        match self.transact(items).await {
            Ok(()) => Ok(()),
            Err(e) if condition_failed_at(&e, 0) => Err(TransitionError::Conflict),
            Err(e) if change.account.is_some() && condition_failed_at(&e, account_index) => {
                Err(TransitionError::UsernameTaken)
            }
            Err(e) => Err(classify("DynamoDB", "TransactWriteItems", e).into()),
        }
    }

    async fn queue(
        &self,
        status: Status,
        limit: i32,
        after: Option<QueuePosition>,
    ) -> Result<(Vec<AccreditationRequest>, Option<QueuePosition>), InfraError> {
        let start = after.map(|position| position.0.into_iter().map(|(k, v)| (k, s(v))).collect::<Item>());
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(GSI1)
            .key_condition_expression("#pk = :status")
            .expression_attribute_names("#pk", GSI1PK)
            .expression_attribute_values(":status", s(queue_pk(status)))
            .scan_index_forward(true)
            .limit(limit)
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(|e| classify("DynamoDB", "Query", e))?;
        let requests = output
            .items
            .unwrap_or_default()
            .into_iter()
            .map(|item| from_item::<RequestItem>(item).map(|i| i.request))
            .collect::<Result<Vec<_>, _>>()?;
        let next = output.last_evaluated_key.map(|key| {
            QueuePosition(key.into_iter().filter_map(|(k, v)| v.as_s().ok().map(|v| (k, v.clone()))).collect())
        });
        Ok((requests, next))
    }

    async fn update(&self, request: &AccreditationRequest, expected_version: u64) -> Result<(), TransitionError> {
        self.put_if_version(to_item(&RequestItem::of(request))?, expected_version).await
    }

    async fn audit_trail(&self, id: RequestId) -> Result<Vec<AuditEntry>, InfraError> {
        let mut entries = Vec::new();
        let mut pages = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("PK = :pk AND begins_with(SK, :audit)")
            .expression_attribute_values(":pk", s(request_pk(id)))
            .expression_attribute_values(":audit", s("AUDIT#"))
            .consistent_read(true)
            .into_paginator()
            .items()
            .send();
        while let Some(item) = pages.next().await {
            let item = item.map_err(|e| classify("DynamoDB", "Query", e))?;
            entries.push(from_item::<AuditItem>(item)?.entry);
        }
        Ok(entries)
    }
}

#[async_trait]
impl Outbox for DynamoStore {
    async fn due(&self, now: Timestamp, limit: i32) -> Result<Vec<OutboxEmail>, InfraError> {
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(GSI1)
            .key_condition_expression("#pk = :pending AND #sk <= :now")
            .expression_attribute_names("#pk", GSI1PK)
            .expression_attribute_names("#sk", GSI1SK)
            .expression_attribute_values(":pending", s(OUTBOX_PENDING))
            .expression_attribute_values(":now", s(format!("{now}#~")))
            .scan_index_forward(true)
            .limit(limit)
            .send()
            .await
            .map_err(|e| classify("DynamoDB", "Query", e))?;
        output
            .items
            .unwrap_or_default()
            .into_iter()
            .map(|item| from_item::<OutboxItem>(item).map(|i| i.email))
            .collect()
    }

    async fn claim(&self, id: &str, now: Timestamp, lease_until: Timestamp) -> Result<Option<OutboxEmail>, InfraError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(PK, s(outbox_pk(id)))
            .key(SK, s("OUTBOX"))
            .update_expression("SET due_at = :lease, #gsi1sk = :lease_key ADD attempts :one")
            .condition_expression("#status = :pending AND due_at <= :now")
            .expression_attribute_names("#status", "status")
            .expression_attribute_names("#gsi1sk", GSI1SK)
            .expression_attribute_values(":lease", s(lease_until.to_string()))
            .expression_attribute_values(":lease_key", s(outbox_due_key(lease_until, id)))
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":pending", s("pending"))
            .expression_attribute_values(":now", s(now.to_string()))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        match result {
            Ok(output) => {
                let item =
                    output.attributes.ok_or_else(|| InfraError::Unexpected("claim returned no item".into(), None))?;
                Ok(Some(from_item::<OutboxItem>(item)?.email))
            }
            Err(e) if e.code() == Some("ConditionalCheckFailedException") => Ok(None),
            Err(e) => Err(classify("DynamoDB", "UpdateItem", e)),
        }
    }

    async fn sent(&self, id: &str, message_id: &str, at: Timestamp) -> Result<(), InfraError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .key(PK, s(outbox_pk(id)))
            .key(SK, s("OUTBOX"))
            .update_expression(
                "SET #status = :sent, message_id = :message_id, sent_at = :at REMOVE #gsi1pk, #gsi1sk, last_error",
            )
            .expression_attribute_names("#status", "status")
            .expression_attribute_names("#gsi1pk", GSI1PK)
            .expression_attribute_names("#gsi1sk", GSI1SK)
            .expression_attribute_values(":sent", s("sent"))
            .expression_attribute_values(":message_id", s(message_id))
            .expression_attribute_values(":at", s(at.to_string()))
            .send()
            .await
            .map_err(|e| classify("DynamoDB", "UpdateItem", e))?;
        Ok(())
    }

    async fn failed(&self, id: &str, error: &str, retry_at: Option<Timestamp>) -> Result<(), InfraError> {
        let update = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(PK, s(outbox_pk(id)))
            .key(SK, s("OUTBOX"))
            .expression_attribute_values(":error", s(error))
            .expression_attribute_names("#gsi1sk", GSI1SK);
        let update = match retry_at {
            Some(at) => update
                .update_expression("SET due_at = :due, #gsi1sk = :due_key, last_error = :error")
                .expression_attribute_values(":due", s(at.to_string()))
                .expression_attribute_values(":due_key", s(outbox_due_key(at, id))),
            None => update
                .update_expression("SET #status = :failed, last_error = :error REMOVE #gsi1pk, #gsi1sk")
                .expression_attribute_names("#status", "status")
                .expression_attribute_names("#gsi1pk", GSI1PK)
                .expression_attribute_values(":failed", s("failed")),
        };
        update.send().await.map_err(|e| classify("DynamoDB", "UpdateItem", e))?;
        Ok(())
    }
}

#[derive(Serialize, Deserialize)]
struct AccountItem {
    #[serde(flatten)]
    keys: Keys,
    #[serde(flatten)]
    account: Account,
}

fn account_pk(username: &str) -> String {
    format!("ACCOUNT#{username}")
}

/// `GSI1PK` of the accounts still holding a legacy hash (indexed by import time, so that ops can
/// list the dormant ones); an account leaves the index with its first password change.
const LEGACY_ACCOUNTS: &str = "LEGACY";

impl AccountItem {
    fn of(account: &Account) -> Self {
        let legacy = match account.password {
            PasswordState::Legacy { imported_at } => {
                Some((LEGACY_ACCOUNTS.to_string(), format!("{imported_at}#{}", account.username.as_str())))
            }
            _ => None,
        };
        Self { keys: Keys::indexed(account_pk(account.username.as_str()), "ACCOUNT", legacy), account: account.clone() }
    }
}

#[derive(Serialize, Deserialize)]
struct LoginItem {
    #[serde(flatten)]
    keys: Keys,
    #[serde(default)]
    failures: u32,
    #[serde(default)]
    locked_until: Option<Timestamp>,
    #[serde(default)]
    ttl: Option<i64>,
}

fn login_pk(username: &str) -> String {
    format!("LOGIN#{username}")
}

/// Failures are forgotten a day after the last one.
const LOGIN_MEMORY: time::Duration = time::Duration::days(1);

#[derive(Serialize, Deserialize)]
struct GrantItem {
    #[serde(flatten)]
    keys: Keys,
    ttl: i64,
    #[serde(flatten)]
    grant: ChangeGrant,
}

fn grant_pk(token: &TokenHash) -> String {
    format!("GRANT#{}", token.as_str())
}

#[async_trait]
impl AccountStore for DynamoStore {
    async fn account(&self, username: &Username) -> Result<Option<Account>, InfraError> {
        let item: Option<AccountItem> = self.get(account_pk(username.as_str()), "ACCOUNT").await?;
        Ok(item.map(|i| i.account))
    }

    async fn create_account(&self, account: &Account, email: &OutboxEmail) -> Result<(), CreateAccountError> {
        let items = vec![
            put(&self.table, to_item(&AccountItem::of(account))?, Some(("attribute_not_exists(PK)", vec![])))?,
            put(&self.table, to_item(&OutboxItem::of(email))?, Some(("attribute_not_exists(PK)", vec![])))?,
        ];
        match self.transact(items).await {
            Ok(()) => Ok(()),
            Err(e) if condition_failed_at(&e, 0) => Err(CreateAccountError::UsernameTaken),
            Err(e) => Err(classify("DynamoDB", "TransactWriteItems", e).into()),
        }
    }

    async fn save_account(&self, account: &Account, expected_version: u64) -> Result<(), TransitionError> {
        self.put_if_version(to_item(&AccountItem::of(account))?, expected_version).await
    }

    async fn change_password(
        &self,
        account: &Account,
        expected_version: u64,
        grant: Option<&TokenHash>,
        email: &OutboxEmail,
    ) -> Result<(), TransitionError> {
        let mut items = vec![
            versioned_put(&self.table, to_item(&AccountItem::of(account))?, expected_version)?,
            put(&self.table, to_item(&OutboxItem::of(email))?, Some(("attribute_not_exists(PK)", vec![])))?,
        ];
        if let Some(token) = grant {
            let key = HashMap::from([(PK.to_string(), s(grant_pk(token))), (SK.to_string(), s("GRANT"))]);
            let delete = Delete::builder()
                .table_name(&self.table)
                .set_key(Some(key))
                .condition_expression("attribute_exists(PK)");
            items.push(TransactWriteItem::builder().delete(built(delete.build())?).build());
        }
        match self.transact(items).await {
            Ok(()) => Ok(()),
            Err(e) if condition_failed_at(&e, 0) || condition_failed_at(&e, 2) => Err(TransitionError::Conflict),
            Err(e) => Err(classify("DynamoDB", "TransactWriteItems", e).into()),
        }
    }

    async fn queue_email(&self, email: &OutboxEmail) -> Result<(), InfraError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(&OutboxItem::of(email))?))
            .condition_expression("attribute_not_exists(PK)")
            .send()
            .await
            .map_err(|e| classify("DynamoDB", "PutItem", e))?;
        Ok(())
    }

    async fn next_username_number(&self, base: &str) -> Result<u64, InfraError> {
        self.increment(format!("USERNAME#{base}")).await
    }

    async fn login_attempts(&self, username: &str, now: Timestamp) -> Result<LoginAttempts, InfraError> {
        let item: Option<LoginItem> = self.get(login_pk(username), "LOGIN").await?;
        Ok(item
            .filter(|i| i.ttl.is_none_or(|t| t >= now.unix()))
            .map(|i| LoginAttempts { failures: i.failures, locked_until: i.locked_until })
            .unwrap_or_default())
    }

    async fn record_login_failure(
        &self,
        username: &str,
        now: Timestamp,
        lock: &(dyn Fn(u32) -> Option<Timestamp> + Sync),
    ) -> Result<LoginAttempts, InfraError> {
        let output = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(PK, s(login_pk(username)))
            .key(SK, s("LOGIN"))
            .update_expression("ADD failures :one SET #ttl = :ttl")
            .expression_attribute_names("#ttl", TTL_ATTRIBUTE)
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":ttl", n(now.plus(LOGIN_MEMORY).unix()))
            .return_values(ReturnValue::AllNew)
            .send()
            .await
            .map_err(|e| classify("DynamoDB", "UpdateItem", e))?;
        let item: LoginItem = from_item(output.attributes.unwrap_or_default())?;
        let mut attempts = LoginAttempts { failures: item.failures, locked_until: item.locked_until };
        if let Some(until) = lock(item.failures) {
            self.client
                .update_item()
                .table_name(&self.table)
                .key(PK, s(login_pk(username)))
                .key(SK, s("LOGIN"))
                .update_expression("SET locked_until = :until")
                .expression_attribute_values(":until", s(until.to_string()))
                .send()
                .await
                .map_err(|e| classify("DynamoDB", "UpdateItem", e))?;
            attempts.locked_until = Some(until);
        }
        Ok(attempts)
    }

    async fn clear_login_failures(&self, username: &str) -> Result<(), InfraError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .key(PK, s(login_pk(username)))
            .key(SK, s("LOGIN"))
            .send()
            .await
            .map_err(|e| classify("DynamoDB", "DeleteItem", e))?;
        Ok(())
    }

    async fn store_grant(&self, token: &TokenHash, grant: &ChangeGrant) -> Result<(), InfraError> {
        let item =
            GrantItem { keys: Keys::new(grant_pk(token), "GRANT"), ttl: grant.expires_at.unix(), grant: grant.clone() };
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(&item)?))
            .send()
            .await
            .map_err(|e| classify("DynamoDB", "PutItem", e))?;
        Ok(())
    }

    async fn grant(&self, token: &TokenHash, now: Timestamp) -> Result<Option<ChangeGrant>, InfraError> {
        let item: Option<GrantItem> = self.get(grant_pk(token), "GRANT").await?;
        Ok(item.map(|i| i.grant).filter(|g| g.expires_at > now))
    }
}

#[async_trait]
impl LegacyAccountStore for DynamoStore {
    async fn import(&self, batch: &[Account]) -> Result<Vec<Option<Account>>, InfraError> {
        futures::future::try_join_all(batch.iter().map(|account| self.import_one(account))).await
    }

    async fn dormant(&self, before: Timestamp) -> Result<Vec<Account>, InfraError> {
        let mut accounts = Vec::new();
        let mut start = None;
        loop {
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(GSI1)
                .key_condition_expression("#pk = :legacy AND #sk < :before")
                .expression_attribute_names("#pk", GSI1PK)
                .expression_attribute_names("#sk", GSI1SK)
                .expression_attribute_values(":legacy", s(LEGACY_ACCOUNTS))
                .expression_attribute_values(":before", s(before.to_string()))
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| classify("DynamoDB", "Query", e))?;
            for item in output.items.unwrap_or_default() {
                accounts.push(from_item::<AccountItem>(item)?.account);
            }
            start = output.last_evaluated_key;
            if start.is_none() {
                return Ok(accounts);
            }
        }
    }
}
