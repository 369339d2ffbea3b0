//! Start-up wiring: configuration, secrets and SDK clients built once per cold start, then the
//! services. Each function asks [`Wiring`] only for the service it serves, so that its binary links
//! only the SDK clients that service uses (with LTO, the rest is never compiled in).

use std::{
    collections::HashMap,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_smithy_runtime_api::{
    box_error::BoxError,
    client::{
        connector_metadata::ConnectorMetadata,
        http::{HttpClient, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector},
        runtime_components::{RuntimeComponents, RuntimeComponentsBuilder},
    },
};
use aws_smithy_types::config_bag::ConfigBag;

use crate::{
    adapters::{
        captcha::{CaptchaDisabled, Recaptcha},
        dynamodb::DynamoStore,
        kms::KmsSigner,
        s3::S3DocumentStore,
        ses::SesMailer,
        ssm,
    },
    config::{CaptchaConfig, Config, ConfigError, SECRET_VARIABLES},
    ports::{AccountStore, CaptchaVerifier, Clock, InfraError, SystemClock},
    services::{
        acceptance::DocumentAcceptance,
        applicant::{ApplicantPorts, ApplicantService, ApplicantSettings},
        auth::{AuthPorts, AuthService},
        credentials::{CredentialIssuer, CredentialSettings},
        delivery_reports::DeliveryReports,
        id_tokens::{IdTokens, PairwiseSubjects},
        limits::Limiter,
        operator::OperatorService,
        passwords::PasswordHasher,
        postman::{Postman, PostmanPorts, PostmanSettings},
        provider::{OpenIdProvider, ProviderPorts, ProviderSettings},
        recovery::{PasswordRecovery, RecoveryPorts},
        retention::{Retention, RetentionPorts},
        second_factor::Authenticators,
        sessions::{LiveSessions, Sessions},
    },
};

/// The function cannot start.
#[derive(thiserror::Error)]
pub enum StartupError {
    /// Bad or missing configuration.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A client could not be built or a secret could not be read.
    #[error(transparent)]
    Infra(#[from] InfraError),
    /// A variable this function needs is not set.
    #[error("{0} is not set")]
    Missing(&'static str),
}

impl std::fmt::Debug for StartupError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        crate::http::debug_as_chain(self, f)
    }
}

/// The SDK configuration for `region` (and an emulator's `endpoint_url`), with credentials from
/// the environment's default chain.
///
/// Timeouts and retries are explicit, sized for a Lambda answering through API Gateway (which gives
/// up after 29 s) within its own timeout (10 to 15 s for the API functions, `infra/template.yaml`).
/// The SDK's defaults set no operation timeout at all, so one call that hangs would hold the
/// function until Lambda kills it, and API Gateway answers a killed function with a `500`:
/// - connect: 1 s (a TCP or TLS handshake with a regional endpoint takes milliseconds);
/// - each attempt: 2 s (DynamoDB answers in milliseconds, SES in about 100 ms, and the largest S3
///   call, the copy of a 3 MiB document, well under a second);
/// - standard retry mode, 3 attempts in all, with jittered exponential backoff from 100 ms up to
///   1 s (the default 1 s base, up to 20 s, suits batch jobs, not a person waiting);
/// - the whole operation, retries included: 5 s, so a handler with one failing dependency still
///   answers `429`/`503` itself, well inside its timeout.
///
/// Throttling, `5xx`, dropped connections and timed-out attempts are retried (the retry of a
/// transaction carries the same `ClientRequestToken`, so DynamoDB does not apply it twice).
///
/// Against an emulator (`endpoint_url` set) the timeouts are ten times longer: moto serialises
/// DynamoDB calls and, on a loaded 2-core test machine, one can take seconds where AWS takes
/// milliseconds; the fault tests put the AWS timeouts back ([`aws_timeouts`]) to exercise them.
pub async fn sdk_config(region: &str, endpoint_url: Option<&str>) -> SdkConfig {
    use aws_config::retry::RetryConfig;
    use std::time::Duration;
    let timeouts = if endpoint_url.is_some() { aws_timeouts().scale(10) } else { aws_timeouts() };
    let retries = RetryConfig::standard()
        .with_max_attempts(3)
        .with_initial_backoff(Duration::from_millis(100))
        .with_max_backoff(Duration::from_secs(1));
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .http_client(https_client())
        .region(Region::new(region.to_string()))
        .timeout_config(timeouts.config())
        .retry_config(retries);
    if let Some(endpoint) = endpoint_url {
        loader = loader.endpoint_url(endpoint);
    }
    loader.load().await
}

/// The HTTPS client of every SDK client built from one [`sdk_config`] (and of its credential
/// providers): the SDK's default one (hyper 1.x, rustls with aws-lc, the proxy of the environment),
/// made once and shared.
///
/// Left to itself, every SDK client (and the STS client of the default credentials chain) makes
/// a default client of its own when it is built, and checks it by building a TLS connector: the
/// system's root certificates parsed into a trust store, about 0.7 million instructions each time
/// (`Wiring` builds a DynamoDB client per port: `auth` built 16 clients at its cold start, 10
/// million instructions, a third of its start-up), then another connector on its first call,
/// with a connection pool of its own. Shared, the check runs for the first client only, the first
/// call builds the one connector every client then uses, and clients of the same service share
/// connections. (The certificates themselves are read from the system once per process, by the
/// SDK, whichever client asks first.)
pub fn https_client() -> SharedHttpClient {
    use aws_smithy_http_client::{ConnectorBuilder, proxy::ProxyConfig, tls};
    // As `aws_smithy_runtime::client::http::default_https_client` makes it for the latest
    // behaviour version.
    let client = aws_smithy_http_client::Builder::new().build_with_connector_fn(|settings, components| {
        let mut connector =
            ConnectorBuilder::default().tls_provider(tls::Provider::Rustls(tls::rustls_provider::CryptoMode::AwsLc));
        connector.set_connector_settings(settings.cloned());
        if let Some(components) = components {
            connector.set_sleep_impl(components.sleep_impl());
        }
        connector.set_proxy_config(Some(ProxyConfig::from_env()));
        connector.build()
    });
    SharedHttpClient::new(CheckedOnce { client, checked: AtomicBool::new(false) })
}

/// An HTTP client whose check at each SDK client's construction runs once.
#[derive(Debug)]
struct CheckedOnce {
    client: SharedHttpClient,
    checked: AtomicBool,
}

impl HttpClient for CheckedOnce {
    fn http_connector(&self, settings: &HttpConnectorSettings, components: &RuntimeComponents) -> SharedHttpConnector {
        self.client.http_connector(settings, components)
    }

    fn validate_base_client_config(
        &self,
        components: &RuntimeComponentsBuilder,
        cfg: &ConfigBag,
    ) -> Result<(), BoxError> {
        if self.checked.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        self.client.validate_base_client_config(components, cfg)
    }

    fn validate_final_config(&self, components: &RuntimeComponents, cfg: &ConfigBag) -> Result<(), BoxError> {
        self.client.validate_final_config(components, cfg)
    }

    fn connector_metadata(&self) -> Option<ConnectorMetadata> {
        self.client.connector_metadata()
    }
}

/// The timeouts of the AWS calls on AWS (see [`sdk_config`]): connect 1 s, each attempt 2 s, the
/// whole operation with its retries 5 s.
pub fn aws_timeouts() -> AwsTimeouts {
    AwsTimeouts { connect: 1, attempt: 2, operation: 5 }
}

/// The timeouts of the AWS calls, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AwsTimeouts {
    /// TCP and TLS connection.
    pub connect: u64,
    /// Each attempt.
    pub attempt: u64,
    /// The whole operation, retries included.
    pub operation: u64,
}

