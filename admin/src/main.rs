//! Ops commands, against the local emulator or AWS (configured by the same environment variables
//! as the functions):
//!
//! - `admin bootstrap`: creates the DynamoDB table, the document bucket and the SES sender
//!   identity (`TABLE_NAME`, `DOCUMENT_BUCKET`, `SENDER_EMAIL`, `AWS_REGION`, `AWS_ENDPOINT_URL`,
//!   `UPLOAD_ALLOWED_ORIGINS`), and the KMS key signing ID tokens when `OIDC_SIGNING_KEY` names an
//!   alias. Idempotent: existing resources are kept.
//! - `admin operator --username <u> --email <e> [--language it|en]`: creates an operator account
//!   and emails its initial credentials; nothing secret is printed.
//! - `admin operator disable|enable|unlock|reset-mfa --username <u>`: disables an operator (every
//!   session ends at once), enables them again, lifts their lock, or removes their second factor
//!   (the next login enrols a new one); each written to the account's audit trail with the
//!   administrator (`ADMIN_ACTOR`, else the OS user).
//! - `admin client register --name <n> --redirect-uri <uri>... [--post-logout-redirect-uri <uri>...]
//!   [--public]`: registers an OpenID Connect relying party and prints its `client_id` and, this
//!   once, its `client_secret` (stored as a SHA-256); `admin client list`, `admin client disable
//!   --client-id <id>`, `admin client rotate-secret --client-id <id>` (prints the new secret once).
//! - `admin import-legacy <export.csv|export.jsonl> [--dry-run] [--report <path>]`: imports the old
//!   portal's accounts (`TABLE_NAME`); rows skipped or invalid go to the report
//!   (`<export>.report.csv` by default). Idempotent: a second run skips what the first imported.
//! - `admin legacy-dormant --days <n>`: lists (CSV) the imported accounts whose owner has not
//!   completed a first login within `n` days of the import, so their old hashes can be retired.
//! - `admin erase --reference <UE-YYYY-NNNNNN> [--ticket <text>]`: erases one person's request on
//!   their demand (GDPR art. 17): its personal data, documents, audit notes and, if approved, its
//!   account; keeps and prints the record of the decision and of the erasure.

use std::{
    io::Write,
    path::{Path, PathBuf},
    process::ExitCode,
    time::Instant,
};

use accreditation::{
    adapters::{bootstrap, dynamodb::DynamoStore},
    app::{Wiring, s3_client, sdk_config},
    config::DEFAULT_REGION,
    domain::{AdminAction, Email, Language, PasswordState, Timestamp, Username},
    http::error_chain,
    ports::{CreateAccountError, InfraError, LegacyAccountStore},
    services::{
        account_admin::{AdminError, administer},
        clients::{NewClient, register_client, rotate_secret, set_disabled},
        legacy_import::{Totals, import_file},
        operator::create_operator,
        postman::Delivery,
        retention::EraseError,
    },
};
use aws_sdk_dynamodb::config::retry::RetryConfig;

const USAGE: &str = "usage:
  admin bootstrap
  admin operator --username <username> --email <address> [--language it|en]
  admin operator disable|enable|unlock|reset-mfa --username <username>
  admin client register --name <name> --redirect-uri <uri> [--redirect-uri <uri>...] [--post-logout-redirect-uri <uri>...] [--public]
  admin client list
  admin client disable|enable|rotate-secret --client-id <id>
  admin import-legacy <export.csv|export.jsonl> [--dry-run] [--report <path>]
  admin legacy-dormant --days <n>
  admin erase --reference <reference> [--ticket <text>]";

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("bootstrap") if args.len() == 1 => run_bootstrap().await,
        Some("operator") if args.get(1).and_then(|a| AdminAction::parse(a)).is_some() => {
            run_administer(&args[1..]).await
        }
        Some("operator") => run_operator(&args[1..]).await,
        Some("client") => run_client(&args[1..]).await,
        Some("import-legacy") => run_import(&args[1..]).await,
        Some("legacy-dormant") => run_dormant(&args[1..]).await,
        Some("erase") => run_erase(&args[1..]).await,
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
    let region = var("AWS_REGION").unwrap_or_else(|_| DEFAULT_REGION.into());
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
    if let Ok(alias) = var("OIDC_SIGNING_KEY")
        && alias.starts_with("alias/")
    {
        bootstrap::create_signing_key(&aws_sdk_kms::Client::new(&sdk), &alias).await.map_err(infra("signing key"))?;
        println!("key     {alias} (RSA 2048, signs ID tokens)");
    }
    Ok(())
}

/// The value after `--name` in `args`.
fn option<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).map(String::as_str)
}

