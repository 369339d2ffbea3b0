//! Bounces and complaints SES reports about emails to applicants, recorded on their requests so
//! that operators see the address does not work (and the audit trail says when).

use std::sync::Arc;

use crate::{
    domain::{Actor, AuditAction, AuditEntry, DeliveryProblem, DeliveryProblemKind, RequestId},
    ports::{Clock, InfraError, RequestStore, Transition, TransitionError},
};

/// Attempts at the conditional write before giving up (an operator may be writing the request).
const ATTEMPTS: u32 = 3;

/// One report about one email, as read from SES's notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryReport {
    /// The request the email concerned (its message tag).
    pub request_id: RequestId,
    /// What happened and to which addresses (`at` is when SES saw it).
    pub problem: DeliveryProblem,
}

/// What became of a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    /// The request now shows the problem.
    Marked,
    /// The request is gone (lapsed or deleted).
    UnknownRequest,
}

/// Records delivery problems on requests.
pub struct DeliveryReports {
    requests: Arc<dyn RequestStore>,
    clock: Arc<dyn Clock>,
}

impl DeliveryReports {
    /// The recorder over the requests table.
    pub fn new(requests: Arc<dyn RequestStore>, clock: Arc<dyn Clock>) -> Self {
        Self { requests, clock }
    }

    /// Puts `report` on its request with an audit line, retrying when the request changed meanwhile;
    /// a report the request already shows (a notification delivered twice) changes nothing.
    pub async fn record(&self, report: &DeliveryReport) -> Result<Recorded, InfraError> {
        for _ in 0..ATTEMPTS {
            let Some(before) = self.requests.find(report.request_id).await? else {
                return Ok(Recorded::UnknownRequest);
            };
            if before.undeliverable() == Some(&report.problem) {
                // The same notification again (SNS delivers at least once): recorded already.
                return Ok(Recorded::Marked);
            }
            let after = before.with_delivery_problem(report.problem.clone());
            let action = match report.problem.kind {
                DeliveryProblemKind::Bounce => AuditAction::EmailBounced,
                DeliveryProblemKind::Complaint => AuditAction::EmailComplaint,
            };
            let audit = AuditEntry {
                at: self.clock.now(),
                actor: Actor::system(),
                action,
                from: Some(before.status()),
                to: before.status(),
                note: Some(format!("{} ({})", report.problem.addresses.join(", "), report.problem.detail)),
                for_applicant: false,
            };
            let change =
                Transition { request: after, expected_version: before.version(), audit, email: None, account: None };
            match self.requests.transition(&change).await {
                Ok(()) => {
                    tracing::warn!(request_id = %report.request_id, ?action, "applicant's address reported undeliverable");
                    return Ok(Recorded::Marked);
                }
                Err(TransitionError::Infra(e)) => return Err(e),
                Err(_) => continue,
            }
        }
        Err(InfraError::Unexpected("the request kept changing while recording a bounce".into(), None))
    }
}
