//! Requests, locks, audit trails, counters, idempotency records, accounts and the email outbox in
//! one DynamoDB table (layout in `schema` and the README). Every multi-item change is one
//! `TransactWriteItems`, and every status change is conditional on the version read.
//!
//! One module per port (`requests`, `accounts`, `outbox`, `sessions`, `rate_limits`), the stored shapes in `items`; the
//! shared plumbing here: item codecs, conditional puts, and transactions whose writes are named, so
//! that a failed condition is told by the name of its write, never by its position.

mod accounts;
mod erasure;
mod items;
mod outbox;
mod provider;
mod rate_limits;
mod requests;
mod sessions;

use std::collections::HashMap;

use aws_sdk_dynamodb::{
    Client,
    error::{BuildError, ProvideErrorMetadata, SdkError},
    operation::{put_item::PutItemError, transact_write_items::TransactWriteItemsError},
    types::{AttributeValue, Delete, Put, ReturnValue, ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update},
};
use serde::{Serialize, de::DeserializeOwned};

use super::classify;
use crate::{
    ports::{InfraError, TransitionError},
    schema::{GSI1, GSI1PK, GSI1SK, PK, SK, TTL_ATTRIBUTE},
};

type Item = HashMap<String, AttributeValue>;

/// The table behind the request, account and outbox ports.
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

    /// Puts `item`, replacing any item with its key.
    async fn put(&self, item: Item) -> Result<(), InfraError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(|e| classify("DynamoDB", "PutItem", e))?;
        Ok(())
    }

    /// Deletes the item `pk`/`sk` (nothing when there is none).
    async fn delete(&self, pk: String, sk: &str) -> Result<(), InfraError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .key(PK, s(pk))
            .key(SK, s(sk))
            .send()
            .await
            .map_err(|e| classify("DynamoDB", "DeleteItem", e))?;
        Ok(())
    }

    /// Every item of `GSI1` that `condition` (over `#pk`, `#sk` and the values `values`) selects,
    /// page after page.
    async fn query_gsi1_all(
        &self,
        condition: &str,
        values: &[(&str, AttributeValue)],
    ) -> Result<Vec<Item>, InfraError> {
        self.query_all(Some(GSI1), condition, values).await
    }

    /// Every item of the table under the partition key `pk`, page after page.
    async fn items_of(&self, pk: String) -> Result<Vec<Item>, InfraError> {
        self.query_all(None, "#pk = :pk", &[(":pk", s(pk))]).await
    }

    /// Every item of the table, or of `GSI1`, that `condition` (over `#pk`, `#sk`, the key
    /// attributes of the table or index, and the values `values`) selects, page after page.
    async fn query_all(
        &self,
        index: Option<&str>,
        condition: &str,
        values: &[(&str, AttributeValue)],
    ) -> Result<Vec<Item>, InfraError> {
        let (pk, sk) = if index.is_some() { (GSI1PK, GSI1SK) } else { (PK, SK) };
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let mut query = self
                .client
                .query()
                .table_name(&self.table)
                .set_index_name(index.map(str::to_string))
                .key_condition_expression(condition)
                .expression_attribute_names("#pk", pk);
            if condition.contains("#sk") {
                query = query.expression_attribute_names("#sk", sk);
            }
            for (name, value) in values {
                query = query.expression_attribute_values(*name, value.clone());
            }
            let output =
                query.set_exclusive_start_key(start).send().await.map_err(|e| classify("DynamoDB", "Query", e))?;
            items.extend(output.items.unwrap_or_default());
            start = output.last_evaluated_key;
            if start.is_none() {
                return Ok(items);
            }
        }
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
            .set_item(Some(item.clone()))
            .condition_expression("#version = :expected")
            .expression_attribute_names("#version", "version")
            .expression_attribute_values(":expected", n(expected_version))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if found_own_put(&e, &item) => Ok(()),
            Err(e) if e.code() == Some("ConditionalCheckFailedException") => Err(TransitionError::Conflict),
            Err(e) => Err(classify("DynamoDB", "PutItem", e).into()),
        }
    }

    /// One transaction. DynamoDB cancels a transaction that meets another one in progress on the
    /// same item (`TransactionConflict`), without any condition having failed: it is retried, so
    /// that only conditions decide the outcome.
    async fn transact<S: Copy>(&self, writes: Writes<S>) -> Result<(), Cancelled<S>> {
        let mut attempt = 0;
        loop {
            let result = self.client.transact_write_items().set_transact_items(Some(writes.items.clone())).send().await;
            match result {
                Ok(_) => return Ok(()),
                Err(e) if attempt < 4 && only_transaction_conflicts(&e) => {
                    attempt += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(25 * attempt)).await;
                }
                Err(e) => return Err(writes.cancelled(e)),
            }
        }
    }
}

