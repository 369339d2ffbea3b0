//! SES event publishing (configuration set → SNS topic → this function): permanent bounces and
//! complaints are marked on the request the email was about (its `request_id` message tag), so
//! operators see that the applicant's address does not work. Transient bounces and deliveries are
//! only logged: SES already retried them.

use std::collections::HashMap;

use accreditation::{
    adapters::ses::REQUEST_TAG,
    domain::{DeliveryProblem, DeliveryProblemKind, RequestId, Timestamp},
    http::error_chain,
    services::delivery_reports::{DeliveryReport, DeliveryReports, Recorded},
};
use aws_lambda_events::sns::SnsEvent;
use lambda_runtime::{Error, LambdaEvent};
use serde::Deserialize;
use time::OffsetDateTime;

/// An SES notification: event publishing says `eventType`, identity notifications `notificationType`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Notification {
    #[serde(alias = "notificationType")]
    event_type: String,
    mail: Mail,
    bounce: Option<Bounce>,
    complaint: Option<Complaint>,
}

#[derive(Debug, Deserialize)]
struct Mail {
    #[serde(default)]
    tags: HashMap<String, Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Bounce {
    bounce_type: String,
    #[serde(default)]
    bounce_sub_type: String,
    bounced_recipients: Vec<Recipient>,
    #[serde(with = "time::serde::rfc3339")]
    timestamp: OffsetDateTime,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Complaint {
    complained_recipients: Vec<Recipient>,
    #[serde(default)]
    complaint_feedback_type: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    timestamp: OffsetDateTime,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Recipient {
    email_address: String,
}

/// Why an SNS message is not recorded.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum Skipped {
    /// Not an SES notification this handler can read (logged as a warning: SES changed, or the
    /// topic has another publisher).
    #[error("not an SES notification: {0}")]
    Unreadable(String),
    /// A notification needing no action (deliveries, transient bounces, untagged emails).
    #[error("{0}")]
    NoAction(String),
}

/// The report an SNS message carries, if it is one to record.
pub fn report_of(message: &str) -> Result<DeliveryReport, Skipped> {
    let notification: Notification = serde_json::from_str(message).map_err(|e| Skipped::Unreadable(e.to_string()))?;
    let tag = notification.mail.tags.get(REQUEST_TAG).and_then(|values| values.first());
    let request_id = tag
        .and_then(|id| RequestId::parse(id))
        .ok_or_else(|| Skipped::NoAction("no request_id tag on the email".into()))?;
    let addresses = |recipients: &[Recipient]| recipients.iter().map(|r| r.email_address.clone()).collect();
    let problem = match (notification.event_type.as_str(), notification.bounce, notification.complaint) {
        ("Bounce", Some(bounce), _) if bounce.bounce_type == "Permanent" => DeliveryProblem {
            kind: DeliveryProblemKind::Bounce,
            addresses: addresses(&bounce.bounced_recipients),
            detail: format!("{}/{}", bounce.bounce_type, bounce.bounce_sub_type),
            at: Timestamp::from(bounce.timestamp),
        },
        ("Complaint", _, Some(complaint)) => DeliveryProblem {
            kind: DeliveryProblemKind::Complaint,
            addresses: addresses(&complaint.complained_recipients),
            detail: complaint.complaint_feedback_type.unwrap_or_else(|| "complaint".into()),
            at: Timestamp::from(complaint.timestamp),
        },
        (other, _, _) => return Err(Skipped::NoAction(format!("{other} needs no action"))),
    };
    Ok(DeliveryReport { request_id, problem })
}

/// Records every bounce and complaint of the event. Only infrastructure failures fail the
/// invocation (Lambda retries it, then the dead-letter queue keeps it).
pub async fn handler(reports: &DeliveryReports, event: LambdaEvent<SnsEvent>) -> Result<(), Error> {
    for record in event.payload.records {
        let report = match report_of(&record.sns.message) {
            Ok(report) => report,
            Err(why @ Skipped::Unreadable(_)) => {
                tracing::warn!(sns_message_id = %record.sns.message_id, %why, "SES notification skipped");
                continue;
            }
            Err(why) => {
                tracing::info!(sns_message_id = %record.sns.message_id, %why, "SES notification skipped");
                continue;
            }
        };
        match reports.record(&report).await {
            Ok(Recorded::Marked) => {}
            Ok(Recorded::UnknownRequest) => {
                tracing::info!(request_id = %report.request_id, "bounce for a request no longer kept")
            }
            Err(error) => {
                tracing::error!(error = %error_chain(&error), "recording the bounce failed; Lambda will retry");
                return Err(Box::new(error));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn notification(event_type: &str, detail: serde_json::Value) -> String {
        let id = RequestId::generate();
        let mut message = json!({
            "eventType": event_type,
            "mail": {"messageId": "m-1", "destination": ["maria@example.org"],
                     "tags": {"ses:configuration-set": ["accreditation"], "request_id": [id.to_string()]}}
        });
        message[event_type.to_lowercase()] = detail;
        message.to_string()
    }

    #[test]
    fn permanent_bounces_and_complaints_are_reports_and_the_rest_is_not() {
        // SES writes milliseconds.
        let bounce = json!({"bounceType": "Permanent", "bounceSubType": "NoEmail", "timestamp": "2026-11-24T10:00:00.123Z",
                            "bouncedRecipients": [{"emailAddress": "maria@example.org"}]});
        let report = report_of(&notification("Bounce", bounce.clone())).unwrap();
        assert_eq!(report.problem.kind, DeliveryProblemKind::Bounce);
        assert_eq!(report.problem.addresses, ["maria@example.org"]);
        assert_eq!(report.problem.detail, "Permanent/NoEmail");
        assert_eq!(report.problem.at.to_string(), "2026-11-24T10:00:00.123000Z");

        let complaint = json!({"complaintFeedbackType": "abuse", "timestamp": "2026-11-24T10:00:00Z",
                               "complainedRecipients": [{"emailAddress": "maria@example.org"}]});
        assert_eq!(report_of(&notification("Complaint", complaint)).unwrap().problem.detail, "abuse");

        let transient = json!({"bounceType": "Transient", "timestamp": "2026-11-24T10:00:00Z",
                               "bouncedRecipients": [{"emailAddress": "maria@example.org"}]});
        assert!(matches!(report_of(&notification("Bounce", transient)), Err(Skipped::NoAction(_))));
        assert!(matches!(report_of(&notification("Delivery", json!({}))), Err(Skipped::NoAction(_))));
        assert!(matches!(report_of("not json"), Err(Skipped::Unreadable(_))));
        let untagged = json!({"eventType": "Bounce", "mail": {"tags": {}}, "bounce": bounce}).to_string();
        assert_eq!(report_of(&untagged).unwrap_err(), Skipped::NoAction("no request_id tag on the email".into()));
    }
}
