//! Configuration read once at cold start from environment variables.

use secrecy::SecretString;
use time::Duration;

use crate::{
    domain::EidasCountries,
    services::{credentials::CredentialDelivery, limits::RateLimits},
};

/// Shortest session signing key accepted, in bytes.
pub const MIN_SIGNING_KEY: usize = 32;

/// Region used when `AWS_REGION` is not set (Milan).
pub const DEFAULT_REGION: &str = "eu-south-1";

/// The secrets a deployment reads from SSM Parameter Store: `<NAME>_PARAMETER` names the
/// SecureString parameter holding `<NAME>` (see [`crate::app::resolve_secrets`]).
pub const SECRET_VARIABLES: [&str; 4] = ["SESSION_SIGNING_KEY", "CAPTCHA_SECRET", "MFA_SECRET_KEY", "SUBJECT_KEY"];
/// The `iss` of session tokens unless `SESSION_ISSUER` says (a local stack).
pub const DEFAULT_SESSION_ISSUER: &str = "foreign-user-accreditation";
/// The `aud` of session tokens unless `SESSION_AUDIENCE` says.
pub const DEFAULT_SESSION_AUDIENCE: &str = "foreign-user-accreditation-api";

/// Default reCAPTCHA verification endpoint.
pub const RECAPTCHA_VERIFY_URL: &str = "https://www.google.com/recaptcha/api/siteverify";

/// Everything the functions need to know about their environment.
#[derive(Debug, Clone)]
pub struct Config {
    /// AWS region (`AWS_REGION`, default `eu-south-1`).
    pub region: String,
    /// A local emulator's endpoint (`AWS_ENDPOINT_URL`), when not talking to AWS.
    pub endpoint_url: Option<String>,
    /// The DynamoDB table (`TABLE_NAME`).
    pub table_name: String,
    /// The S3 bucket for identity documents (`DOCUMENT_BUCKET`).
    pub bucket_name: String,
    /// The verified SES sender (`SENDER_EMAIL`).
    pub sender_email: String,
    /// The SES configuration set publishing bounces and complaints (`SES_CONFIGURATION_SET`).
    pub ses_configuration_set: Option<String>,
    /// How CAPTCHA answers are checked.
    pub captcha: CaptchaConfig,
    /// Version of the privacy notice the form shows (`PRIVACY_NOTICE_VERSION`).
    pub privacy_notice_version: String,
    /// Where the form links the privacy notice (`PRIVACY_NOTICE_URL`); the service's own
    /// `/privacy` page when unset.
    pub privacy_notice_url: Option<String>,
    /// Citizenships refused in favour of eIDAS (`EIDAS_COUNTRIES` overrides the shipped list).
    pub eidas_countries: EidasCountries,
    /// How long a request waits for its document (`REQUEST_TTL_HOURS`, default 24).
    pub request_ttl: Duration,
    /// Delay before an unsent email is retried (`OUTBOX_RETRY_SECONDS`, default 60; doubles).
    pub outbox_retry: Duration,
    /// Attempts before an email is given up and left for operators (`OUTBOX_MAX_ATTEMPTS`, default 8).
    pub outbox_max_attempts: u32,
    /// The portal's login page, put in credential emails (`LOGIN_URL`).
    pub login_url: String,
    /// The password reset page, whose links the reset emails carry (`RESET_URL`; by default
    /// `LOGIN_URL` with `reset` for its last path segment: `https://host/login` → `https://host/reset`).
    pub reset_url: String,
    /// How long temporary passwords and activation links work (`CREDENTIALS_VALIDITY_DAYS`, default 7).
    pub credentials_validity: Duration,
    /// `CREDENTIALS_DELIVERY`: `password` (default) or `activation_link` (OWASP ASVS 2.5.1).
    pub credentials_delivery: CredentialDelivery,
    /// Key in the document bucket of the PDF form attached to requests for information
    /// (`INFO_REQUEST_FORM_KEY`, optional).
    pub info_form_key: Option<String>,
    /// The key signing session tokens and cursors (`SESSION_SIGNING_KEY`, at least 32 bytes);
    /// only the functions that log users in or check sessions need it.
    pub session_signing_key: Option<SecretString>,
    /// The key sealing the TOTP secrets of second factors in the table (`MFA_SECRET_KEY`, at least
    /// 32 bytes; SSM in AWS): a table dump does not reveal them.
    pub mfa_secret_key: Option<SecretString>,
    /// The `iss` of session tokens (`SESSION_ISSUER`; the template's: `foreign-users-<stage>`).
    pub session_issuer: String,
    /// The `aud` of session tokens (`SESSION_AUDIENCE`; the template's: `foreign-users-<stage>-api`).
    pub session_audience: String,
    /// The OpenID Connect provider's settings.
    pub oidc: OidcConfig,
    /// How long identity documents are kept after the decision (`DOCUMENT_RETENTION_DAYS`, default
    /// 30: the bucket's lifecycle deletes them; the privacy notice states it).
    pub document_retention: Duration,
    /// How long rejected requests keep their personal data after the rejection
    /// (`REJECTED_RETENTION_DAYS`, default 90: time to contest the decision).
    pub rejected_retention: Duration,
    /// The rate limits (`RATE_LIMITS`: the defaults changed by `<name>=<count>/<seconds>,...`).
    pub rate_limits: RateLimits,
}