/// The writes of one transaction, each under the name (`S`, an enum of the transaction's writes)
/// that its error mapping uses.
struct Writes<S> {
    table: String,
    items: Vec<TransactWriteItem>,
    slots: Vec<S>,
}

/// Why a transaction was not written.
enum Cancelled<S> {
    /// The conditions of these writes failed.
    Conditions(Vec<S>),
    /// Anything else.
    Infra(InfraError),
}

impl<S: std::fmt::Debug> Cancelled<S> {
    /// True when the condition of `slot` failed.
    fn failed(&self, slot: S) -> bool
    where
        S: PartialEq,
    {
        matches!(self, Self::Conditions(slots) if slots.contains(&slot))
    }

    /// The cancellation as an infrastructure error, for a condition no caller expects to fail.
    fn into_infra(self) -> InfraError {
        match self {
            Self::Conditions(slots) => {
                InfraError::Unexpected(format!("a transaction's conditions failed unexpectedly: {slots:?}"), None)
            }
            Self::Infra(error) => error,
        }
    }
}

impl<S: Copy> Writes<S> {
    /// An empty transaction on `table`.
    fn on(table: &str) -> Self {
        Self { table: table.into(), items: Vec::new(), slots: Vec::new() }
    }

    fn add(&mut self, slot: S, item: TransactWriteItem) {
        self.items.push(item);
        self.slots.push(slot);
    }

    /// Puts `item` unconditionally.
    fn put(&mut self, slot: S, item: Item) -> Result<(), InfraError> {
        self.put_if(slot, item, None)
    }

    /// Puts `item` only if no item has its key.
    fn put_new(&mut self, slot: S, item: Item) -> Result<(), InfraError> {
        self.put_if(slot, item, Some(("attribute_not_exists(PK)", vec![])))
    }

    /// Puts `item` if `condition` (an expression and its values; `#ttl` names the TTL attribute) holds.
    fn put_if(
        &mut self,
        slot: S,
        item: Item,
        condition: Option<(&str, Vec<(&str, AttributeValue)>)>,
    ) -> Result<(), InfraError> {
        let mut builder = Put::builder().table_name(&self.table).set_item(Some(item));
        if let Some((expression, values)) = condition {
            builder = builder.condition_expression(expression);
            if expression.contains("#ttl") {
                builder = builder.expression_attribute_names("#ttl", TTL_ATTRIBUTE);
            }
            for (name, value) in values {
                builder = builder.expression_attribute_values(name, value);
            }
        }
        self.add(slot, TransactWriteItem::builder().put(built(builder.build())?).build());
        Ok(())
    }

    /// Puts `item` only if the stored item is at `expected_version`.
    fn put_versioned(&mut self, slot: S, item: Item, expected_version: u64) -> Result<(), InfraError> {
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("#version = :expected")
            .expression_attribute_names("#version", "version")
            .expression_attribute_values(":expected", n(expected_version))
            .build();
        self.add(slot, TransactWriteItem::builder().put(built(put)?).build());
        Ok(())
    }

