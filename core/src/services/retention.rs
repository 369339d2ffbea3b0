//! Personal data kept no longer than needed (GDPR art. 5(1)(e) and 17): the scheduled sweep erases
//! rejected requests once their retention period ends, and an administrator erases one person's
//! request on their demand. What stays is the decision (reference, outcome, who and when) and the
//! audit trail without its notes; the documents are deleted. Requests that lapse without a
//! document are deleted whole by DynamoDB's TTL, their uploads by the bucket's lifecycle rule.

use std::sync::Arc;

use serde::Serialize;
use time::Duration;

use crate::{
    domain::{AccreditationRequest, Timestamp},
    ports::{
        Clock, DocumentStore, ErasureReason, ErasureRecord, ErasureStore, InfraError, RequestStore, TransitionError,
    },
    workflow::Status,
};

/// Requests read per page of the sweep.
const PAGE: i32 = 50;

/// What a sweep did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RetentionReport {
    /// Requests erased.
    pub erased: u32,
    /// Rejected requests still within their period.
    pub kept: u32,
    /// Requests that changed while being erased (left for the next sweep).
    pub changed: u32,
}

/// Why an erasure on request failed.
#[derive(Debug, thiserror::Error)]
pub enum EraseError {
    /// No request has this reference (or it was erased already).
    #[error("no request has the reference {0}")]
    UnknownReference(String),
    /// The request changed while it was erased: nothing was; try again.
    #[error("the request changed meanwhile: try again")]
    Changed,
    /// Infrastructure failure.
    #[error(transparent)]
    Infra(#[from] InfraError),
}

/// The stores the retention reads and erases.
#[derive(Clone)]
pub struct RetentionPorts {
    /// Requests (the queue of rejected ones, the audit trail).
    pub requests: Arc<dyn RequestStore>,
    /// The erasure.
    pub erasures: Arc<dyn ErasureStore>,
    /// The documents.
    pub documents: Arc<dyn DocumentStore>,
    /// The time.
    pub clock: Arc<dyn Clock>,
}

/// The retention of requests' personal data.
pub struct Retention {
    ports: RetentionPorts,
    rejected_for: Duration,
}

impl Retention {
    /// Rejected requests are kept `rejected_for` after their rejection (`REJECTED_RETENTION_DAYS`).
    pub fn new(ports: RetentionPorts, rejected_for: Duration) -> Self {
        Self { ports, rejected_for }
    }

    /// The scheduled sweep: erases every rejected request decided more than the period ago. The
    /// queue is read oldest submission first, so the sweep stops at the first request submitted
    /// after the cut-off (none later can have been decided before it).
    pub async fn sweep(&self) -> Result<RetentionReport, InfraError> {
        let now = self.ports.clock.now();
        let cutoff = now.plus(-self.rejected_for);
        let mut report = RetentionReport::default();
        let mut after = None;
        loop {
            let (page, next) = self.ports.requests.queue(Status::Rejected, PAGE, after).await?;
            for request in page {
                if request.submitted_at().is_some_and(|at| at > cutoff) {
                    return Ok(report);
                }
                let (decided_at, _) = self.decision(&request).await?;
                if decided_at.is_some_and(|at| at > cutoff) {
                    report.kept += 1;
                    continue;
                }
                match self.erase(&request, ErasureReason::Retention).await {
                    Ok(_) => report.erased += 1,
                    Err(EraseError::Changed) => report.changed += 1,
                    Err(EraseError::Infra(error)) => return Err(error),
                    Err(EraseError::UnknownReference(_)) => {}
                }
            }
            match next {
                Some(position) => after = Some(position),
                None => return Ok(report),
            }
        }
    }

    /// `admin erase --reference`: erases the request with `reference`, whatever its status (an
    /// approved one with its account), on the person's demand; `ticket` is recorded.
    pub async fn erase_on_request(&self, reference: &str, ticket: Option<String>) -> Result<ErasureRecord, EraseError> {
        let unknown = || EraseError::UnknownReference(reference.to_string());
        let id = self.ports.erasures.request_with_reference(reference).await?.ok_or_else(unknown)?;
        let request = self.ports.requests.find(id).await?.ok_or_else(unknown)?;
        self.erase(&request, ErasureReason::Request { ticket }).await
    }

    /// Deletes the documents, then the personal data with the record of the decision.
    async fn erase(&self, request: &AccreditationRequest, reason: ErasureReason) -> Result<ErasureRecord, EraseError> {
        let (decided_at, decided_by) = self.decision(request).await?;
        for slot in request.documents() {
            self.ports.documents.delete(&slot.upload_key).await?;
            if let Some(accepted) = &slot.accepted {
                self.ports.documents.delete(&accepted.key).await?;
            }
        }
        let record = ErasureRecord {
            id: request.id,
            reference: request.reference.clone(),
            status: request.status(),
            decided_at,
            decided_by,
            erased_at: self.ports.clock.now(),
            reason,
        };
        match self.ports.erasures.erase(request, &record).await {
            Ok(()) => {}
            Err(TransitionError::Infra(error)) => return Err(error.into()),
            Err(_) => return Err(EraseError::Changed),
        }
        tracing::info!(event = "personal_data_erased", request_id = %request.id, reference = %request.reference,
            status = %record.status, reason = ?record.reason, "personal data erased");
        Ok(record)
    }

    /// When and by whom the request was decided, from its audit trail.
    async fn decision(
        &self,
        request: &AccreditationRequest,
    ) -> Result<(Option<Timestamp>, Option<String>), InfraError> {
        let trail = self.ports.requests.audit_trail(request.id).await?;
        let decision = trail.into_iter().rev().find(|entry| entry.to.is_decided());
        Ok(decision.map_or((None, None), |entry| (Some(entry.at), Some(entry.actor.as_str().to_string()))))
    }
}
