//! Start-up wiring shared by every function: configuration, SDK clients built once, services.

use std::sync::Arc;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::SharedCredentialsProvider;

use crate::{
    adapters::{
        captcha::{CaptchaDisabled, Recaptcha},
        dynamodb::DynamoStore,
        s3::S3DocumentStore,
        ses::SesMailer,
    },
    config::{CaptchaConfig, Config, ConfigError},
    ports::{AccountStore, CaptchaVerifier, Clock, InfraError, SystemClock},
    services::{
        applicant::{ApplicantService, ApplicantSettings},
        auth::AuthService,
        operator::OperatorService,
        passwords::PasswordHasher,
        postman::{Postman, PostmanPorts, PostmanSettings},
        sessions::Sessions,
    },
};

/// The AWS SDK clients, created once per cold start and shared by every invocation.
#[derive(Clone)]
pub struct Clients {
    /// DynamoDB.
    pub dynamodb: aws_sdk_dynamodb::Client,
    /// S3 (path-style addressing against an emulator).
    pub s3: aws_sdk_s3::Client,
    /// SES v2.
    pub ses: aws_sdk_sesv2::Client,
    /// The credentials the clients use (also signs browser uploads).
    pub credentials: SharedCredentialsProvider,
}

impl Clients {
    /// The clients for `config`'s region and endpoint.
    pub async fn new(config: &Config) -> Result<Self, InfraError> {
        Self::connect(&config.region, config.endpoint_url.as_deref()).await
    }

    /// Loads the SDK configuration for `region` (and an emulator's `endpoint_url`), with
    /// credentials from the environment's default chain, and builds the clients.
    pub async fn connect(region: &str, endpoint_url: Option<&str>) -> Result<Self, InfraError> {
        let mut loader = aws_config::defaults(BehaviorVersion::latest()).region(Region::new(region.to_string()));
        if let Some(endpoint) = endpoint_url {
            loader = loader.endpoint_url(endpoint);
        }
        let sdk: SdkConfig = loader.load().await;
        let credentials = sdk
            .credentials_provider()
            .ok_or_else(|| InfraError::Unexpected("no AWS credentials provider configured".into(), None))?;
        let s3_config = aws_sdk_s3::config::Builder::from(&sdk).force_path_style(endpoint_url.is_some()).build();
        Ok(Self {
            dynamodb: aws_sdk_dynamodb::Client::new(&sdk),
            s3: aws_sdk_s3::Client::from_conf(s3_config),
            ses: aws_sdk_sesv2::Client::new(&sdk),
            credentials,
        })
    }
}

/// Everything a function may need, built from the configuration and the clients.
#[derive(Clone)]
pub struct App {
    /// The applicant's use cases.
    pub applicant: Arc<ApplicantService>,
    /// The outbox sender.
    pub postman: Postman,
    /// Login and password changes (when `SESSION_SIGNING_KEY` is set).
    pub auth: Option<Arc<AuthService>>,
    /// The operators' use cases (when `SESSION_SIGNING_KEY` is set).
    pub operator: Option<Arc<OperatorService>>,
    /// Accounts (ops commands).
    pub accounts: Arc<dyn AccountStore>,
    /// The time.
    pub clock: Arc<dyn Clock>,
}

/// The function cannot start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// Bad or missing configuration.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A client could not be built.
    #[error(transparent)]
    Infra(#[from] InfraError),
    /// A variable this function needs is not set.
    #[error("{0} is not set")]
    Missing(&'static str),
}

impl App {
    /// Reads the environment and wires everything (the cold start of every function).
    pub async fn from_env() -> Result<Self, StartupError> {
        let config = Config::from_env()?;
        let clients = Clients::new(&config).await?;
        Ok(Self::new(&config, &clients)?)
    }

    /// Wires the services of `config` onto `clients`.
    pub fn new(config: &Config, clients: &Clients) -> Result<Self, InfraError> {
        Self::with_clock(config, clients, Arc::new(SystemClock))
    }

    /// Like [`App::new`], with a given clock (tests move time with it).
    pub fn with_clock(config: &Config, clients: &Clients, clock: Arc<dyn Clock>) -> Result<Self, InfraError> {
        let store = Arc::new(DynamoStore::new(clients.dynamodb.clone(), &config.table_name));
        let documents = Arc::new(S3DocumentStore::new(
            clients.s3.clone(),
            clients.credentials.clone(),
            &config.bucket_name,
            &config.region,
            config.endpoint_url.as_deref(),
        ));
        let mailer = Arc::new(SesMailer::new(clients.ses.clone(), &config.sender_email));
        let captcha: Arc<dyn CaptchaVerifier> = match &config.captcha {
            CaptchaConfig::Off => {
                tracing::warn!(
                    "CAPTCHA_MODE=off: every CAPTCHA token is accepted. Never use this setting outside local development."
                );
                Arc::new(CaptchaDisabled)
            }
            CaptchaConfig::Recaptcha(recaptcha) => Arc::new(Recaptcha::new(recaptcha.clone())?),
        };
        let hasher = PasswordHasher::new()?;
        let ports = PostmanPorts {
            outbox: store.clone(),
            requests: store.clone(),
            accounts: store.clone(),
            documents: documents.clone(),
            mailer,
            hasher: hasher.clone(),
            clock: clock.clone(),
        };
        let postman = Postman::new(
            ports,
            PostmanSettings {
                retry_base: config.outbox_retry,
                max_attempts: config.outbox_max_attempts,
                login_url: config.login_url.clone(),
                credentials_validity: config.credentials_validity,
                delivery: config.credentials_delivery,
                info_form_key: config.info_form_key.clone(),
            },
        );
        let settings = ApplicantSettings {
            privacy_notice_version: config.privacy_notice_version.clone(),
            eidas: config.eidas_countries.clone(),
            request_ttl: config.request_ttl,
        };
        let applicant =
            ApplicantService::new(store.clone(), documents.clone(), captcha, postman.clone(), clock.clone(), settings);
        let sessions = config.session_signing_key.clone().map(Sessions::new);
        let auth = sessions.clone().map(|sessions| {
            Arc::new(AuthService::new(store.clone(), hasher.clone(), sessions, postman.clone(), clock.clone()))
        });
        let operator = sessions.map(|sessions| {
            Arc::new(OperatorService::new(
                store.clone(),
                store.clone(),
                documents.clone(),
                postman.clone(),
                sessions,
                clock.clone(),
            ))
        });
        Ok(Self { applicant: Arc::new(applicant), postman, auth, operator, accounts: store, clock })
    }

    /// The login service, or why this function cannot offer it.
    pub fn require_auth(&self) -> Result<Arc<AuthService>, StartupError> {
        self.auth.clone().ok_or(StartupError::Missing("SESSION_SIGNING_KEY"))
    }

    /// The operators' service, or why this function cannot offer it.
    pub fn require_operator(&self) -> Result<Arc<OperatorService>, StartupError> {
        self.operator.clone().ok_or(StartupError::Missing("SESSION_SIGNING_KEY"))
    }
}