/// The OpenID Connect provider's settings (only its function needs the keys).
#[derive(Debug, Clone)]
pub struct OidcConfig {
    /// The issuer (`ISSUER_URL`, the public base URL, no trailing slash; by default the origin of
    /// `LOGIN_URL`).
    pub issuer: String,
    /// The KMS key signing ID tokens (`OIDC_SIGNING_KEY`: id, ARN or alias).
    pub signing_key: Option<String>,
    /// The previous signing key, still published during a rotation (`OIDC_PREVIOUS_SIGNING_KEY`).
    pub previous_signing_key: Option<String>,
    /// The key of pairwise subject identifiers (`SUBJECT_KEY`, at least 32 bytes; SSM in AWS).
    pub subject_key: Option<SecretString>,
    /// How long access tokens work (`OIDC_ACCESS_TOKEN_SECONDS`, default 300).
    pub access_token_ttl: Duration,
    /// How long ID tokens are valid (`OIDC_ID_TOKEN_SECONDS`, default 300).
    pub id_token_ttl: Duration,
    /// How long a single sign-on session, and the refresh tokens it gave, last (`OIDC_SSO_HOURS`, default 8).
    pub sso_ttl: Duration,
}

/// How CAPTCHA answers are checked.
#[derive(Debug, Clone)]
pub enum CaptchaConfig {
    /// `CAPTCHA_MODE=off`: any token is accepted (local development only; warned at cold start).
    Off,
    /// reCAPTCHA siteverify.
    Recaptcha(RecaptchaConfig),
}

/// reCAPTCHA v3 verification settings.
#[derive(Debug, Clone)]
pub struct RecaptchaConfig {
    /// The secret key (`CAPTCHA_SECRET`); only the function taking submissions needs it.
    pub secret: Option<SecretString>,
    /// Siteverify endpoint (`CAPTCHA_VERIFY_URL`).
    pub verify_url: String,
    /// Hostnames the token may come from (`CAPTCHA_HOSTNAMES`, comma-separated).
    pub hostnames: Vec<String>,
    /// Expected action (`CAPTCHA_ACTION`, default `submit_request`).
    pub action: String,
    /// Lowest score accepted (`CAPTCHA_MIN_SCORE`, default 0.5).
    pub min_score: f64,
    /// The public site key the form's reCAPTCHA script runs with (`RECAPTCHA_SITE_KEY`); only the
    /// function serving the pages needs it.
    pub site_key: Option<String>,
}

/// The configuration is unusable; the message names every variable at fault.
#[derive(thiserror::Error)]
#[error("invalid configuration: {}", .0.join("; "))]
pub struct ConfigError(Vec<String>);

