//! Lambda entry point of the OpenID Connect provider.

use accreditation::app::Wiring;
use lambda_http::{Error, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_http::tracing::init_default_subscriber();
    let provider = Wiring::from_env().await?.provider()?;
    let provider = &provider;
    run(service_fn(|request| oidc::handler(provider, request))).await
}
