//! Lambda entry point of the operators' API.

use accreditation::app::App;
use lambda_http::{Error, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_http::tracing::init_default_subscriber();
    let app = App::from_env().await?;
    let service = app.require_operator()?;
    let service = service.as_ref();
    run(service_fn(|request| operator::handler(service, request))).await
}
