//! Start-up wiring: configuration, secrets and SDK clients built once per cold start, then the
//! services. Each function asks [`Wiring`] only for the service it serves, so that its binary links
//! only the SDK clients that service uses (with LTO, the rest is never compiled in).

mod sdk;

pub use sdk::{AwsTimeouts, aws_timeouts, https_client, s3_client, sdk_config};

use std::{collections::HashMap, sync::Arc};

use aws_config::SdkConfig;
use aws_credential_types::provider::SharedCredentialsProvider;

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
