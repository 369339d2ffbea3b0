//! What a login in progress needs stored: attempts counted per username and source, and the
//! single-use grants of its next steps.

use async_trait::async_trait;

use super::InfraError;
use crate::domain::{ChangeGrant, Timestamp, TokenHash, Username};

/// Whether a login attempt may check its password, decided (and counted) before the check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// It may: the `n`-th attempt counted since the last success.
    Check(u32),
    /// Refused: the username is locked until then.
    Locked(Timestamp),
    /// Refused: the attempts the lockout allows are already being checked (a burst in parallel).
    Busy,
}

/// Whose login attempts are counted together: one username (known or not) from one source
/// address, so that a stranger's failures lock the stranger out, not the account's owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginKey<'a> {
    /// The username as typed, lower-cased.
    pub username: &'a str,
    /// The client's address (`-` when the API does not tell it).
    pub source: &'a str,
}

/// Login attempts per username and source address, known or not (so that a lockout reveals
/// nothing), counted atomically before the password is checked, so that parallel guesses cannot
/// pass the lockout.
#[async_trait]
pub trait LoginAttemptStore: Send + Sync {
    /// Counts an attempt of `key` if it may check its password at `now`: no lock holds and
    /// fewer attempts were counted than allowed (`first_allowance` until a lock raises it; the
    /// count is forgotten a day after the last attempt).
    async fn admit(&self, key: LoginKey<'_>, now: Timestamp, first_allowance: u32) -> Result<Admission, InfraError>;
    /// Records that `attempt` failed and earned a lock until `until` (a longer lock already set is
    /// kept): one more attempt is allowed once it lapses.
    async fn lock(&self, key: LoginKey<'_>, attempt: u32, until: Timestamp) -> Result<(), InfraError>;
    /// Forgets the attempts at `username` from `source` (after a success there), or from every
    /// source with `None` (a password set or reset, an administrator's unlock).
    async fn clear_login_failures(&self, username: &str, source: Option<&str>) -> Result<(), InfraError>;
}

/// Single-use password-change grants, stored under their token's hash.
#[async_trait]
pub trait GrantStore: Send + Sync {
    /// Stores a password-change grant under its token's hash.
    async fn store_grant(&self, token: &TokenHash, grant: &ChangeGrant) -> Result<(), InfraError>;
    /// The grant of a token, if stored and not lapsed at `now`.
    async fn grant(&self, token: &TokenHash, now: Timestamp) -> Result<Option<ChangeGrant>, InfraError>;
    /// Deletes the grant of a token: false when it was already gone (used by another call).
    async fn consume_grant(&self, token: &TokenHash) -> Result<bool, InfraError>;
    /// Stores a reset grant as the account's latest: every earlier reset token stops working.
    async fn store_reset(&self, token: &TokenHash, grant: &ChangeGrant) -> Result<(), InfraError>;
    /// The hash of the account's latest reset token, if not lapsed at `now`.
    async fn latest_reset(&self, username: &Username, now: Timestamp) -> Result<Option<TokenHash>, InfraError>;
}
