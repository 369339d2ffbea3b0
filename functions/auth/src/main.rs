//! Lambda entry point of login and password changes.

use accreditation::app::Wiring;
use lambda_http::{Error, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_http::tracing::init_default_subscriber();
    let service = Wiring::from_env().await?.auth()?;
    let service = &service;
    run(service_fn(|request| auth::handler(service, request))).await
}