    /// An update of the item at `key`, built by `build` from a builder on the table and key.
    fn update(
        &mut self,
        slot: S,
        key: Item,
        build: impl FnOnce(
            aws_sdk_dynamodb::types::builders::UpdateBuilder,
        ) -> aws_sdk_dynamodb::types::builders::UpdateBuilder,
    ) -> Result<(), InfraError> {
        let update = build(Update::builder().table_name(&self.table).set_key(Some(key)));
        self.add(slot, TransactWriteItem::builder().update(built(update.build())?).build());
        Ok(())
    }

    /// A deletion of the item at `key`, built by `build` from a builder on the table and key.
    fn delete(
        &mut self,
        slot: S,
        key: Item,
        build: impl FnOnce(
            aws_sdk_dynamodb::types::builders::DeleteBuilder,
        ) -> aws_sdk_dynamodb::types::builders::DeleteBuilder,
    ) -> Result<(), InfraError> {
        let delete = build(Delete::builder().table_name(&self.table).set_key(Some(key)));
        self.add(slot, TransactWriteItem::builder().delete(built(delete.build())?).build());
        Ok(())
    }

    /// The names of the writes whose condition failed, or the error as an infrastructure one.
    fn cancelled(&self, error: SdkError<TransactWriteItemsError>) -> Cancelled<S> {
        if let Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) = error.as_service_error() {
            let failed = self.failed_conditions(cancelled.cancellation_reasons().iter().map(|r| r.code()));
            if !failed.is_empty() {
                return Cancelled::Conditions(failed);
            }
        }
        Cancelled::Infra(classify("DynamoDB", "TransactWriteItems", error))
    }

    /// The writes whose cancellation reason (one per write, in order) is a failed condition.
    fn failed_conditions<'a>(&self, codes: impl IntoIterator<Item = Option<&'a str>>) -> Vec<S> {
        codes
            .into_iter()
            .zip(&self.slots)
            .filter(|(code, _)| *code == Some("ConditionalCheckFailed"))
            .map(|(_, slot)| *slot)
            .collect()
    }
}

/// True when a conditional put failed its condition only because the item already is `item`: the
/// SDK retried a put whose answer was lost, and the first attempt had written it. (A transaction's
/// retry needs no such check: DynamoDB answers it by its `ClientRequestToken`.)
fn found_own_put(error: &SdkError<PutItemError>, item: &Item) -> bool {
    match error.as_service_error() {
        Some(PutItemError::ConditionalCheckFailedException(failed)) => failed.item() == Some(item),
        _ => false,
    }
}

/// True when a transaction was cancelled for meeting another one, not for a failed condition.
fn only_transaction_conflicts(error: &SdkError<TransactWriteItemsError>) -> bool {
    let Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) = error.as_service_error() else {
        return false;
    };
    let codes: Vec<&str> = cancelled.cancellation_reasons().iter().filter_map(|r| r.code()).collect();
    codes.contains(&"TransactionConflict") && !codes.contains(&"ConditionalCheckFailed")
}

/// The key of the item `pk`/`sk`.
fn key(pk: String, sk: &str) -> Item {
    HashMap::from([(PK.to_string(), s(pk)), (SK.to_string(), s(sk))])
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

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, Copy, PartialEq)]
    enum Slot {
        First,
        Second,
        Third,
    }

    fn writes(slots: &[Slot]) -> Writes<Slot> {
        let mut writes = Writes::on("table");
        for slot in slots {
            writes.put(*slot, key("PK".into(), "SK")).unwrap();
        }
        writes
    }

    #[test]
    fn a_failed_condition_is_named_by_its_write_wherever_it_stands() {
        let codes = [Some("None"), Some("ConditionalCheckFailed"), Some("None")];
        assert_eq!(writes(&[Slot::First, Slot::Second, Slot::Third]).failed_conditions(codes), [Slot::Second]);
        assert_eq!(writes(&[Slot::Third, Slot::First, Slot::Second]).failed_conditions(codes), [Slot::First]);
    }

    #[test]
    fn conflicts_are_not_failed_conditions() {
        let codes = [Some("TransactionConflict"), None, Some("None")];
        assert!(writes(&[Slot::First, Slot::Second, Slot::Third]).failed_conditions(codes).is_empty());
    }
}
