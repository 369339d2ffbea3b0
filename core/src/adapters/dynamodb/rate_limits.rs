//! [`RateLimiter`] on the table: one counter item per scope and window, incremented by one
//! `UpdateItem` (atomic, so parallel requests are all counted), forgotten by the TTL after its
//! window.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::ReturnValue;

use super::{DynamoStore, classify, items::rate_pk, n, s};
use crate::{
    domain::Timestamp,
    ports::{InfraError, RateLimiter},
    schema::{PK, SK, TTL_ATTRIBUTE},
};

#[async_trait]
impl RateLimiter for DynamoStore {
    async fn hit(&self, scope: &str, window: i64, limit: u32, now: Timestamp) -> Result<Option<i64>, InfraError> {
        let window = window.max(1);
        let start = now.unix() - now.unix().rem_euclid(window);
        let end = start + window;
        let output = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(PK, s(rate_pk(scope, start)))
            .key(SK, s("RATE"))
            .update_expression("ADD #count :one SET #ttl = :end")
            .expression_attribute_names("#count", "count")
            .expression_attribute_names("#ttl", TTL_ATTRIBUTE)
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":end", n(end))
            .return_values(ReturnValue::UpdatedNew)
            .send()
            .await
            .map_err(|e| classify("DynamoDB", "UpdateItem", e))?;
        let count = output
            .attributes
            .and_then(|a| a.get("count").and_then(|v| v.as_n().ok()).and_then(|v| v.parse::<u64>().ok()))
            .unwrap_or(u64::MAX);
        Ok((count > u64::from(limit)).then(|| (end - now.unix()).max(1)))
    }
}