impl AwsTimeouts {
    /// Every timeout `factor` times longer.
    pub fn scale(self, factor: u64) -> Self {
        Self { connect: self.connect * factor, attempt: self.attempt * factor, operation: self.operation * factor }
    }

    /// As the SDK takes them.
    pub fn config(self) -> aws_config::timeout::TimeoutConfig {
        use std::time::Duration;
        aws_config::timeout::TimeoutConfig::builder()
            .connect_timeout(Duration::from_secs(self.connect))
            .operation_attempt_timeout(Duration::from_secs(self.attempt))
            .operation_timeout(Duration::from_secs(self.operation))
            .build()
    }
}

/// An S3 client; `path_style` against an emulator (no per-bucket host names there).
pub fn s3_client(sdk: &SdkConfig, path_style: bool) -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(sdk).force_path_style(path_style).build())
}

/// Configuration, SDK configuration and clock: what every service is built from.
#[derive(Clone)]
pub struct Wiring {
    /// The configuration.
    pub config: Config,
    /// The SDK configuration (region, endpoint, credentials).
    pub sdk: SdkConfig,
    /// The time.
    pub clock: Arc<dyn Clock>,
}

impl Wiring {
    /// The cold start of every function: reads the environment, replaces each `<SECRET>_PARAMETER`
    /// (an SSM SecureString name) by the secret it holds, and parses the configuration.
    pub async fn from_env() -> Result<Self, StartupError> {
        let mut vars: HashMap<String, String> = std::env::vars().collect();
        let region = vars.get("AWS_REGION").cloned().unwrap_or_else(|| crate::config::DEFAULT_REGION.into());
        let sdk = sdk_config(&region, vars.get("AWS_ENDPOINT_URL").map(String::as_str)).await;
        resolve_secrets(&sdk, &mut vars).await?;
        let config = Config::from_lookup(|name| vars.get(name).cloned())?;
        Ok(Self { config, sdk, clock: Arc::new(SystemClock) })
    }

