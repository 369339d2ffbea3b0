//! What a login step answers: a session, or the next step it needs.

use serde::Serialize;

use super::Session;

/// The answer when a password must be changed before any session.
#[derive(Debug, Serialize)]
pub struct ChangeRequired {
    /// Always `password_change_required`.
    pub status: &'static str,
    /// Single-use token for `POST /auth/password`.
    pub change_token: String,
    /// Seconds until it lapses.
    pub expires_in: i64,
}

/// The answer when a second factor must follow the password.
#[derive(Debug, Serialize)]
pub struct MfaChallenge {
    /// Always `second_factor_required`.
    pub status: &'static str,
    /// The token for `POST /auth/mfa`.
    pub mfa_token: String,
    /// Seconds until it lapses.
    pub expires_in: i64,
}

/// The answer when an operator must enrol an authenticator before any session.
#[derive(Debug, Serialize)]
pub struct MfaEnrolment {
    /// Always `mfa_enrolment_required`.
    pub status: &'static str,
    /// The token for `POST /auth/mfa`, with the first code.
    pub mfa_token: String,
    /// The TOTP secret, base32.
    pub secret: String,
    /// The `otpauth://totp/...` URI the QR code shows.
    pub otpauth_uri: String,
    /// That QR code, an SVG document.
    pub qr_svg: String,
    /// Seconds until it lapses.
    pub expires_in: i64,
}

/// The outcome of a correct login.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum LoginOutcome {
    /// A session.
    Authenticated(Session),
    /// No session until the password is changed.
    ChangeRequired(ChangeRequired),
    /// No session until the second factor is given.
    SecondFactorRequired(MfaChallenge),
    /// No session until an authenticator is enrolled.
    MfaEnrolmentRequired(MfaEnrolment),
}

/// The session answer of a completed second factor; after an enrolment, with the recovery codes
/// (shown this once).
#[derive(Debug, Serialize)]
pub struct MfaCompleted {
    /// The session.
    #[serde(flatten)]
    pub session: Session,
    /// The ten single-use recovery codes of a new enrolment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recovery_codes: Option<Vec<String>>,
}
