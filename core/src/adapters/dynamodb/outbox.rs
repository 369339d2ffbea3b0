//! [`Outbox`] on the table: pending emails in `GSI1` under `OUTBOX#pending` by due time, claimed
//! with a lease by a conditional update.

use async_trait::async_trait;
use aws_sdk_dynamodb::{
    error::ProvideErrorMetadata,
    types::{ReturnValue, ReturnValuesOnConditionCheckFailure},
};

use super::{
    DynamoStore, classify, found_own_put, from_item,
    items::{OUTBOX_PENDING, OutboxItem, outbox_due_key, outbox_pk},
    n, s, to_item,
};
use crate::domain::OutboxEmail;
use crate::{
    domain::{Timestamp, random_bytes},
    ports::{InfraError, Outbox},
    schema::{GSI1, GSI1PK, GSI1SK, PK, SK, TTL_ATTRIBUTE},
};

/// How long the record of a sent email (its kind, ids and SES message id) is kept.
const SENT_EMAIL_MEMORY: time::Duration = time::Duration::days(30);

#[async_trait]
impl Outbox for DynamoStore {
    async fn enqueue(&self, email: &OutboxEmail) -> Result<(), InfraError> {
        let item = to_item(&OutboxItem::of(email))?;
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item.clone()))
            .condition_expression("attribute_not_exists(PK)")
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            // A retry of a put whose answer was lost: the email is queued.
            Err(e) if found_own_put(&e, &item) => Ok(()),
            Err(e) => Err(classify("DynamoDB", "PutItem", e)),
        }
    }

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
        // The claim's own token: when the SDK retries a claim whose answer was lost, the retry finds
        // the lease its first attempt took and gets the email, instead of waiting for the lease to
        // lapse (the attempt is then counted twice).
        let token = random_bytes::<16>().map_err(|e| InfraError::unexpected("no randomness for a lease", e))?;
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(PK, s(outbox_pk(id)))
            .key(SK, s("OUTBOX"))
            .update_expression("SET due_at = :lease, #gsi1sk = :lease_key, #lease = :token ADD attempts :one")
            .condition_expression("#status = :pending AND (due_at <= :now OR #lease = :token)")
            .expression_attribute_names("#lease", "lease_token")
            .expression_attribute_values(":token", s(hex::encode(token)))
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
            // A sent email keeps no note (an operator's reason or message: personal data) and is
            // forgotten after SENT_EMAIL_MEMORY.
            .update_expression(
                "SET #status = :sent, message_id = :message_id, sent_at = :at, #ttl = :forget \
                 REMOVE #gsi1pk, #gsi1sk, last_error, note",
            )
            .expression_attribute_names("#ttl", TTL_ATTRIBUTE)
            .expression_attribute_values(":forget", n(at.plus(SENT_EMAIL_MEMORY).unix()))
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
