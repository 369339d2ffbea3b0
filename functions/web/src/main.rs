//! Lambda entry point of the web pages.

use accreditation::config::Config;
use lambda_http::{Error, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_http::tracing::init_default_subscriber();
    // The reason in words in the init error's log line, not the variant's name.
    let site = web::Site::new(&Config::from_env()?).map_err(|e| e.to_string())?;
    let site = &site;
    run(service_fn(|request| web::handler(site, request))).await
}
