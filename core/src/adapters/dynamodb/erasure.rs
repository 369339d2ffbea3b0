//! [`ErasureStore`] on the table: a request's personal data deleted in one transaction, the
//! decision kept in an `ERASED` item under the request's key.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;

use super::{
    DynamoStore, Writes, classify,
    items::{ErasedItem, LOCK, LockItem, META, account_pk, email_lock_pk, person_lock_pk, request_pk},
    key, s, to_item,
};
use crate::{
    domain::{AccreditationRequest, RequestId},
    ports::{ErasureRecord, ErasureStore, InfraError, TransitionError},
    schema::{PK, SK},
};

/// The writes of an erasure, for its error mapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Erase {
    Request,
    Record,
    Audit,
    Account,
    Lock,
}

/// The most audit lines and account items one erasure rewrites (a transaction holds 100 writes).
const MOST_ITEMS: usize = 90;

#[async_trait]
impl ErasureStore for DynamoStore {
    async fn request_with_reference(&self, reference: &str) -> Result<Option<RequestId>, InfraError> {
        let mut start = None;
        loop {
            let output = self
                .client
                .scan()
                .table_name(&self.table)
                .filter_expression("#sk = :meta AND #reference = :reference")
                .expression_attribute_names("#sk", SK)
                .expression_attribute_names("#reference", "reference")
                .expression_attribute_values(":meta", s(META))
                .expression_attribute_values(":reference", s(reference))
                .projection_expression("id")
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| classify("DynamoDB", "Scan", e))?;
            let found = output.items().iter().find_map(|item| item.get("id").and_then(|id| id.as_s().ok()));
            if let Some(id) = found {
                return Ok(RequestId::parse(id));
            }
            start = output.last_evaluated_key;
            if start.is_none() {
                return Ok(None);
            }
        }
    }

    async fn erase(&self, request: &AccreditationRequest, record: &ErasureRecord) -> Result<(), TransitionError> {
        let mut writes = Writes::on(&self.table);
        let version = request.version();
        writes.delete(Erase::Request, key(request_pk(request.id), META), |delete| {
            delete
                .condition_expression("#version = :expected")
                .expression_attribute_names("#version", "version")
                .expression_attribute_values(":expected", super::n(version))
        })?;
        writes.put_new(Erase::Record, to_item(&ErasedItem::of(record))?)?;
        let mut rewritten = 0;
        for mut item in self.items_of(request_pk(request.id)).await? {
            let is_audit = item.get(SK).and_then(|v| v.as_s().ok()).is_some_and(|sk| sk.starts_with("AUDIT#"));
            if is_audit && item.remove("note").is_some_and(|note| !matches!(note, AttributeValue::Null(_))) {
                writes.put(Erase::Audit, item)?;
                rewritten += 1;
            }
        }
        if let Some(username) = request.username() {
            for item in self.items_of(account_pk(username.as_str())).await? {
                let (Some(pk), Some(sk)) = (item.get(PK).cloned(), item.get(SK).cloned()) else { continue };
                writes.delete(Erase::Account, [(PK.to_string(), pk), (SK.to_string(), sk)].into(), |d| d)?;
                rewritten += 1;
            }
        }
        if rewritten > MOST_ITEMS {
            return Err(InfraError::Unexpected(format!("{rewritten} items to erase in one transaction"), None).into());
        }
        for pk in [person_lock_pk(request), email_lock_pk(request)] {
            let id = s(request.id.to_string());
            // Ours only: another request's lock (a later one of the same person) stays.
            let held: Option<LockItem> = self.get(pk.clone(), LOCK).await?;
            if held.is_some_and(|lock| lock.request_id == request.id) {
                writes.delete(Erase::Lock, key(pk, LOCK), |delete| {
                    delete.condition_expression("request_id = :id").expression_attribute_values(":id", id)
                })?;
            }
        }
        match self.transact(writes).await {
            Ok(()) => Ok(()),
            Err(cancelled) if cancelled.failed(Erase::Request) || cancelled.failed(Erase::Lock) => {
                Err(TransitionError::Conflict)
            }
            Err(cancelled) => Err(cancelled.into_infra().into()),
        }
    }

    async fn erasure(&self, id: RequestId) -> Result<Option<ErasureRecord>, InfraError> {
        let item: Option<ErasedItem> = self.get(request_pk(id), "ERASED").await?;
        Ok(item.map(|item| item.record))
    }
}
