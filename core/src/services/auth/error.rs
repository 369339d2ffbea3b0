//! Why a login step failed.

use crate::{domain::WeakReason, ports::InfraError};

/// Why authentication failed.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// Wrong username or password (never says which).
    #[error("invalid credentials")]
    InvalidCredentials,
    /// The temporary password was right but has lapsed.
    #[error("temporary password expired")]
    TemporaryPasswordExpired,
    /// Too many failures: retry after this many seconds.
    #[error("account locked")]
    Locked(i64),
    /// The change token is unknown, used or lapsed.
    #[error("invalid change token")]
    InvalidChangeToken,
    /// The reset token is unknown, used, replaced by a newer one or lapsed.
    #[error("invalid reset token")]
    InvalidResetToken,
    /// The session's login is older than [`FRESH_LOGIN`]: adding an authenticator needs a new one.
    #[error("reauthentication required")]
    ReauthenticationRequired,
    /// A second factor is already enrolled (an administrator resets it).
    #[error("already enrolled")]
    AlreadyEnrolled,
    /// The second factor's code is wrong or was already used.
    #[error("invalid code")]
    InvalidCode,
    /// The token between password and second factor is unknown, used or lapsed.
    #[error("invalid mfa token")]
    InvalidMfaToken,
    /// Too many requests from this source or for this account: retry after this many seconds.
    #[error("rate limited")]
    RateLimited(i64),
    /// No valid session token.
    #[error("not authenticated")]
    Unauthenticated,
    /// The new password is refused.
    #[error("weak password")]
    WeakPassword(Vec<WeakReason>),
    /// Infrastructure failure.
    #[error(transparent)]
    Infra(#[from] InfraError),
}
