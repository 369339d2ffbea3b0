//! `admin bootstrap`: creates the DynamoDB table, the document bucket and the SES sender identity
//! named by the environment (`TABLE_NAME`, `DOCUMENT_BUCKET`, `SENDER_EMAIL`, `AWS_REGION`,
//! `AWS_ENDPOINT_URL`, `UPLOAD_ALLOWED_ORIGINS`). Idempotent: existing resources are kept.

use std::process::ExitCode;

use accreditation::{adapters::bootstrap, app::Clients, http::error_chain, ports::InfraError};

const USAGE: &str = "usage: admin bootstrap";

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["bootstrap"] => run_bootstrap().await,
        ["--help" | "-h" | "help"] => {
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
    let fail = |what: &'static str| move |e: InfraError| format!("{what}: {}", error_chain(&e));
    let clients =
        Clients::connect(&region, var("AWS_ENDPOINT_URL").ok().as_deref()).await.map_err(fail("AWS clients"))?;
    bootstrap::create_table(&clients.dynamodb, &table).await.map_err(fail("table"))?;
    println!("table   {table}");
    bootstrap::create_bucket(&clients.s3, &bucket, &region, &origins).await.map_err(fail("bucket"))?;
    println!("bucket  {bucket} (browser uploads allowed from {})", origins.join(", "));
    bootstrap::verify_sender(&clients.ses, &sender).await.map_err(fail("sender"))?;
    println!("sender  {sender}");
    Ok(())
}
