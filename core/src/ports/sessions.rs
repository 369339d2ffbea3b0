//! Open sessions of the console and the applicants' pages.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::InfraError;
use crate::domain::{Timestamp, TokenHash, Username};

/// A session as the server knows it: it lives while its item exists, its account is enabled and
/// the account's credential is still the one the session was opened with (a password set,
/// reset or re-issue renews the credential, so every older session ends with it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionRecord {
    /// The account.
    pub username: Username,
    /// The account's credential when the session opened ([`crate::domain::Account::credential`]).
    pub credential: u64,
    /// When the session's token expires (the item's TTL).
    pub expires_at: Timestamp,
}

/// Open sessions, stored under the hash of their token's id (`jti`).
#[async_trait]
pub trait SessionStore: Send + Sync {
    /// Records an open session.
    async fn open_session(&self, id: &TokenHash, session: &SessionRecord) -> Result<(), InfraError>;
    /// The session, if open and not expired at `now` (read consistently: an ended one is never seen).
    async fn session(&self, id: &TokenHash, now: Timestamp) -> Result<Option<SessionRecord>, InfraError>;
    /// Ends the session (nothing when already ended).
    async fn end_session(&self, id: &TokenHash) -> Result<(), InfraError>;
}
