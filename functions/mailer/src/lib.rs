//! The scheduled outbox sweep (EventBridge, every minute): sends every email still pending, so
//! that an email owed by a state change is never lost when the fast path after it failed.

use accreditation::services::postman::{Postman, SweepReport};
use lambda_runtime::{Error, LambdaEvent};
use serde_json::Value;

/// Emails handled per invocation; the next run picks up the rest.
pub const BATCH: i32 = 100;

/// Runs one sweep and returns its totals; the scheduled event's content is irrelevant.
pub async fn handler(postman: &Postman, _event: LambdaEvent<Value>) -> Result<SweepReport, Error> {
    let report = postman.sweep(BATCH).await?;
    tracing::info!(?report, "outbox sweep");
    Ok(report)
}
