//! The erasure of requests' personal data (retention, or the person's demand).

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::{InfraError, TransitionError};
use crate::domain::{AccreditationRequest, Reference, RequestId, Timestamp};
use crate::workflow::Status;

/// Why a request's personal data were erased.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum ErasureReason {
    /// Its retention period ended (the scheduled `retention` function).
    Retention,
    /// The person asked (GDPR art. 17; `admin erase`), with the administrators' ticket, if given.
    Request {
        /// The request's ticket or case number.
        ticket: Option<String>,
    },
}

/// What is kept of a request whose personal data were erased: the decision, not the person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErasureRecord {
    /// The request.
    pub id: RequestId,
    /// Its reference.
    pub reference: Reference,
    /// Its status when erased (the outcome, once decided).
    pub status: Status,
    /// When it was decided, if it was.
    pub decided_at: Option<Timestamp>,
    /// Who decided it (`operator:<username>`), if anyone did.
    pub decided_by: Option<String>,
    /// When it was erased.
    pub erased_at: Timestamp,
    /// Why.
    pub reason: ErasureReason,
}

/// The erasure of requests' personal data.
#[async_trait]
pub trait ErasureStore: Send + Sync {
    /// The request with this reference, if stored (a scan of the table: an administrator's rare
    /// lookup, never a function's).
    async fn request_with_reference(&self, reference: &str) -> Result<Option<RequestId>, InfraError>;
    /// In one transaction, if the request is still at its version: deletes the request (its
    /// personal data), the notes of its audit trail (operators' reasons and messages), its account
    /// if it was approved, and the duplicate-check locks it holds; stores `record` in its place.
    async fn erase(&self, request: &AccreditationRequest, record: &ErasureRecord) -> Result<(), TransitionError>;
    /// The record of an erased request.
    async fn erasure(&self, id: RequestId) -> Result<Option<ErasureRecord>, InfraError>;
}
