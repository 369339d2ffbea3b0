//! The one-off migration of the old portal's (Cliclavoro) accounts: a CSV or JSON Lines export is
//! streamed row by row, each row validated, and the valid ones written in conditional batches that
//! never overwrite an account (so a second run changes nothing). Fast hashes are wrapped in argon2id
//! before they are written (one argon2id per such row, on every core). The first login of an
//! imported account works with the old password and must choose a new one.

use std::{
    collections::{HashMap, VecDeque},
    fs::File,
    io::{BufRead, BufReader, Read},
    path::Path,
    sync::{Arc, Mutex},
};

use futures::{StreamExt, stream};
use serde::Deserialize;

use secrecy::SecretString;

use super::passwords::PasswordHasher;
use crate::{
    domain::{Account, Email, FieldError, Language, LegacyHash, PasswordState, PersonName, Role, Timestamp, Username},
    ports::{IMPORT_BATCH, InfraError, LegacyAccountStore},
};

/// Batches written at the same time.
const CONCURRENT_BATCHES: usize = 4;

mod export;

pub use export::{COLUMNS, ExportError, Format, LegacyRecord, Row, account_of, rows};

/// What became of a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The account was created.
    Imported,
    /// Valid; a dry run writes nothing.
    Valid,
    /// Not imported, for the reason given (the account there is kept as it is).
    Skipped(String),
    /// The row is unusable, for the reason(s) given.
    Invalid(String),
}

/// A row's outcome, for the report.
#[derive(Debug, Clone)]
pub struct RowOutcome {
    /// Line in the file.
    pub line: u64,
    /// The username as written in the row.
    pub username: String,
    /// What became of it.
    pub outcome: Outcome,
}

/// Counts of a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    /// Rows read.
    pub rows: u64,
    /// Accounts created.
    pub imported: u64,
    /// Valid rows of a dry run.
    pub valid: u64,
    /// Rows skipped (account already there).
    pub skipped: u64,
    /// Unusable rows.
    pub invalid: u64,
}

impl Totals {
    /// Counts one more row.
    pub fn add(&mut self, outcome: &Outcome) {
        self.rows += 1;
        match outcome {
            Outcome::Imported => self.imported += 1,
            Outcome::Valid => self.valid += 1,
            Outcome::Skipped(_) => self.skipped += 1,
            Outcome::Invalid(_) => self.invalid += 1,
        }
    }
}

/// Imports `rows` into `store` (`None`: a dry run, which validates and writes nothing), telling
/// `report` the outcome of every row. A bad row never stops the run; only the store failing
/// after its retries does, and running again then resumes (imported rows are skipped).
pub async fn import(
    rows: impl Iterator<Item = Row> + Send,
    store: Option<&dyn LegacyAccountStore>,
    now: Timestamp,
    report: &mut (dyn FnMut(&RowOutcome) + Send),
) -> Result<Totals, InfraError> {
    let mut rows = rows;
    let chunks = std::iter::from_fn(move || {
        let chunk: Vec<Row> = rows.by_ref().take(IMPORT_BATCH).collect();
        (!chunk.is_empty()).then_some(chunk)
    });
    let hasher = PasswordHasher::new()?;
    let hasher = &hasher;
    let mut settled =
        stream::iter(chunks).map(|chunk| settle(chunk, store, hasher, now)).buffer_unordered(CONCURRENT_BATCHES);
    let mut totals = Totals::default();
    while let Some(outcomes) = settled.next().await {
        for outcome in outcomes? {
            totals.add(&outcome.outcome);
            report(&outcome);
        }
    }
    Ok(totals)
}

/// Rows between two progress reports of [`import_file`].
pub const PROGRESS_EVERY: u64 = 10_000;

