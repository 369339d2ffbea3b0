//! Lambda entry point of the applicant API.

use accreditation::app::App;
use lambda_http::{Error, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_http::tracing::init_default_subscriber();
    let app = App::from_env().await?;
    let service = app.applicant.as_ref();
    run(service_fn(|request| requests::handler(service, request))).await
}
