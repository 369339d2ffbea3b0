//! Login and password changes: sessions for permanent passwords, a forced change for temporary
//! ones, the same answer and time for wrong usernames and passwords, and lockouts. One module per
//! step, in the order a login runs: `login`, `code` (the second factor), `password`.

mod code;
mod commands;
mod error;
mod login;
mod outcomes;
mod password;

pub use commands::{ChangeAuthority, ChangeBy, Login, MfaAnswer, PasswordChange};
pub use error::AuthError;
pub use outcomes::{ChangeRequired, LoginOutcome, MfaChallenge, MfaCompleted, MfaEnrolment};
pub(crate) use password::{PasswordSetter, SetError};

use std::sync::Arc;

use secrecy::SecretString;

use super::{
    limits::{Limit, Limiter},
    passwords::PasswordHasher,
    policy::{CHANGE_TOKEN_TTL, FIRST_LOCK, FRESH_LOGIN, MAX_FAILURES, MFA_TOKEN_TTL, lock_duration},
    postman::Postman,
    second_factor::{self, Authenticators},
    sessions::{Claims, LiveSessions, PreviousLogin, Session},
};
use crate::{
    domain::{
        Account, AccountEvent, Authentication, ChangeGrant, EmailKind, GrantPurpose, NewPassword, OutboxEmail,
        PasswordContext, PasswordState, Role, SecondFactor, SecretToken, Timestamp, TokenHash, Username, WeakReason,
    },
    ports::{AccountStore, Admission, Clock, GrantStore, InfraError, LoginAttemptStore, LoginKey, TransitionError},
};

/// Longest username or password read (longer input is refused as wrong, after the same work).
const MAX_INPUT: usize = 1024;
/// The source of a login when the API does not tell the client's address.
const UNKNOWN_SOURCE: &str = "-";

/// The stores the auth service reads and writes.
#[derive(Clone)]
pub struct AuthPorts {
    /// Accounts.
    pub accounts: Arc<dyn AccountStore>,
    /// Failed logins.
    pub attempts: Arc<dyn LoginAttemptStore>,
    /// Password-change grants.
    pub grants: Arc<dyn GrantStore>,
    /// The limits per source address and per username.
    pub limiter: Limiter,
}

/// Login and password changes.
pub struct AuthService {
    accounts: Arc<dyn AccountStore>,
    attempts: Arc<dyn LoginAttemptStore>,
    grants: Arc<dyn GrantStore>,
    limiter: Limiter,
    hasher: PasswordHasher,
    sessions: LiveSessions,
    authenticators: Authenticators,
    postman: Postman,
    clock: Arc<dyn Clock>,
}

impl AuthService {
    /// Wires the service.
    pub fn new(
        ports: AuthPorts,
        hasher: PasswordHasher,
        sessions: LiveSessions,
        authenticators: Authenticators,
        postman: Postman,
        clock: Arc<dyn Clock>,
    ) -> Self {
        let AuthPorts { accounts, attempts, grants, limiter } = ports;
        Self { accounts, attempts, grants, limiter, hasher, sessions, authenticators, postman, clock }
    }

    /// The claims of a valid session token whose session is still open.
    pub async fn session(&self, token: Option<&str>) -> Result<Claims, AuthError> {
        self.sessions.live(token, self.clock.now()).await?.ok_or(AuthError::Unauthenticated)
    }

    /// `POST /auth/logout`: ends the session of `token` on the server (again, if already ended).
    pub async fn logout(&self, token: Option<&str>) -> Result<(), AuthError> {
        match self.sessions.end(token, self.clock.now()).await? {
            Some(username) => {
                tracing::info!(event = "logout", username = %username, outcome = "ended", "session ended");
                Ok(())
            }
            None => Err(AuthError::Unauthenticated),
        }
    }
}
