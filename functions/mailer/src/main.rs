//! Lambda entry point of the scheduled outbox sweep.

use accreditation::app::App;
use lambda_runtime::{Error, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let app = App::from_env().await?;
    let postman = &app.postman;
    run(service_fn(|event| mailer::handler(postman, event))).await
}