    /// The DynamoDB adapter (requests, accounts, outbox).
    pub fn store(&self) -> Arc<DynamoStore> {
        Arc::new(DynamoStore::new(aws_sdk_dynamodb::Client::new(&self.sdk), &self.config.table_name))
    }

    /// The S3 adapter of the document bucket (path-style addressing against an emulator).
    pub fn documents(&self) -> Result<Arc<S3DocumentStore>, StartupError> {
        let credentials: SharedCredentialsProvider = self
            .sdk
            .credentials_provider()
            .ok_or_else(|| InfraError::Unexpected("no AWS credentials provider configured".into(), None))?;
        let endpoint = self.config.endpoint_url.as_deref();
        Ok(Arc::new(S3DocumentStore::new(
            s3_client(&self.sdk, endpoint.is_some()),
            credentials,
            &self.config.bucket_name,
            &self.config.region,
            endpoint,
        )))
    }

    /// The CAPTCHA check of submissions.
    pub fn captcha(&self) -> Result<Arc<dyn CaptchaVerifier>, StartupError> {
        Ok(match &self.config.captcha {
            CaptchaConfig::Off => {
                tracing::warn!(
                    "CAPTCHA_MODE=off: every CAPTCHA token is accepted. Never use this setting outside local development."
                );
                Arc::new(CaptchaDisabled)
            }
            CaptchaConfig::Recaptcha(recaptcha) if recaptcha.secret.is_none() => {
                return Err(StartupError::Missing("CAPTCHA_SECRET (or CAPTCHA_SECRET_PARAMETER)"));
            }
            CaptchaConfig::Recaptcha(recaptcha) => Arc::new(Recaptcha::new(recaptcha.clone())?),
        })
    }

    /// The session token signer and checker.
    pub fn session_tokens(&self) -> Result<Sessions, StartupError> {
        let key = self.config.session_signing_key.clone();
        let key = key.ok_or(StartupError::Missing("SESSION_SIGNING_KEY (or SESSION_SIGNING_KEY_PARAMETER)"))?;
        Ok(Sessions::new(key, &self.config.session_issuer, &self.config.session_audience))
    }

    /// Sessions kept in the table, checked by every reader of a session.
    pub fn sessions(&self) -> Result<LiveSessions, StartupError> {
        let store = self.store();
        Ok(LiveSessions::new(self.session_tokens()?, store.clone(), store))
    }

    /// The outbox sender: DynamoDB, S3 (attachments) and SES.
    pub fn postman(&self) -> Result<Postman, StartupError> {
        let store = self.store();
        let mailer = SesMailer::new(
            aws_sdk_sesv2::Client::new(&self.sdk),
            &self.config.sender_email,
            self.config.ses_configuration_set.clone(),
        );
        let ports = PostmanPorts {
            outbox: store.clone(),
            requests: store.clone(),
            accounts: store,
            credentials: self.credentials()?,
            documents: self.documents()?,
            mailer: Arc::new(mailer),
            clock: self.clock.clone(),
        };
        let config = &self.config;
        Ok(Postman::new(
            ports,
            PostmanSettings {
                retry_base: config.outbox_retry,
                max_attempts: config.outbox_max_attempts,
                info_form_key: config.info_form_key.clone(),
            },
        ))
    }

    /// The issuer of temporary passwords and activation links.
    pub fn credentials(&self) -> Result<CredentialIssuer, StartupError> {
        let settings = CredentialSettings {
            login_url: self.config.login_url.clone(),
            validity: self.config.credentials_validity,
            delivery: self.config.credentials_delivery,
            reset_url: self.config.reset_url.clone(),
        };
        let store = self.store();
        Ok(CredentialIssuer::new(store.clone(), store, PasswordHasher::new()?, self.clock.clone(), settings))
    }

