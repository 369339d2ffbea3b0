//! `make bench`: the legacy import pipeline (read, parse, validate, batch, report) over a large
//! export, once as a dry run and once writing to a store that accepts every batch at once, so that
//! the numbers are the import's own (the emulator would measure moto, about 350 writes per second,
//! and DynamoDB's speed is the table's write capacity). Prints rows per second; scripts/bench.sh
//! measures the peak memory from outside (`getrusage`).
//!
//! Usage: cargo bench -p accreditation --bench legacy_import -- <export.csv|export.jsonl>

use std::{path::Path, time::Instant};

use accreditation::{
    domain::{Account, Timestamp},
    ports::{InfraError, LegacyAccountStore},
    services::legacy_import::{Totals, import_file},
};
use async_trait::async_trait;

/// Creates every account of every batch, and keeps none.
struct AcceptingStore;

#[async_trait]
impl LegacyAccountStore for AcceptingStore {
    async fn import(&self, batch: &[Account]) -> Result<Vec<Option<Account>>, InfraError> {
        Ok(vec![None; batch.len()])
    }

    async fn dormant(&self, _before: Timestamp) -> Result<Vec<Account>, InfraError> {
        Ok(Vec::new())
    }
}

async fn run(label: &str, export: &Path, store: Option<&dyn LegacyAccountStore>) -> Totals {
    let report = std::env::temp_dir().join(format!("legacy-bench-{label}.report.csv"));
    let started = Instant::now();
    let totals = import_file(export, &report, store, Timestamp::now(), &mut |_| {}).await.expect("the import runs");
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{label:>8}: {} rows in {seconds:.2} s = {:.0} rows/s ({} imported, {} valid, {} skipped, {} invalid)",
        totals.rows,
        totals.rows as f64 / seconds,
        totals.imported,
        totals.valid,
        totals.skipped,
        totals.invalid
    );
    std::fs::remove_file(report).ok();
    totals
}

#[tokio::main]
async fn main() {
    let Some(export) = std::env::args().skip(1).find(|a| !a.starts_with("--")) else {
        eprintln!("usage: cargo bench -p accreditation --bench legacy_import -- <export.csv|export.jsonl>");
        std::process::exit(2);
    };
    let export = Path::new(&export);
    let dry = run("dry run", export, None).await;
    let written = run("import", export, Some(&AcceptingStore)).await;
    assert_eq!(dry.rows, written.rows, "both passes read every row");
}
