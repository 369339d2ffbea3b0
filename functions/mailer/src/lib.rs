//! Sends what the outbox holds, so that an email owed by a state change is never lost when the
//! fast path after the change failed. Two triggers: the table's DynamoDB stream (new pending
//! emails, at once) and an EventBridge schedule (every minute: retries that fell due).

use accreditation::services::postman::{Delivery, Postman, SweepReport};
use lambda_runtime::{Error, LambdaEvent};
use serde_json::Value;

/// Emails handled per scheduled run; the next run picks up the rest.
pub const BATCH: i32 = 100;

/// A stream event delivers the pending emails it names; any other event (the schedule) sweeps
/// every due email. Returns the totals.
pub async fn handler(postman: &Postman, event: LambdaEvent<Value>) -> Result<SweepReport, Error> {
    let report = match pending_emails(&event.payload) {
        Some(ids) => {
            let mut report = SweepReport::default();
            for id in ids {
                match postman.deliver(&id).await? {
                    Delivery::Sent => report.sent += 1,
                    Delivery::Retrying => report.retrying += 1,
                    Delivery::GaveUp => report.gave_up += 1,
                    Delivery::Skipped => report.skipped += 1,
                }
            }
            report
        }
        None => postman.sweep(BATCH).await?,
    };
    tracing::info!(?report, "outbox delivery");
    Ok(report)
}

/// The ids of pending outbox emails in a DynamoDB stream event; `None` for other events.
pub fn pending_emails(event: &Value) -> Option<Vec<String>> {
    let records = event.get("Records")?.as_array()?;
    let from_dynamodb = records.iter().all(|r| r["eventSource"] == "aws:dynamodb");
    if !from_dynamodb {
        return None;
    }
    Some(
        records
            .iter()
            .filter(|r| matches!(r["eventName"].as_str(), Some("INSERT" | "MODIFY")))
            .map(|r| &r["dynamodb"]["NewImage"])
            .filter(|image| image["status"]["S"] == "pending")
            .filter_map(|image| image["PK"]["S"].as_str()?.strip_prefix("OUTBOX#").map(str::to_string))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn stream_events_name_only_pending_outbox_emails() {
        let event = json!({"Records": [
            {"eventSource": "aws:dynamodb", "eventName": "INSERT",
             "dynamodb": {"NewImage": {"PK": {"S": "OUTBOX#a"}, "status": {"S": "pending"}}}},
            {"eventSource": "aws:dynamodb", "eventName": "MODIFY",
             "dynamodb": {"NewImage": {"PK": {"S": "OUTBOX#b"}, "status": {"S": "sent"}}}},
            {"eventSource": "aws:dynamodb", "eventName": "INSERT",
             "dynamodb": {"NewImage": {"PK": {"S": "REQ#c"}, "status": {"S": "pending"}}}},
            {"eventSource": "aws:dynamodb", "eventName": "REMOVE", "dynamodb": {}}
        ]});
        assert_eq!(pending_emails(&event), Some(vec!["a".to_string()]));
        assert_eq!(pending_emails(&json!({"source": "aws.events", "detail-type": "Scheduled Event"})), None);
    }
}