/// Every value after `--name` in `args`.
fn options(args: &[String], name: &str) -> Vec<String> {
    args.windows(2).filter(|pair| pair[0] == name).map(|pair| pair[1].clone()).collect()
}

async fn run_client(args: &[String]) -> Result<(), String> {
    let wiring = Wiring::from_env().await.map_err(|e| e.to_string())?;
    let store = wiring.store();
    let client_id = || option(args, "--client-id").ok_or_else(|| USAGE.to_string());
    match args.first().map(String::as_str) {
        Some("register") => {
            let known = ["--name", "--redirect-uri", "--post-logout-redirect-uri", "--public"];
            let mut rest = args[1..].iter();
            while let Some(arg) = rest.next() {
                if !known.contains(&arg.as_str()) || (arg != "--public" && rest.next().is_none()) {
                    return Err(USAGE.to_string());
                }
            }
            let new = NewClient {
                name: option(args, "--name").ok_or(USAGE)?,
                redirect_uris: options(args, "--redirect-uri"),
                post_logout_redirect_uris: options(args, "--post-logout-redirect-uri"),
                public: args.iter().any(|a| a == "--public"),
            };
            let (client, secret) =
                register_client(store.as_ref(), new, wiring.clock.now()).await.map_err(|e| error_chain(&e))?;
            println!("client_id      {}", client.client_id);
            match secret {
                Some(secret) => println!(
                    "client_secret  {}  (shown this once: keep it in the relying party's secret store)",
                    secret.expose()
                ),
                None => println!("public client: no secret, PKCE only"),
            }
            println!("redirect_uris  {}", client.redirect_uris.join(" "));
            Ok(())
        }
        Some("list") if args.len() == 1 => {
            println!("client_id,name,kind,disabled,redirect_uris,post_logout_redirect_uris,created_at");
            for client in
                accreditation::ports::ProviderStore::clients(store.as_ref()).await.map_err(infra("clients"))?
            {
                let kind = if client.secret.is_some() { "confidential" } else { "public" };
                println!(
                    "{},{},{kind},{},{},{},{}",
                    client.client_id,
                    client.name.replace(',', " "),
                    client.disabled,
                    client.redirect_uris.join(" "),
                    client.post_logout_redirect_uris.join(" "),
                    client.created_at
                );
            }
            Ok(())
        }
        Some(action @ ("disable" | "enable")) if args.len() == 3 => {
            let client =
                set_disabled(store.as_ref(), client_id()?, action == "disable").await.map_err(|e| error_chain(&e))?;
            println!("client {} {}", client.client_id, if client.disabled { "disabled" } else { "enabled" });
            Ok(())
        }
        Some("rotate-secret") if args.len() == 3 => {
            let secret = rotate_secret(store.as_ref(), client_id()?).await.map_err(|e| error_chain(&e))?;
            println!("client_secret  {}  (shown this once; the previous secret no longer works)", secret.expose());
            Ok(())
        }
        _ => Err(USAGE.to_string()),
    }
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

async fn run_administer(args: &[String]) -> Result<(), String> {
    let [word, flag, username] = args else { return Err(USAGE.to_string()) };
    let action = AdminAction::parse(word).ok_or(USAGE)?;
    if flag != "--username" {
        return Err(USAGE.to_string());
    }
    let username = Username::parse(username).ok_or_else(|| format!("{username:?} is not a username"))?;
    let actor = var("ADMIN_ACTOR").or_else(|_| var("USER")).unwrap_or_else(|_| "admin".into());
    let wiring = Wiring::from_env().await.map_err(|e| e.to_string())?;
    let store = wiring.store();
    let account = administer(store.as_ref(), store.as_ref(), wiring.clock.as_ref(), &username, action, &actor)
        .await
        .map_err(|e| match e {
            AdminError::Infra(e) => error_chain(&e),
            other => other.to_string(),
        })?;
    let done = match action {
        AdminAction::Disable => "disabled: every session ended",
        AdminAction::Enable => "enabled",
        AdminAction::Unlock => "unlocked: the failed logins are forgotten",
        AdminAction::ResetMfa => "second factor removed: the next login enrols a new one; every session ended",
    };
    println!("operator {} {done} (audited as {actor})", account.username());
    Ok(())
}

/// Seconds between two progress lines of an import.
const PROGRESS_SECONDS: u64 = 5;

/// The table of the legacy accounts, with patient retries: an import may meet throttling.
async fn legacy_store() -> Result<DynamoStore, String> {
    let table = var("TABLE_NAME")?;
    let region = var("AWS_REGION").unwrap_or_else(|_| DEFAULT_REGION.into());
    let endpoint = var("AWS_ENDPOINT_URL").ok();
    let sdk = sdk_config(&region, endpoint.as_deref()).await;
    let config = aws_sdk_dynamodb::config::Builder::from(&sdk)
        .retry_config(RetryConfig::standard().with_max_attempts(10))
        .build();
    Ok(DynamoStore::new(aws_sdk_dynamodb::Client::from_conf(config), &table))
}

async fn run_import(args: &[String]) -> Result<(), String> {
    let Some((file, mut options)) = args.split_first().filter(|(file, _)| !file.starts_with("--")) else {
        return Err(USAGE.to_string());
    };
    let (mut dry_run, mut report) = (false, PathBuf::from(format!("{file}.report.csv")));
    while let Some((option, rest)) = options.split_first() {
        options = match (option.as_str(), rest) {
            ("--dry-run", rest) => {
                dry_run = true;
                rest
            }
            ("--report", [path, rest @ ..]) => {
                report = PathBuf::from(path);
                rest
            }
            _ => return Err(USAGE.to_string()),
        };
    }
    let store = if dry_run { None } else { Some(legacy_store().await?) };
    let started = Instant::now();
    let mut shown = started;
    let mut progress = |totals: &Totals| {
        if shown.elapsed().as_secs() >= PROGRESS_SECONDS {
            shown = Instant::now();
            let rate = totals.rows as f64 / started.elapsed().as_secs_f64().max(0.001);
            eprintln!("  {} rows ({rate:.0}/s): {}", totals.rows, summary(totals));
        }
    };
    let totals = import_file(
        Path::new(file),
        &report,
        store.as_ref().map(|s| s as &dyn LegacyAccountStore),
        Timestamp::now(),
        &mut progress,
    )
    .await
    .map_err(|e| format!("import stopped: {}", error_chain(&e)))?;
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{}{} rows in {seconds:.1} s ({:.0} rows/s): {}; report: {}",
        if dry_run { "dry run, nothing written: " } else { "" },
        totals.rows,
        totals.rows as f64 / seconds.max(0.001),
        summary(&totals),
        report.display()
    );
    Ok(())
}

