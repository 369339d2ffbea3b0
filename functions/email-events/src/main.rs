//! Lambda entry point of SES bounce and complaint notifications.

use accreditation::app::Wiring;
use lambda_runtime::{Error, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let reports = Wiring::from_env().await?.delivery_reports();
    let reports = &reports;
    run(service_fn(|event| email_events::handler(reports, event))).await
}
