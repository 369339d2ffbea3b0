//! In-memory fakes of the ports, for fast, deterministic service tests: one store holding what
//! the table would, a bucket, a mailer and a clock. Any call can be made to fail (`fail_next`),
//! and a hook can change the store just before a chosen call (`before`), to play the other side of
//! a race at an exact point.

use std::{
    collections::{BTreeMap, HashMap},
    sync::{Arc, Mutex, MutexGuard},
};

use secrecy::SecretString;
use sha2::Digest;

use crate::{
    domain::{
        AcceptedDocument, Account, AccreditationRequest, ApplicationForm, AuditEntry, ChangeGrant, Consent,
        DocumentSlot, DocumentType, EidasCountries, Email, Event, FormRules, OutboxEmail, OutboxStatus, Reference,
        RequestId, Role, SecretToken, Timestamp, TokenHash, Username,
    },
    ports::{
        AccountAuditEntry, AccountStore, Admission, Clock, CreateAccountError, CreateError, DocumentStore, GrantStore,
        IdempotencyRecord, InfraError, LoginAttemptStore, LoginKey, Mailer, NewRequest, Outbox, OutgoingEmail,
        QueuePosition, RateLimiter, RequestStore, SessionRecord, SessionStore, StoredObject, Transition,
        TransitionError, UploadForm,
    },
    services::{
        acceptance::{DocumentAcceptance, upload_key},
        credentials::{CredentialDelivery, CredentialIssuer, CredentialSettings},
        operator::OperatorService,
        passwords::PasswordHasher,
        postman::{Postman, PostmanPorts, PostmanSettings},
        sessions::{Claims, LiveSessions, Sessions},
    },
    workflow::Status,
};

mod accounts;
mod bucket;
mod mailer;
mod store;
mod world;

pub use bucket::FakeBucket;
pub use mailer::FakeMailer;
pub use store::{Attempts, FakeStore};
pub use world::{MAX_ATTEMPTS, RETRY, World};

/// Calls made to fail: each name (the port method's) fails as many times as asked.
#[derive(Default)]
pub struct Faults(Mutex<HashMap<&'static str, u32>>);

impl Faults {
    /// The next `times` calls of `call` fail as an unavailable dependency.
    pub fn fail_next(&self, call: &'static str, times: u32) {
        *lock(&self.0).entry(call).or_default() += times;
    }

    /// An error if `call` is due to fail.
    pub(crate) fn check(&self, call: &'static str) -> Result<(), InfraError> {
        let mut faults = lock(&self.0);
        match faults.get_mut(call) {
            Some(left) if *left > 0 => {
                *left -= 1;
                Err(InfraError::Unavailable("fake", format!("{call} made to fail").into()))
            }
            _ => Ok(()),
        }
    }
}

pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A clock that moves only when told.
pub struct FakeClock(Mutex<Timestamp>);

impl FakeClock {
    /// A clock at the current time, shared.
    pub fn new() -> Arc<Self> {
        Arc::new(Self(Mutex::new(Timestamp::now())))
    }

    /// Moves the time forward.
    pub fn advance(&self, by: time::Duration) {
        let mut now = lock(&self.0);
        *now = now.plus(by);
    }
}

impl Clock for FakeClock {
    fn now(&self) -> Timestamp {
        *lock(&self.0)
    }
}
