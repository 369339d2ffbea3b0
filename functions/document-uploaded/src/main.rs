//! Lambda entry point of the S3 `ObjectCreated` trigger.

use accreditation::app::App;
use lambda_runtime::{Error, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let app = App::from_env().await?;
    let service = app.applicant.as_ref();
    run(service_fn(|event| document_uploaded::handler(service, event))).await
}
