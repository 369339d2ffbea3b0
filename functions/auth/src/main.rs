//! Lambda entry point of login, logout, password changes and forgotten passwords.

use accreditation::app::Wiring;
use lambda_http::{Error, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_http::tracing::init_default_subscriber();
    let wiring = Wiring::from_env().await?;
    let (auth, recovery) = (wiring.auth()?, wiring.recovery()?);
    let (auth, recovery) = (&auth, &recovery);
    run(service_fn(|request| auth::handler(auth::Services { auth, recovery }, request))).await
}
