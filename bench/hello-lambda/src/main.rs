//! The cold-start floor of `scripts/coldstart.py`: a `lambda_http` function that answers every
//! request `200 hello`, started exactly as the real functions start (`functions/*/src/main.rs`:
//! the default tracing subscriber, then `lambda_http::run`) and built with the workspace's release
//! profile, so that a function's init minus this one's is the function's own start-up.
//!
//! `cargo build --release -p hello-lambda` (with the flags `cargo lambda build` gives the
//! functions: `scripts/coldstart.py` says which).

use lambda_http::{Body, Error, Request, Response, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_http::tracing::init_default_subscriber();
    run(service_fn(hello)).await
}

async fn hello(_request: Request) -> Result<Response<Body>, Error> {
    Ok(Response::builder().status(200).header("content-type", "text/plain").body(Body::from("hello"))?)
}