impl std::fmt::Debug for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        crate::http::debug_as_chain(self, f)
    }
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads variables through `lookup`, reporting every missing or invalid one at once.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let mut problems = Vec::new();
        let get = |name: &str| lookup(name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        let table_name = required(&get, "TABLE_NAME", &mut problems);
        let bucket_name = required(&get, "DOCUMENT_BUCKET", &mut problems);
        let sender_email = required(&get, "SENDER_EMAIL", &mut problems);
        let privacy_notice_version = required(&get, "PRIVACY_NOTICE_VERSION", &mut problems);

        let captcha = match get("CAPTCHA_MODE").as_deref() {
            Some("off") => CaptchaConfig::Off,
            None | Some("recaptcha") => {
                let hostnames: Vec<String> = get("CAPTCHA_HOSTNAMES")
                    .unwrap_or_default()
                    .split(',')
                    .map(|h| h.trim().to_string())
                    .filter(|h| !h.is_empty())
                    .collect();
                if hostnames.is_empty() {
                    problems.push("CAPTCHA_HOSTNAMES is not set (the form's hostnames, comma-separated)".into());
                }
                let min_score = parse_number(&get, "CAPTCHA_MIN_SCORE", 0.5, &mut problems);
                if !(0.0..=1.0).contains(&min_score) {
                    problems.push("CAPTCHA_MIN_SCORE must be between 0 and 1".into());
                }
                CaptchaConfig::Recaptcha(RecaptchaConfig {
                    secret: get("CAPTCHA_SECRET").map(SecretString::from),
                    verify_url: get("CAPTCHA_VERIFY_URL").unwrap_or_else(|| RECAPTCHA_VERIFY_URL.into()),
                    hostnames,
                    action: get("CAPTCHA_ACTION").unwrap_or_else(|| "submit_request".into()),
                    min_score,
                    site_key: get("RECAPTCHA_SITE_KEY"),
                })
            }
            Some(other) => {
                problems.push(format!("CAPTCHA_MODE must be `recaptcha` or `off`, not {other:?}"));
                CaptchaConfig::Off
            }
        };

        let eidas_countries = match lookup("EIDAS_COUNTRIES") {
            Some(list) => EidasCountries::parse_override(&list).unwrap_or_else(|e| {
                problems.push(format!("EIDAS_COUNTRIES: {e}"));
                EidasCountries::shipped()
            }),
            None => EidasCountries::shipped(),
        };
        let request_ttl_hours = parse_number(&get, "REQUEST_TTL_HOURS", 24u32, &mut problems);
        let outbox_retry_seconds = parse_number(&get, "OUTBOX_RETRY_SECONDS", 60u32, &mut problems);
        let outbox_max_attempts = parse_number(&get, "OUTBOX_MAX_ATTEMPTS", 8u32, &mut problems);
        let login_url = required(&get, "LOGIN_URL", &mut problems);
        let reset_url =
            get("RESET_URL").filter(|url| !url.trim().is_empty()).unwrap_or_else(|| beside(&login_url, "reset"));
        let credentials_days = parse_number(&get, "CREDENTIALS_VALIDITY_DAYS", 7u32, &mut problems);
        let credentials_delivery = match get("CREDENTIALS_DELIVERY").as_deref() {
            None | Some("password") => CredentialDelivery::TemporaryPassword,
            Some("activation_link") => CredentialDelivery::ActivationLink,
            Some(other) => {
                problems.push(format!("CREDENTIALS_DELIVERY must be `password` or `activation_link`, not {other:?}"));
                CredentialDelivery::TemporaryPassword
            }
        };
        let mfa_secret_key = get("MFA_SECRET_KEY");
        if mfa_secret_key.as_ref().is_some_and(|k| k.len() < MIN_SIGNING_KEY) {
            problems.push(format!("MFA_SECRET_KEY must have at least {MIN_SIGNING_KEY} bytes"));
        }
        let session_signing_key = get("SESSION_SIGNING_KEY");
        if session_signing_key.as_ref().is_some_and(|k| k.len() < MIN_SIGNING_KEY) {
            problems.push(format!("SESSION_SIGNING_KEY must have at least {MIN_SIGNING_KEY} bytes"));
        }
        let subject_key = get("SUBJECT_KEY");
        if subject_key.as_ref().is_some_and(|k| k.len() < MIN_SIGNING_KEY) {
            problems.push(format!("SUBJECT_KEY must have at least {MIN_SIGNING_KEY} bytes"));
        }
        let issuer = get("ISSUER_URL").unwrap_or_else(|| origin_of(&login_url)).trim_end_matches('/').to_string();
        let loopback = issuer.starts_with("http://127.0.0.1") || issuer.starts_with("http://localhost");
        if !(issuer.is_empty() || issuer.starts_with("https://") || loopback) {
            problems.push("ISSUER_URL must be an https URL (http only on a loopback address)".into());
        }
        let oidc = OidcConfig {
            issuer,
            signing_key: get("OIDC_SIGNING_KEY"),
            previous_signing_key: get("OIDC_PREVIOUS_SIGNING_KEY"),
            subject_key: subject_key.map(SecretString::from),
            access_token_ttl: Duration::seconds(
                parse_number(&get, "OIDC_ACCESS_TOKEN_SECONDS", 300u32, &mut problems).into(),
            ),
            id_token_ttl: Duration::seconds(parse_number(&get, "OIDC_ID_TOKEN_SECONDS", 300u32, &mut problems).into()),
            sso_ttl: Duration::hours(parse_number(&get, "OIDC_SSO_HOURS", 8u32, &mut problems).into()),
        };

        let document_retention_days = parse_number(&get, "DOCUMENT_RETENTION_DAYS", 30u32, &mut problems);
        let rejected_retention_days = parse_number(&get, "REJECTED_RETENTION_DAYS", 90u32, &mut problems);
        let rate_limits = RateLimits::parse(&get("RATE_LIMITS").unwrap_or_default()).unwrap_or_else(|e| {
            problems.push(format!("RATE_LIMITS: {e}"));
            RateLimits::default()
        });

        if !problems.is_empty() {
            return Err(ConfigError(problems));
        }
        Ok(Self {
            region: get("AWS_REGION").unwrap_or_else(|| DEFAULT_REGION.into()),
            endpoint_url: get("AWS_ENDPOINT_URL"),
            table_name,
            bucket_name,
            sender_email,
            ses_configuration_set: get("SES_CONFIGURATION_SET"),
            captcha,
            privacy_notice_version,
            privacy_notice_url: get("PRIVACY_NOTICE_URL"),
            eidas_countries,
            request_ttl: Duration::hours(request_ttl_hours.into()),
            outbox_retry: Duration::seconds(outbox_retry_seconds.into()),
            outbox_max_attempts: outbox_max_attempts.max(1),
            login_url,
            reset_url,
            credentials_validity: Duration::days(credentials_days.into()),
            credentials_delivery,
            info_form_key: get("INFO_REQUEST_FORM_KEY"),
            session_signing_key: session_signing_key.map(SecretString::from),
            mfa_secret_key: mfa_secret_key.map(SecretString::from),
            session_issuer: get("SESSION_ISSUER").unwrap_or_else(|| DEFAULT_SESSION_ISSUER.into()),
            session_audience: get("SESSION_AUDIENCE").unwrap_or_else(|| DEFAULT_SESSION_AUDIENCE.into()),
            oidc,
            document_retention: Duration::days(document_retention_days.into()),
            rejected_retention: Duration::days(rejected_retention_days.into()),
            rate_limits,
        })
    }
}

