//! CAPTCHA checks of submissions.

use async_trait::async_trait;

use super::InfraError;

/// The outcome of a CAPTCHA check.
#[derive(Debug, Clone, PartialEq)]
pub enum CaptchaVerdict {
    /// A human, probably.
    Passed,
    /// Refused, with the reason for the logs (never shown in detail to the client).
    Failed(String),
}

/// Checks CAPTCHA answers.
#[async_trait]
pub trait CaptchaVerifier: Send + Sync {
    /// Verifies `token`, answered from `remote_ip`.
    async fn verify(&self, token: &str, remote_ip: Option<&str>) -> Result<CaptchaVerdict, InfraError>;
}