/// An import run that could not finish.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The export cannot be read.
    #[error(transparent)]
    Export(#[from] ExportError),
    /// The report cannot be written.
    #[error("writing the report: {0}")]
    Report(#[from] csv::Error),
    /// The table failed after retries (run again: what was imported is skipped).
    #[error(transparent)]
    Infra(#[from] InfraError),
}

/// Imports the export at `path` (see [`import`]): the CSV report at `report` gets a line for
/// every row skipped or invalid (`line,username,outcome,reason`), and `progress` the running totals
/// every [`PROGRESS_EVERY`] rows.
pub async fn import_file(
    path: &Path,
    report: &Path,
    store: Option<&dyn LegacyAccountStore>,
    now: Timestamp,
    progress: &mut (dyn FnMut(&Totals) + Send),
) -> Result<Totals, ImportError> {
    let rows = rows(path)?;
    let mut writer = csv::Writer::from_path(report)?;
    writer.write_record(["line", "username", "outcome", "reason"])?;
    let mut running = Totals::default();
    let mut failure = None;
    let totals = import(rows, store, now, &mut |row: &RowOutcome| {
        running.add(&row.outcome);
        if running.rows.is_multiple_of(PROGRESS_EVERY) {
            progress(&running);
        }
        let (outcome, reason) = match &row.outcome {
            Outcome::Imported | Outcome::Valid => return,
            Outcome::Skipped(why) => ("skipped", why.as_str()),
            Outcome::Invalid(why) => ("invalid", why.as_str()),
        };
        let line = row.line.to_string();
        let cells = [line.as_str(), row.username.as_str(), outcome, reason].map(spreadsheet_safe);
        if let Err(e) = writer.write_record(cells.iter().map(|c| c.as_ref())) {
            failure.get_or_insert(e);
        }
    })
    .await?;
    if let Some(error) = failure {
        return Err(error.into());
    }
    writer.flush().map_err(csv::Error::from)?;
    Ok(totals)
}

/// A report cell that a spreadsheet opens as text: one starting with `=`, `+`, `-`, `@`, a tab or
/// a carriage return is prefixed with `'` (OWASP, CSV injection), since exported usernames and
/// values are whatever the old portal held.
fn spreadsheet_safe(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{cell}").into() } else { cell.into() }
}

/// The outcomes of one chunk of rows: validated, deduplicated, then written as one batch.
async fn settle(
    chunk: Vec<Row>,
    store: Option<&dyn LegacyAccountStore>,
    hasher: &PasswordHasher,
    now: Timestamp,
) -> Result<Vec<RowOutcome>, InfraError> {
    let mut outcomes = Vec::with_capacity(chunk.len());
    let mut batch: Vec<Account> = Vec::new();
    let mut batch_slots: Vec<usize> = Vec::new();
    let mut first_line: HashMap<String, u64> = HashMap::new();
    for row in chunk {
        let username = row.record.as_ref().map(|r| r.username.trim().to_string()).unwrap_or_default();
        let outcome = match row.record.map_err(|why| vec![why]).and_then(|record| account_of(&record, now)) {
            Err(problems) => Outcome::Invalid(problems.join("; ")),
            Ok(account) => match first_line.get(account.username().as_str()) {
                Some(line) => Outcome::Skipped(format!("same username as line {line}")),
                None => {
                    first_line.insert(account.username().as_str().to_string(), row.line);
                    batch.push(account);
                    batch_slots.push(outcomes.len());
                    Outcome::Valid
                }
            },
        };
        outcomes.push(RowOutcome { line: row.line, username, outcome });
    }
    if let Some(store) = store.filter(|_| !batch.is_empty()) {
        let exported = batch.clone();
        let mut wrapped = Vec::with_capacity(batch.len());
        for account in batch {
            wrapped.push(wrap_if_too_fast(account, hasher).await?);
        }
        let batch = wrapped;
        let results = store.import(&batch).await?;
        for ((slot, wanted), existing) in batch_slots.into_iter().zip(&exported).zip(results) {
            outcomes[slot].outcome = match existing {
                None => Outcome::Imported,
                Some(existing) => Outcome::Skipped(why_kept(&existing, wanted).into()),
            };
        }
    }
    Ok(outcomes)
}

/// `account` with its legacy hash wrapped in argon2id when it is too fast to keep as exported
/// (the argon2id runs off the async threads; batches run side by side, so every core hashes).
async fn wrap_if_too_fast(account: Account, hasher: &PasswordHasher) -> Result<Account, InfraError> {
    let legacy = account.password_hash().and_then(|text| LegacyHash::parse(text).ok());
    let Some((recipe, digest)) = legacy.and_then(|hash| hash.too_fast()) else { return Ok(account) };
    let argon2 = hasher.hash(SecretString::from(digest)).await?;
    Ok(Account::imported(
        account.username().clone(),
        account.email().clone(),
        account.display_name().to_string(),
        account.language(),
        LegacyHash::wrapped(recipe, argon2).to_string(),
        account.created_at(),
    ))
}

/// True when the stored legacy hash `existing` was imported from the exported `wanted`.
fn same_legacy_hash(existing: Option<&str>, wanted: Option<&str>) -> bool {
    match (existing.map(LegacyHash::parse), wanted.map(LegacyHash::parse)) {
        (Some(Ok(existing)), Some(Ok(wanted))) => existing.same_origin(&wanted),
        _ => false,
    }
}

/// Why the account already holding a username is kept instead of the imported one (`wanted` with
/// its hash as exported).
fn why_kept(existing: &Account, wanted: &Account) -> &'static str {
    let legacy = existing.role() == Role::Applicant && existing.request_id().is_none();
    let same_hash = same_legacy_hash(existing.password_hash(), wanted.password_hash());
    match existing.password() {
        PasswordState::Legacy { .. } if same_hash => "already imported",
        PasswordState::Legacy { .. } => "username already imported from another row of the export",
        PasswordState::Permanent if legacy => "already imported, and its owner has changed the password since: kept",
        _ if existing.role() == Role::Operator => "username taken by an operator of the new system",
        _ => "username taken by an applicant of the new system",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(username: &str, email: &str, hash: &str) -> LegacyRecord {
        LegacyRecord {
            username: username.into(),
            email: email.into(),
            name: "Maria".into(),
            surname: "Rossi".into(),
            password_hash: hash.into(),
            language: None,
        }
    }

    const SHA256: &str = "sha256$s4lt$7a0e5a8a9f2b6c4d3e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d";

    #[test]
    fn a_valid_record_is_a_legacy_applicant_account() {
        let now = Timestamp::now();
        let account = account_of(&record("M.Rossi", "maria@example.org", SHA256), now).unwrap();
        assert_eq!(account.username().as_str(), "m.rossi");
        assert_eq!(account.role(), Role::Applicant);
        assert_eq!(*account.password(), PasswordState::Legacy { imported_at: now });
        assert_eq!(account.password_hash(), Some(SHA256));
        assert_eq!(account.display_name(), "Maria Rossi");
        assert_eq!(account.language(), Language::En);
    }

    #[test]
    fn every_problem_of_a_record_is_listed() {
        let mut bad = record("-x", "not-an-address", "md5:abc");
        bad.language = Some("fr".into());
        let problems = account_of(&bad, Timestamp::now()).unwrap_err();
        let fields: Vec<&str> = problems.iter().map(|p| p.split(':').next().unwrap()).collect();
        assert_eq!(fields, ["username", "email", "password_hash", "language"], "{problems:?}");
    }

    #[test]
    fn csv_rows_are_numbered_by_their_line_whatever_the_line_endings() {
        for ending in ["\n", "\r\n"] {
            let path = std::env::temp_dir().join(format!("lines-{}.csv", uuid::Uuid::new_v4()));
            let text = ["username,email,name,surname,password_hash", "a1,x", "\"b2\",\"multi", "line\",n,s,h", "c3,x"]
                .join(ending);
            std::fs::write(&path, text + ending).unwrap();
            let lines: Vec<(u64, String)> = rows(&path)
                .unwrap()
                .map(|row| (row.line, row.record.map(|r| r.username).unwrap_or_else(|e| e.chars().take(7).collect())))
                .collect();
            std::fs::remove_file(&path).ok();
            assert_eq!(lines, [(2, "bad row".into()), (3, "b2".into()), (5, "bad row".into())], "{ending:?}");
        }
    }

    #[tokio::test]
    async fn report_cells_never_run_as_spreadsheet_formulas() {
        let dir = std::env::temp_dir();
        let export = dir.join(format!("formulas-{}.csv", uuid::Uuid::new_v4()));
        let report = export.with_extension("report.csv");
        let header = "username,email,name,surname,password_hash\n";
        let rows = [
            "=HYPERLINK(\"http://x\"),a@example.org,Maria,Rossi,x",
            "+1,b@example.org,Maria,Rossi,x",
            "-2,c@example.org,Maria,Rossi,x",
            "@SUM(1),d@example.org,Maria,Rossi,x",
        ];
        std::fs::write(&export, format!("{header}{}\n", rows.join("\n"))).unwrap();
        import_file(&export, &report, None, Timestamp::now(), &mut |_| {}).await.unwrap();
        let mut reader = csv::Reader::from_path(&report).unwrap();
        let usernames: Vec<String> = reader.records().map(|r| r.unwrap()[1].to_string()).collect();
        assert_eq!(usernames, ["'=HYPERLINK(\"http://x\")", "'+1", "'-2", "'@SUM(1)"]);
        for path in [export, report] {
            std::fs::remove_file(path).unwrap();
        }
    }

    #[test]
    fn cells_starting_like_a_formula_are_quoted_and_others_kept() {
        for cell in ["=1+1", "+1", "-1", "@A1", "\tx", "\rx"] {
            assert_eq!(spreadsheet_safe(cell), format!("'{cell}"));
        }
        for cell in ["maria.rossi", "", "12", "a=b", "'quoted"] {
            assert_eq!(spreadsheet_safe(cell), cell);
        }
    }

    #[test]
    fn the_format_is_told_by_the_extension() {
        assert_eq!(Format::of(Path::new("export.CSV")).unwrap(), Format::Csv);
        assert_eq!(Format::of(Path::new("export.jsonl")).unwrap(), Format::JsonLines);
        assert!(matches!(Format::of(Path::new("export.xlsx")), Err(ExportError::UnknownFormat(_))));
    }
}
