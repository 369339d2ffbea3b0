//! How a person authenticated: the methods a session was made with.

use serde::{Deserialize, Serialize};

/// How a person authenticated for a session: recorded when the session opens (in its token, then
/// in the single sign-on session and the grants it leads to), never worked out later from the
/// account, which may have changed since. ID tokens say it as `acr` and `amr` (RFC 8176).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Authentication {
    /// A password (what a session token issued before this was recorded is taken for).
    #[default]
    Password,
    /// A password and a TOTP code (or a recovery code).
    PasswordAndCode,
}

impl Authentication {
    /// The `acr` value.
    pub fn acr(self) -> &'static str {
        match self {
            Self::Password => ACR_PASSWORD,
            Self::PasswordAndCode => ACR_TWO_FACTORS,
        }
    }

    /// The `amr` values.
    pub fn amr(self) -> Vec<&'static str> {
        match self {
            Self::Password => vec!["pwd"],
            Self::PasswordAndCode => vec!["pwd", "otp", "mfa"],
        }
    }
}

/// `acr` of a login with a password alone.
pub const ACR_PASSWORD: &str = "urn:it:lavoro:utente-estero:loa:password";
/// `acr` of a login with a password and a second factor.
pub const ACR_TWO_FACTORS: &str = "urn:it:lavoro:utente-estero:loa:two-factors";
