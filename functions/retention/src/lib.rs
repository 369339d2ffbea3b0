//! Erases, once a day (an EventBridge schedule), the personal data of requests whose retention
//! period has ended: see `accreditation::services::retention`.

use accreditation::services::retention::{Retention, RetentionReport};
use lambda_runtime::{Error, LambdaEvent};
use serde_json::Value;

/// Whatever the event (the schedule's), one sweep; returns its totals.
pub async fn handler(retention: &Retention, _event: LambdaEvent<Value>) -> Result<RetentionReport, Error> {
    let report = retention.sweep().await?;
    tracing::info!(
        event = "retention_sweep",
        erased = report.erased,
        kept = report.kept,
        changed = report.changed,
        "retention sweep"
    );
    Ok(report)
}
