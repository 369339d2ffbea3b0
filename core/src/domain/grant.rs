//! Single-use grants of a login's next step (a password to choose, a second factor to give or to
//! enrol), stored under the hash of their token.

use serde::{Deserialize, Serialize};

use super::{Timestamp, Username};

/// What a grant allows: each token works only where it was issued for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GrantPurpose {
    /// `POST /auth/password` (a temporary or legacy password's login, an activation link).
    #[default]
    Change,
    /// `POST /auth/password-reset/confirm` (a forgotten password's emailed link).
    Reset,
    /// `POST /auth/mfa` after a correct password (the account's second factor).
    SecondFactor,
    /// `POST /auth/mfa` completing the enrolment of a new second factor.
    Enrolment,
}

/// A single-use permission to choose a password (after a temporary password, an activation link
/// or a reset link), stored under the hash of its token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeGrant {
    /// Whose password.
    pub username: Username,
    /// Where the token works.
    #[serde(default)]
    pub purpose: GrantPurpose,
    /// The sealed TOTP secret being enrolled ([`GrantPurpose::Enrolment`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_secret: Option<String>,
    /// The account's credential it was issued for ([`crate::domain::Account::credential`]): a grant of an older
    /// one is void.
    #[serde(default)]
    pub credential: u64,
    /// When it lapses.
    pub expires_at: Timestamp,
}