    /// The applicant's use cases, taking submissions (so checking their CAPTCHA).
    pub fn applicant(&self) -> Result<ApplicantService, StartupError> {
        let settings = ApplicantSettings {
            privacy_notice_version: self.config.privacy_notice_version.clone(),
            eidas: self.config.eidas_countries.clone(),
            request_ttl: self.config.request_ttl,
        };
        let store = self.store();
        let ports = ApplicantPorts {
            requests: store.clone(),
            documents: self.documents()?,
            captcha: self.captcha()?,
            outbox: store,
            clock: self.clock.clone(),
        };
        Ok(ApplicantService::new(ports, self.document_acceptance()?, self.limiter(), settings))
    }

    /// The acceptance check of uploaded documents (the S3 trigger's, and the applicant's
    /// confirmation's).
    pub fn document_acceptance(&self) -> Result<DocumentAcceptance, StartupError> {
        Ok(DocumentAcceptance::new(self.store(), self.documents()?, self.postman()?, self.clock.clone()))
    }

    /// Login and password changes.
    pub fn auth(&self) -> Result<AuthService, StartupError> {
        let store = self.store();
        let ports =
            AuthPorts { accounts: store.clone(), attempts: store.clone(), grants: store, limiter: self.limiter() };
        let mfa_key = self.config.mfa_secret_key.as_ref();
        let authenticators =
            Authenticators::new(mfa_key.ok_or(StartupError::Missing("MFA_SECRET_KEY (or MFA_SECRET_KEY_PARAMETER)"))?);
        Ok(AuthService::new(
            ports,
            PasswordHasher::new()?,
            self.sessions()?,
            authenticators,
            self.postman()?,
            self.clock.clone(),
        ))
    }

    /// Forgotten passwords.
    pub fn recovery(&self) -> Result<PasswordRecovery, StartupError> {
        let store = self.store();
        let ports = RecoveryPorts {
            accounts: store.clone(),
            grants: store.clone(),
            attempts: store.clone(),
            outbox: store.clone(),
            limiter: self.limiter(),
            clock: self.clock.clone(),
        };
        Ok(PasswordRecovery::new(ports, PasswordHasher::new()?, self.postman()?))
    }

    /// The retention of personal data (the scheduled sweep, `admin erase`).
    pub fn retention(&self) -> Result<Retention, StartupError> {
        let store = self.store();
        let ports = RetentionPorts {
            requests: store.clone(),
            erasures: store,
            documents: self.documents()?,
            clock: self.clock.clone(),
        };
        Ok(Retention::new(ports, self.config.rejected_retention))
    }

    /// The rate limits, counted in the table.
    pub fn limiter(&self) -> Limiter {
        Limiter::new(self.store(), self.config.rate_limits.clone())
    }

    /// The operators' use cases.
    pub fn operator(&self) -> Result<OperatorService, StartupError> {
        let store = self.store();
        let documents = self.documents()?;
        Ok(OperatorService::new(store.clone(), store, documents, self.postman()?, self.sessions()?, self.clock.clone()))
    }

    /// The OpenID Connect provider, signing with the KMS key of `OIDC_SIGNING_KEY`.
    pub fn provider(&self) -> Result<OpenIdProvider, StartupError> {
        let oidc = &self.config.oidc;
        let key = oidc.signing_key.as_deref().ok_or(StartupError::Missing("OIDC_SIGNING_KEY"))?;
        let subject_key = oidc.subject_key.clone();
        let subject_key = subject_key.ok_or(StartupError::Missing("SUBJECT_KEY (or SUBJECT_KEY_PARAMETER)"))?;
        let signer = KmsSigner::new(aws_sdk_kms::Client::new(&self.sdk), key, oidc.previous_signing_key.as_deref());
        let store = self.store();
        let ports =
            ProviderPorts { store: store.clone(), accounts: store.clone(), requests: store, clock: self.clock.clone() };
        let settings = ProviderSettings {
            issuer: oidc.issuer.clone(),
            login_url: self.config.login_url.clone(),
            access_token_ttl: oidc.access_token_ttl,
            id_token_ttl: oidc.id_token_ttl,
            sso_ttl: oidc.sso_ttl,
        };
        Ok(OpenIdProvider::new(
            ports,
            self.sessions()?,
            IdTokens::new(Arc::new(signer)),
            PairwiseSubjects::new(subject_key),
            settings,
        ))
    }