fn summary(totals: &Totals) -> String {
    format!(
        "{} imported, {} valid (dry run), {} skipped, {} invalid",
        totals.imported, totals.valid, totals.skipped, totals.invalid
    )
}

async fn run_dormant(args: &[String]) -> Result<(), String> {
    if args.len() != 2 || args[0] != "--days" {
        return Err(USAGE.to_string());
    }
    let days: i64 = args[1].parse().map_err(|_| format!("--days takes a number of days, not {:?}", args[1]))?;
    let before = Timestamp::now().plus(time::Duration::days(-days));
    let accounts = legacy_store().await?.dormant(before).await.map_err(infra("listing dormant accounts"))?;
    let mut out = std::io::stdout().lock();
    let listed = writeln!(out, "username,email,imported_at").and_then(|()| {
        accounts.iter().try_for_each(|account| match account.password() {
            PasswordState::Legacy { imported_at } => {
                writeln!(out, "{},{},{imported_at}", account.username().as_str(), account.email().as_str())
            }
            _ => Ok(()),
        })
    });
    match listed {
        // Piped into `head`: the reader has what it wanted.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(()),
        other => other.map_err(|e| format!("writing the list: {e}"))?,
    }
    eprintln!("{} imported account(s) without a first login for {days} days or more", accounts.len());
    Ok(())
}

async fn run_erase(args: &[String]) -> Result<(), String> {
    let reference = option(args, "--reference").ok_or_else(|| USAGE.to_string())?;
    let ticket = option(args, "--ticket").map(str::to_string);
    let known = args.chunks(2).all(|pair| matches!(pair[0].as_str(), "--reference" | "--ticket") && pair.len() == 2);
    if !known {
        return Err(USAGE.to_string());
    }
    let wiring = Wiring::from_env().await.map_err(|e| e.to_string())?;
    let retention = wiring.retention().map_err(|e| e.to_string())?;
    let record = retention.erase_on_request(reference, ticket).await.map_err(|e| match e {
        EraseError::Infra(e) => format!("erasing {reference}: {}", error_chain(&e)),
        other => other.to_string(),
    })?;
    println!("erased      {} ({})", record.reference, record.id);
    println!("status      {}", record.status);
    if let (Some(at), Some(by)) = (record.decided_at, &record.decided_by) {
        println!("decided     {at} by {by}");
    }
    println!("erased at   {} (kept: this record and the audit trail without its notes)", record.erased_at);
    Ok(())
}
