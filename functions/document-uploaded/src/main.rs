//! Lambda entry point of the S3 `ObjectCreated` trigger.

use accreditation::app::Wiring;
use lambda_runtime::{Error, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let service = Wiring::from_env().await?.document_acceptance()?;
    let service = &service;
    run(service_fn(|event| document_uploaded::handler(service, event))).await
}
