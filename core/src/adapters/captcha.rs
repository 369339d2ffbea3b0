//! CAPTCHA checks: Google reCAPTCHA v3 siteverify, or none at all in local development.

use async_trait::async_trait;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use tokio::sync::OnceCell;

use crate::{
    config::RecaptchaConfig,
    ports::{CaptchaVerdict, CaptchaVerifier, InfraError},
};

/// Verifies tokens with reCAPTCHA's siteverify API.
pub struct Recaptcha {
    /// Made by the first check: building it loads and parses the system's root certificates again
    /// (the AWS clients load their own; about 18 million instructions, 4 ms of CPU on an x86_64
    /// test machine), which only a submission needs, so the cold start does not pay it and the
    /// first submission does, beside its TLS handshake with Google.
    http: OnceCell<reqwest::Client>,
    secret: SecretString,
    config: RecaptchaConfig,
}

impl Recaptcha {
    /// A verifier with a 5-second timeout per check; `config` must hold the secret.
    pub fn new(config: RecaptchaConfig) -> Result<Self, InfraError> {
        let secret = config.secret.clone().ok_or_else(|| InfraError::Unexpected("no CAPTCHA secret".into(), None))?;
        Ok(Self { http: OnceCell::new(), secret, config })
    }

    async fn http(&self) -> Result<&reqwest::Client, InfraError> {
        self.http
            .get_or_try_init(|| async {
                reqwest::Client::builder()
                    .timeout(std::time::Duration::from_secs(5))
                    .build()
                    .map_err(|e| InfraError::unexpected("building the reCAPTCHA HTTP client", e))
            })
            .await
    }
}

/// The siteverify answer (reCAPTCHA v3).
#[derive(Debug, Deserialize)]
struct SiteVerify {
    success: bool,
    #[serde(default)]
    score: Option<f64>,
    #[serde(default)]
    action: Option<String>,
    #[serde(default)]
    hostname: Option<String>,
    #[serde(default, rename = "error-codes")]
    error_codes: Vec<String>,
}

impl SiteVerify {
    fn verdict(&self, config: &RecaptchaConfig) -> CaptchaVerdict {
        if !self.success {
            return CaptchaVerdict::Failed(format!("not successful: {:?}", self.error_codes));
        }
        match self.hostname.as_deref() {
            Some(host) if config.hostnames.iter().any(|h| h == host) => {}
            other => return CaptchaVerdict::Failed(format!("unexpected hostname {other:?}")),
        }
        if self.action.as_deref() != Some(config.action.as_str()) {
            return CaptchaVerdict::Failed(format!("unexpected action {:?}", self.action));
        }
        match self.score {
            Some(score) if score >= config.min_score => CaptchaVerdict::Passed,
            score => CaptchaVerdict::Failed(format!("score {score:?} below {}", config.min_score)),
        }
    }
}

#[async_trait]
impl CaptchaVerifier for Recaptcha {
    async fn verify(&self, token: &str, remote_ip: Option<&str>) -> Result<CaptchaVerdict, InfraError> {
        let mut form = vec![("secret", self.secret.expose_secret()), ("response", token)];
        if let Some(ip) = remote_ip {
            form.push(("remoteip", ip));
        }
        let response = self
            .http()
            .await?
            .post(&self.config.verify_url)
            .form(&form)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| InfraError::Unavailable("reCAPTCHA", Box::new(e)))?;
        let answer: SiteVerify =
            response.json().await.map_err(|e| InfraError::Unavailable("reCAPTCHA", Box::new(e)))?;
        Ok(answer.verdict(&self.config))
    }
}

/// `CAPTCHA_MODE=off`: accepts every token. Only for local development.
pub struct CaptchaDisabled;

#[async_trait]
impl CaptchaVerifier for CaptchaDisabled {
    async fn verify(&self, _token: &str, _remote_ip: Option<&str>) -> Result<CaptchaVerdict, InfraError> {
        Ok(CaptchaVerdict::Passed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> RecaptchaConfig {
        RecaptchaConfig {
            secret: Some(SecretString::from("s")),
            verify_url: String::new(),
            hostnames: vec!["form.example.org".into()],
            action: "submit_request".into(),
            min_score: 0.5,
            site_key: None,
        }
    }

    fn answer(success: bool, score: f64, action: &str, hostname: &str) -> SiteVerify {
        SiteVerify {
            success,
            score: Some(score),
            action: Some(action.into()),
            hostname: Some(hostname.into()),
            error_codes: vec![],
        }
    }

    #[test]
    fn passes_only_when_success_hostname_action_and_score_all_match() {
        let config = config();
        assert_eq!(answer(true, 0.9, "submit_request", "form.example.org").verdict(&config), CaptchaVerdict::Passed);
        assert_eq!(answer(true, 0.5, "submit_request", "form.example.org").verdict(&config), CaptchaVerdict::Passed);
        for refused in [
            answer(false, 0.9, "submit_request", "form.example.org"),
            answer(true, 0.9, "submit_request", "evil.example.org"),
            answer(true, 0.9, "login", "form.example.org"),
            answer(true, 0.4, "submit_request", "form.example.org"),
        ] {
            assert!(matches!(refused.verdict(&config), CaptchaVerdict::Failed(_)), "{refused:?}");
        }
    }
}
