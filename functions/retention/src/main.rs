//! Lambda entry point of the scheduled retention sweep.

use accreditation::app::Wiring;
use lambda_runtime::{Error, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let service = Wiring::from_env().await?.retention()?;
    let retention = &service;
    run(service_fn(|event| retention::handler(retention, event))).await
}