fn required(get: &impl Fn(&str) -> Option<String>, name: &str, problems: &mut Vec<String>) -> String {
    get(name).unwrap_or_else(|| {
        problems.push(format!("{name} is not set"));
        String::new()
    })
}

fn parse_number<T: std::str::FromStr>(
    get: &impl Fn(&str) -> Option<String>,
    name: &str,
    default: T,
    problems: &mut Vec<String>,
) -> T {
    match get(name) {
        None => default,
        Some(text) => text.parse().unwrap_or_else(|_| {
            problems.push(format!("{name} must be a number, not {text:?}"));
            default
        }),
    }
}

/// The scheme and authority of `url` (`https://host:port/login` → `https://host:port`).
fn origin_of(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => format!("{scheme}://{}", rest.split(['/', '?', '#']).next().unwrap_or_default()),
        None => url.to_string(),
    }
}

/// `url` with `page` for its last path segment (query and fragment dropped).
fn beside(url: &str, page: &str) -> String {
    let base = url.split(['?', '#']).next().unwrap_or_default();
    match base.rsplit_once('/') {
        Some((directory, _))
            if directory.contains("://") && directory.split("://").nth(1).is_some_and(|h| !h.is_empty()) =>
        {
            format!("{directory}/{page}")
        }
        _ => format!("{}/{page}", base.trim_end_matches('/')),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn lookup(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |name| map.get(name).cloned()
    }

    const BASE: [(&str, &str); 5] = [
        ("TABLE_NAME", "t"),
        ("DOCUMENT_BUCKET", "b"),
        ("SENDER_EMAIL", "noreply@example.org"),
        ("PRIVACY_NOTICE_VERSION", "2026-01"),
        ("LOGIN_URL", "https://portal.example.org/login"),
    ];

    #[test]
    fn the_reset_page_sits_beside_the_login_page_unless_configured() {
        assert_eq!(beside("https://portal.example.org/login", "reset"), "https://portal.example.org/reset");
        assert_eq!(beside("http://127.0.0.1:9000/login?x=1#y", "reset"), "http://127.0.0.1:9000/reset");
        assert_eq!(beside("https://portal.example.org", "reset"), "https://portal.example.org/reset");
        assert_eq!(beside("https://portal.example.org/it/accesso", "reset"), "https://portal.example.org/it/reset");
    }

    #[test]
    fn every_missing_variable_is_named_at_once() {
        let error = Config::from_lookup(lookup(&[])).unwrap_err().to_string();
        for name in ["TABLE_NAME", "DOCUMENT_BUCKET", "SENDER_EMAIL", "PRIVACY_NOTICE_VERSION", "CAPTCHA_HOSTNAMES"] {
            assert!(error.contains(name), "{name} not in {error}");
        }
    }

    #[test]
    fn a_failed_cold_start_reads_in_words() {
        let error = Config::from_lookup(lookup(&[])).unwrap_err();
        let words = error.to_string();
        assert!(words.starts_with("invalid configuration: TABLE_NAME is not set; "), "{words}");
        assert_eq!(format!("{error:?}"), words, "what a failed main prints");
        assert_eq!(format!("{:?}", crate::app::StartupError::from(error)), words);
    }

    #[test]
    fn captcha_is_on_unless_explicitly_off() {
        let mut vars = BASE.to_vec();
        vars.extend([("CAPTCHA_SECRET", "s"), ("CAPTCHA_HOSTNAMES", "form.example.org, localhost")]);
        let config = Config::from_lookup(lookup(&vars)).unwrap();
        let CaptchaConfig::Recaptcha(recaptcha) = config.captcha else { panic!("captcha must be on") };
        assert_eq!(recaptcha.hostnames, ["form.example.org", "localhost"]);
        assert_eq!(recaptcha.verify_url, RECAPTCHA_VERIFY_URL);
        assert_eq!(config.region, "eu-south-1");
        assert_eq!(config.request_ttl, Duration::hours(24));

        let mut off = BASE.to_vec();
        off.push(("CAPTCHA_MODE", "off"));
        assert!(matches!(Config::from_lookup(lookup(&off)).unwrap().captcha, CaptchaConfig::Off));

        let mut typo = BASE.to_vec();
        typo.push(("CAPTCHA_MODE", "of"));
        assert!(Config::from_lookup(lookup(&typo)).unwrap_err().to_string().contains("CAPTCHA_MODE"));
    }

    #[test]
    fn bad_numbers_and_country_lists_are_refused() {
        let mut vars = BASE.to_vec();
        vars.extend([
            ("CAPTCHA_MODE", "off"),
            ("REQUEST_TTL_HOURS", "a day"),
            ("EIDAS_COUNTRIES", "DE,XX"),
            ("SESSION_SIGNING_KEY", "too short"),
            ("CREDENTIALS_DELIVERY", "pigeon"),
        ]);
        let error = Config::from_lookup(lookup(&vars)).unwrap_err().to_string();
        for name in ["REQUEST_TTL_HOURS", "EIDAS_COUNTRIES", "SESSION_SIGNING_KEY", "CREDENTIALS_DELIVERY"] {
            assert!(error.contains(name), "{name} not in {error}");
        }
    }
}
