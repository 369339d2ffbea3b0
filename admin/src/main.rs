//! Ops commands, against the local emulator or AWS (configured by the same environment variables
//! as the functions):
//!
//! - `admin bootstrap`: creates the DynamoDB table, the document bucket and the SES sender
//!   identity (`TABLE_NAME`, `DOCUMENT_BUCKET`, `SENDER_EMAIL`, `AWS_REGION`, `AWS_ENDPOINT_URL`,
//!   `UPLOAD_ALLOWED_ORIGINS`). Idempotent: existing resources are kept.
//! - `admin operator --username <u> --email <e> [--language it|en]`: creates an operator account
//!   and emails its initial credentials; nothing secret is printed.

use std::process::ExitCode;

use accreditation::{
    adapters::bootstrap,
    app::{Wiring, s3_client, sdk_config},
    domain::{Email, Language, Username},
    http::error_chain,
    ports::{CreateAccountError, InfraError},
    services::{operator::create_operator, postman::Delivery},
};

const USAGE: &str =
    "usage:\n  admin bootstrap\n  admin operator --username <username> --email <address> [--language it|en]";

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("bootstrap") if args.len() == 1 => run_bootstrap().await,
        Some("operator") => run_operator(&args[1..]).await,
        Some("--help" | "-h" | "help") => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        _ => Err(USAGE.to_string()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("admin: {message}");
            ExitCode::FAILURE
        }
    }
}

fn var(name: &str) -> Result<String, String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty()).ok_or_else(|| format!("{name} is not set"))
}

fn infra(what: &'static str) -> impl Fn(InfraError) -> String {
    move |e| format!("{what}: {}", error_chain(&e))
}

async fn run_bootstrap() -> Result<(), String> {
    let table = var("TABLE_NAME")?;
    let bucket = var("DOCUMENT_BUCKET")?;
    let sender = var("SENDER_EMAIL")?;
    let region = var("AWS_REGION").unwrap_or_else(|_| "eu-south-1".into());
    let origins: Vec<String> = var("UPLOAD_ALLOWED_ORIGINS")
        .unwrap_or_else(|_| "*".into())
        .split(',')
        .map(|o| o.trim().to_string())
        .filter(|o| !o.is_empty())
        .collect();
    let endpoint = var("AWS_ENDPOINT_URL").ok();
    let sdk = sdk_config(&region, endpoint.as_deref()).await;
    bootstrap::create_table(&aws_sdk_dynamodb::Client::new(&sdk), &table).await.map_err(infra("table"))?;
    println!("table   {table}");
    bootstrap::create_bucket(&s3_client(&sdk, endpoint.is_some()), &bucket, &region, &origins)
        .await
        .map_err(infra("bucket"))?;
    println!("bucket  {bucket} (browser uploads allowed from {})", origins.join(", "));
    bootstrap::verify_sender(&aws_sdk_sesv2::Client::new(&sdk), &sender).await.map_err(infra("sender"))?;
    println!("sender  {sender}");
    Ok(())
}

/// The value after `--name` in `args`.
fn option<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).map(String::as_str)
}

async fn run_operator(args: &[String]) -> Result<(), String> {
    let known = ["--username", "--email", "--language"];
    if !args.len().is_multiple_of(2) || args.iter().step_by(2).any(|a| !known.contains(&a.as_str())) {
        return Err(USAGE.to_string());
    }
    let username = option(args, "--username").ok_or(USAGE)?;
    let username = Username::parse(username)
        .ok_or_else(|| format!("{username:?} is not a username (3-64 of a-z, 0-9, '.', '-', '_')"))?;
    let email = option(args, "--email").ok_or(USAGE)?;
    let email = Email::parse(email).map_err(|_| format!("{email:?} is not an email address"))?;
    let language = match option(args, "--language").unwrap_or("it") {
        "it" => Language::It,
        "en" => Language::En,
        other => return Err(format!("--language must be it or en, not {other:?}")),
    };
    let wiring = Wiring::from_env().await.map_err(|e| e.to_string())?;
    let postman = wiring.postman().map_err(|e| e.to_string())?;
    match create_operator(
        wiring.store().as_ref(),
        &postman,
        wiring.clock.as_ref(),
        username.clone(),
        email.clone(),
        language,
    )
    .await
    {
        Ok(Delivery::Sent) => {
            println!("operator {username} created; the initial credentials were emailed to {email}");
            Ok(())
        }
        Ok(_) => {
            println!("operator {username} created; the credentials email is queued and will be retried (see the logs)");
            Ok(())
        }
        Err(CreateAccountError::UsernameTaken) => Err(format!("the username {username} is taken")),
        Err(CreateAccountError::Infra(e)) => Err(format!("could not create the operator: {}", error_chain(&e))),
    }
}
