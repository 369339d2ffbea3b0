//! Lambda entry point of the applicant API.

use accreditation::app::Wiring;
use lambda_http::{Error, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_http::tracing::init_default_subscriber();
    let service = Wiring::from_env().await?.applicant()?;
    let service = &service;
    run(service_fn(|request| requests::handler(service, request))).await
}
