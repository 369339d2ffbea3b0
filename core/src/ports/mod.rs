//! The capabilities the services need, one small trait each, by aggregate; `adapters` implements
//! them on AWS, and `fakes` (tests only) in memory. The records they store are domain types.

mod accounts;
mod captcha;
mod documents;
mod erasure;
mod limits;
mod logins;
mod mail;
mod outbox;
mod provider;
mod requests;
mod sessions;

pub use accounts::*;
pub use captcha::*;
pub use documents::*;
pub use erasure::*;
pub use limits::*;
pub use logins::*;
pub use mail::*;
pub use outbox::*;
pub use provider::*;
pub use requests::*;
pub use sessions::*;

use crate::domain::Timestamp;

/// A failure of the infrastructure, not of the caller.
#[derive(Debug, thiserror::Error)]
pub enum InfraError {
    /// AWS is throttling us: the caller may retry shortly.
    #[error("throttled by {0}")]
    Throttled(&'static str),
    /// A dependency is unreachable or failing.
    #[error("{0} is unavailable")]
    Unavailable(&'static str, #[source] Box<dyn std::error::Error + Send + Sync>),
    /// Anything else: a bug or a misconfiguration.
    #[error("unexpected failure: {0}")]
    Unexpected(String, #[source] Option<Box<dyn std::error::Error + Send + Sync>>),
}

impl InfraError {
    /// An unexpected failure described by `context`, caused by `source`.
    pub fn unexpected(context: impl Into<String>, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::Unexpected(context.into(), Some(Box::new(source)))
    }
}

/// The time, injectable so that tests can move it.
pub trait Clock: Send + Sync {
    /// The current instant.
    fn now(&self) -> Timestamp;
}

/// The system clock.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}
