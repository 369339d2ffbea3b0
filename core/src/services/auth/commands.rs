//! What the login steps are asked: the typed commands the edge reads from the API's bodies
//! (`crate::wire::auth`).

use secrecy::SecretString;

use super::Claims;

/// `POST /auth/login` as read at the edge.
pub struct Login {
    /// The username as typed.
    pub username: String,
    /// The password as typed.
    pub password: SecretString,
    /// The client's address, when the API tells it.
    pub source_ip: Option<String>,
}

/// `POST /auth/mfa` as read at the edge.
pub struct MfaAnswer {
    /// The token of the login's answer.
    pub mfa_token: String,
    /// The authenticator's code, or a recovery code.
    pub code: String,
    /// The client's address, when the API tells it.
    pub source_ip: Option<String>,
}

/// `POST /auth/password` as read at the edge: the new password and what allows the change.
pub struct PasswordChange {
    /// The password chosen.
    pub new_password: SecretString,
    /// What allows the change.
    pub by: ChangeBy,
}

/// What a password change body offers as its authority.
pub enum ChangeBy {
    /// `change_token`: from a login with a temporary password, or an activation link.
    Token(String),
    /// `current_password`, with the session of the `Authorization` header.
    CurrentPassword(SecretString),
}

/// How a password change is authorised.
pub enum ChangeAuthority {
    /// The token given by a login with a temporary password, or an activation link.
    Grant(String),
    /// A session, with the current password.
    Session {
        /// The session's claims.
        claims: Claims,
        /// The current password.
        current_password: SecretString,
    },
}
