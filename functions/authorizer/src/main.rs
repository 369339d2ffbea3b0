//! Lambda entry point of the operators' API authorizer.

use accreditation::{app::Wiring, domain::Timestamp};
use lambda_runtime::{Error, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let sessions = Wiring::from_env().await?.sessions()?;
    let sessions = &sessions;
    run(service_fn(|event| authorizer::handler(sessions, Timestamp::now(), event))).await
}
