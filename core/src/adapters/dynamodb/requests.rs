//! [`RequestStore`] on the table: requests, their person and email locks, audit trails, reference
//! counters and idempotency records.

use async_trait::async_trait;

use super::{
    DynamoStore, Item, Writes, classify, from_item,
    items::{
        AccountItem, AuditItem, IdempotencyItem, Keys, LOCK, LockItem, META, OutboxItem, RequestItem, email_lock_pk,
        idempotency_pk, person_lock_pk, queue_pk, request_pk,
    },
    key, n, s, to_item,
};
use crate::{
    domain::{AccreditationRequest, AuditEntry, RequestId, Timestamp},
    ports::{
        CreateError, IdempotencyRecord, InfraError, NewRequest, QueuePosition, RequestStore, Transition,
        TransitionError,
    },
    schema::{GSI1, GSI1PK, TTL_ATTRIBUTE},
    workflow::Status,
};

/// A lock item may be taken when it does not exist or has expired (TTL deletion lags).
const LOCK_FREE: &str = "attribute_not_exists(PK) OR #ttl < :now";

/// The writes of a new request.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Create {
    Request,
    PersonLock,
    EmailLock,
    Audit,
    Idempotency,
}

/// The writes of a status change.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Change {
    Request,
    Audit,
    PersonLock,
    EmailLock,
    Email,
    Account,
}

#[async_trait]
impl RequestStore for DynamoStore {
    async fn next_reference_number(&self, year: i32) -> Result<u64, InfraError> {
        self.increment(format!("COUNTER#{year}")).await
    }

    async fn create(&self, new: &NewRequest, now: Timestamp) -> Result<(), CreateError> {
        let request = &new.request;
        let lock = |pk: String| LockItem {
            keys: Keys::new(pk, LOCK),
            request_id: request.id,
            reference: request.reference.clone(),
            ttl: request.expires_at().map(Timestamp::unix),
        };
        let lock_free = || Some((LOCK_FREE, vec![(":now", n(now.unix()))]));
        let mut writes = Writes::on(&self.table);
        writes.put_new(Create::Request, to_item(&RequestItem::of(request))?)?;
        writes.put_if(Create::PersonLock, to_item(&lock(person_lock_pk(request)))?, lock_free())?;
        writes.put_if(Create::EmailLock, to_item(&lock(email_lock_pk(request)))?, lock_free())?;
        writes.put(Create::Audit, to_item(&AuditItem::of(request.id, request.version(), &new.audit))?)?;
        if let Some(record) = &new.idempotency {
            writes.put_if(Create::Idempotency, to_item(&IdempotencyItem::of(record))?, lock_free())?;
        }
        // A concurrent retry with the same idempotency key also collides on the person's locks:
        // the key decides first, so that the retry gets the original response, not a 409.
        match self.transact(writes).await {
            Ok(()) => Ok(()),
            Err(cancelled) if cancelled.failed(Create::Idempotency) => Err(CreateError::IdempotencyKeyUsed),
            Err(cancelled) if cancelled.failed(Create::PersonLock) || cancelled.failed(Create::EmailLock) => {
                Err(CreateError::PersonHasActiveRequest)
            }
            Err(cancelled) => Err(cancelled.into_infra().into()),
        }
    }

    async fn active_request_of(
        &self,
        request: &AccreditationRequest,
        now: Timestamp,
    ) -> Result<Option<RequestId>, InfraError> {
        let now = now.unix();
        for pk in [person_lock_pk(request), email_lock_pk(request)] {
            let lock: Option<LockItem> = self.get(pk, LOCK).await?;
            if let Some(lock) = lock.filter(|l| l.request_id != request.id && l.ttl.is_none_or(|t| t >= now)) {
                return Ok(Some(lock.request_id));
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
        let item: Option<IdempotencyItem> = self.get(idempotency_pk(key_hash), "IDEM").await?;
        Ok(item.filter(|i| i.ttl >= now.unix()).map(|i| i.record))
    }

    async fn transition(&self, change: &Transition) -> Result<(), TransitionError> {
        let request = &change.request;
        let mut writes = Writes::on(&self.table);
        writes.put_versioned(Change::Request, to_item(&RequestItem::of(request))?, change.expected_version)?;
        writes.put(Change::Audit, to_item(&AuditItem::of(request.id, request.version(), &change.audit))?)?;
        for (slot, pk) in [(Change::PersonLock, person_lock_pk(request)), (Change::EmailLock, email_lock_pk(request))] {
            // Ours, or gone (a lapsed lock TTL deleted): never another request's lock.
            let ours = "attribute_not_exists(PK) OR request_id = :id";
            let id = s(request.id.to_string());
            if request.status().holds_person() {
                writes.update(slot, key(pk, LOCK), |update| {
                    let update = update
                        .condition_expression(ours)
                        .expression_attribute_names("#ttl", TTL_ATTRIBUTE)
                        .expression_attribute_names("#reference", "reference")
                        .expression_attribute_values(":id", id)
                        .expression_attribute_values(":reference", s(request.reference.as_str()));
                    match request.expires_at() {
                        Some(at) => update
                            .update_expression("SET request_id = :id, #reference = :reference, #ttl = :ttl")
                            .expression_attribute_values(":ttl", n(at.unix())),
                        None => update.update_expression("SET request_id = :id, #reference = :reference REMOVE #ttl"),
                    }
                })?;
            } else {
                writes.delete(slot, key(pk, LOCK), |delete| {
                    delete.condition_expression(ours).expression_attribute_values(":id", id)
                })?;
            }
        }
        if let Some(email) = &change.email {
            writes.put_new(Change::Email, to_item(&OutboxItem::of(email))?)?;
        }
        if let Some(account) = &change.account {
            writes.put_new(Change::Account, to_item(&AccountItem::of(account))?)?;
        }
        match self.transact(writes).await {
            Ok(()) => Ok(()),
            Err(cancelled) if cancelled.failed(Change::Request) => Err(TransitionError::Conflict),
            Err(cancelled) if cancelled.failed(Change::Account) => Err(TransitionError::UsernameTaken),
            Err(cancelled) => Err(cancelled.into_infra().into()),
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
