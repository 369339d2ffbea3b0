//! Lambda entry point of the scheduled outbox sweep.

use accreditation::app::Wiring;
use lambda_runtime::{Error, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let service = Wiring::from_env().await?.postman()?;
    let postman = &service;
    run(service_fn(|event| mailer::handler(postman, event))).await
}
