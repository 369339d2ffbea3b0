//! Lambda entry point of the operators' API.

use accreditation::app::Wiring;
use lambda_http::{Error, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_http::tracing::init_default_subscriber();
    let service = Wiring::from_env().await?.operator()?;
    let service = &service;
    run(service_fn(|request| operator::handler(service, request))).await
}