    /// Bounces and complaints recorded on the requests they concern.
    pub fn delivery_reports(&self) -> DeliveryReports {
        DeliveryReports::new(self.store(), self.clock.clone())
    }
}

/// Replaces every `<NAME>_PARAMETER` variable of [`SECRET_VARIABLES`] by `<NAME>`, read from SSM
/// Parameter Store (decrypted). Functions without such variables make no SSM call.
pub async fn resolve_secrets(sdk: &SdkConfig, vars: &mut HashMap<String, String>) -> Result<(), InfraError> {
    let wanted: Vec<(&str, String)> = SECRET_VARIABLES
        .iter()
        .filter_map(|name| vars.get(&format!("{name}_PARAMETER")).map(|parameter| (*name, parameter.clone())))
        .filter(|(_, parameter)| !parameter.trim().is_empty())
        .collect();
    if wanted.is_empty() {
        return Ok(());
    }
    let client = aws_sdk_ssm::Client::new(sdk);
    // At once, not in turn: each read is a round trip of the cold start (two for auth and oidc).
    let values = futures::future::try_join_all(
        wanted.iter().map(|(_, parameter)| ssm::secure_parameter(&client, parameter.trim())),
    )
    .await?;
    for ((name, _), value) in wanted.into_iter().zip(values) {
        vars.insert(name.to_string(), value);
    }
    Ok(())
}

/// Everything at once, for the ops commands and the tests.
#[derive(Clone)]
pub struct App {
    /// The applicant's use cases.
    pub applicant: Arc<ApplicantService>,
    /// The acceptance check of uploaded documents (the S3 trigger's).
    pub acceptance: Arc<DocumentAcceptance>,
    /// The outbox sender.
    pub postman: Postman,
    /// Login and password changes.
    pub auth: Arc<AuthService>,
    /// Forgotten passwords.
    pub recovery: Arc<PasswordRecovery>,
    /// The operators' use cases.
    pub operator: Arc<OperatorService>,
    /// Bounce and complaint recording.
    pub delivery_reports: Arc<DeliveryReports>,
    /// The OpenID Connect provider.
    pub provider: Arc<OpenIdProvider>,
    /// The retention of personal data.
    pub retention: Arc<Retention>,
    /// Sessions (the authorizer's check).
    pub sessions: LiveSessions,
    /// Accounts.
    pub accounts: Arc<dyn AccountStore>,
    /// The time.
    pub clock: Arc<dyn Clock>,
}

impl App {
    /// Every service of `wiring`.
    pub fn new(wiring: &Wiring) -> Result<Self, StartupError> {
        Ok(Self {
            applicant: Arc::new(wiring.applicant()?),
            acceptance: Arc::new(wiring.document_acceptance()?),
            postman: wiring.postman()?,
            auth: Arc::new(wiring.auth()?),
            recovery: Arc::new(wiring.recovery()?),
            operator: Arc::new(wiring.operator()?),
            delivery_reports: Arc::new(wiring.delivery_reports()),
            provider: Arc::new(wiring.provider()?),
            retention: Arc::new(wiring.retention()?),
            sessions: wiring.sessions()?,
            accounts: wiring.store(),
            clock: wiring.clock.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use super::*;

    /// Counts the checks it is asked for.
    #[derive(Debug, Default)]
    struct Counted(Arc<AtomicUsize>);

    impl HttpClient for Counted {
        fn http_connector(&self, _: &HttpConnectorSettings, _: &RuntimeComponents) -> SharedHttpConnector {
            unreachable!("no call is made")
        }

        fn validate_base_client_config(&self, _: &RuntimeComponentsBuilder, _: &ConfigBag) -> Result<(), BoxError> {
            self.0.fetch_add(1, Ordering::SeqCst);
            Ok(())
        }
    }

    #[test]
    fn the_shared_client_is_checked_for_the_first_sdk_client_only() {
        let checks = Arc::new(AtomicUsize::new(0));
        let client =
            CheckedOnce { client: SharedHttpClient::new(Counted(checks.clone())), checked: AtomicBool::new(false) };
        let sdk = SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("eu-south-1"))
            .http_client(client)
            .build();
        let _clients =
            (aws_sdk_dynamodb::Client::new(&sdk), aws_sdk_dynamodb::Client::new(&sdk), s3_client(&sdk, true));
        assert_eq!(checks.load(Ordering::SeqCst), 1);
    }
}
