//! Lambda entry point of the web pages.

use accreditation::config::Config;
use lambda_http::{Error, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_http::tracing::init_default_subscriber();
    let site = web::Site::new(&Config::from_env()?)?;
    let site = &site;
    run(service_fn(|request| web::handler(site, request))).await
}
