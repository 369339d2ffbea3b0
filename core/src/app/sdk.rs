//! The SDK's configuration for a Lambda: explicit timeouts and retries, and one HTTPS client
//! shared by every SDK client of the function.

use std::sync::atomic::{AtomicBool, Ordering};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_smithy_runtime_api::{
    box_error::BoxError,
    client::{
        connector_metadata::ConnectorMetadata,
        http::{HttpClient, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector},
        runtime_components::{RuntimeComponents, RuntimeComponentsBuilder},
    },
};
use aws_smithy_types::config_bag::ConfigBag;

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

#[cfg(test)]
mod tests {
    use std::sync::{Arc, atomic::AtomicUsize};

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
