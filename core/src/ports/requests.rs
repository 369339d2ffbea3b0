//! Requests: their creation with the duplicate-check locks, status changes, audit trails, the
//! queue and idempotency records.

use std::collections::BTreeMap;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::InfraError;
use crate::domain::{Account, AccreditationRequest, AuditEntry, OutboxEmail, RequestId, Timestamp};
use crate::workflow::Status;

/// The stored response of a request made with an `Idempotency-Key`, sealed with that key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdempotencyRecord {
    /// SHA-256 of the key (the key itself is never stored).
    pub key_hash: String,
    /// SHA-256 of the request body it answered.
    pub fingerprint: String,
    /// The response, encrypted with a key derived from the idempotency key.
    pub sealed_response: String,
    /// When the record may be forgotten.
    pub expires_at: Timestamp,
}

/// A new request, with what must be written in the same transaction.
#[derive(Debug, Clone)]
pub struct NewRequest {
    /// The request, `awaiting_document`.
    pub request: AccreditationRequest,
    /// Its first audit entry.
    pub audit: AuditEntry,
    /// The idempotency record, when the client sent a key.
    pub idempotency: Option<IdempotencyRecord>,
}

/// Why a request could not be created.
#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    /// The same person (citizenship + identification code, or email) has an active request.
    #[error("the person already has an active request")]
    PersonHasActiveRequest,
    /// A concurrent request with the same idempotency key won.
    #[error("the idempotency key was used concurrently")]
    IdempotencyKeyUsed,
    /// Infrastructure failure.
    #[error(transparent)]
    Infra(#[from] InfraError),
}

/// A change of status, written only if the request is still at `expected_version`.
#[derive(Debug, Clone)]
pub struct Transition {
    /// The request as it must become (its `version` already incremented).
    pub request: AccreditationRequest,
    /// The version read before the change.
    pub expected_version: u64,
    /// The audit entry of the change.
    pub audit: AuditEntry,
    /// The email the change owes, if any.
    pub email: Option<OutboxEmail>,
    /// An account created by the change (approval), unless its username is taken.
    pub account: Option<Account>,
}

/// Why a transition was not written.
#[derive(Debug, thiserror::Error)]
pub enum TransitionError {
    /// Someone else changed the request first.
    #[error("the request changed concurrently")]
    Conflict,
    /// The username of the account to create is taken.
    #[error("the username is taken")]
    UsernameTaken,
    /// Infrastructure failure.
    #[error(transparent)]
    Infra(#[from] InfraError),
}

/// Requests, their audit trails, person locks and idempotency records.
#[async_trait]
pub trait RequestStore: Send + Sync {
    /// The next number of `year`'s reference counter (1, 2, ...).
    async fn next_reference_number(&self, year: i32) -> Result<u64, InfraError>;
    /// Writes the request, its person and email locks, its audit entry and its idempotency record
    /// together, or nothing (locks lapsed at `now` may be taken over).
    async fn create(&self, new: &NewRequest, now: Timestamp) -> Result<(), CreateError>;
    /// The active request holding the person or email of `request` at `now`, if any.
    async fn active_request_of(
        &self,
        request: &AccreditationRequest,
        now: Timestamp,
    ) -> Result<Option<RequestId>, InfraError>;
    /// The request with this id, if stored.
    async fn find(&self, id: RequestId) -> Result<Option<AccreditationRequest>, InfraError>;
    /// The idempotency record of a key hash, if stored and not expired at `now`.
    async fn idempotency_record(&self, key_hash: &str, now: Timestamp)
    -> Result<Option<IdempotencyRecord>, InfraError>;
    /// Writes a status change with its audit entry and email, conditionally on the version.
    async fn transition(&self, change: &Transition) -> Result<(), TransitionError>;
    /// Saves a change that is not a status change (e.g. a new document slot), conditionally on
    /// the version.
    async fn update(&self, request: &AccreditationRequest, expected_version: u64) -> Result<(), TransitionError>;
    /// The audit trail, oldest first.
    async fn audit_trail(&self, id: RequestId) -> Result<Vec<AuditEntry>, InfraError>;
    /// Up to `limit` requests in `status`, oldest submission first, after `after`; with the
    /// position to continue from when more remain.
    async fn queue(
        &self,
        status: Status,
        limit: i32,
        after: Option<QueuePosition>,
    ) -> Result<(Vec<AccreditationRequest>, Option<QueuePosition>), InfraError>;
}

/// Where a page of the queue ended (the index keys of its last item).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueuePosition(pub BTreeMap<String, String>);
