//! Lambda entry point of login and password changes.

use accreditation::app::App;
use lambda_http::{Error, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_http::tracing::init_default_subscriber();
    let app = App::from_env().await?;
    let service = app.require_auth()?;
    let service = service.as_ref();
    run(service_fn(|request| auth::handler(service, request))).await
}
