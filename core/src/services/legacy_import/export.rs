//! The old portal's export read row by row (CSV or JSON Lines), each row into the account it
//! describes or every problem it has.

use super::*;

/// One account of the export, as written there.
#[derive(Debug, Clone, Deserialize)]
pub struct LegacyRecord {
    /// Login name on the old portal.
    pub username: String,
    /// Email address.
    pub email: String,
    /// Given name(s).
    pub name: String,
    /// Surname(s).
    pub surname: String,
    /// The password hash (bcrypt, PHC string, or `sha256$salt$hex`).
    pub password_hash: String,
    /// Language of the emails, `it` or `en` (optional column; English when absent).
    #[serde(default)]
    pub language: Option<String>,
}

/// The export's format, told by its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `.csv`, with a header row naming the columns.
    Csv,
    /// `.jsonl`, one JSON object per line.
    JsonLines,
}

/// The export cannot be read at all (no row was looked at).
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// Not `.csv` or `.jsonl`.
    #[error("{0}: the format is told by the extension, .csv or .jsonl")]
    UnknownFormat(String),
    /// The file cannot be opened.
    #[error("{0}: {1}")]
    Unreadable(String, std::io::Error),
    /// The CSV header lacks required columns.
    #[error("{0}: the header lacks the column(s) {1}")]
    MissingColumns(String, String),
}

impl Format {
    /// The format of `path`.
    pub fn of(path: &Path) -> Result<Self, ExportError> {
        match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
            Some("csv") => Ok(Self::Csv),
            Some("jsonl") => Ok(Self::JsonLines),
            _ => Err(ExportError::UnknownFormat(path.display().to_string())),
        }
    }
}

/// One row of the export: its line number and its record, or why it cannot be read.
#[derive(Debug)]
pub struct Row {
    /// 1-based line in the file (the CSV header is line 1).
    pub line: u64,
    /// The record, or what is wrong with the row.
    pub record: Result<LegacyRecord, String>,
}

/// The columns every row must have.
pub const COLUMNS: [&str; 5] = ["username", "email", "name", "surname", "password_hash"];

/// The rows of the export at `path`, read lazily (memory stays bounded whatever the file's size).
pub fn rows(path: &Path) -> Result<Box<dyn Iterator<Item = Row> + Send>, ExportError> {
    let format = Format::of(path)?;
    let name = path.display().to_string();
    let file = File::open(path).map_err(|e| ExportError::Unreadable(name.clone(), e))?;
    let reader = BufReader::with_capacity(1 << 16, file);
    Ok(match format {
        Format::Csv => {
            let lines = LineBreaks::default();
            let counted = CountingReader { inner: reader, offset: 0, breaks: lines.clone() };
            let mut csv = csv::ReaderBuilder::new().flexible(true).trim(csv::Trim::All).from_reader(counted);
            let headers = csv.headers().map_err(|e| ExportError::Unreadable(name.clone(), e.into()))?.clone();
            let missing: Vec<&str> = COLUMNS.into_iter().filter(|c| !headers.iter().any(|h| h == *c)).collect();
            if !missing.is_empty() {
                return Err(ExportError::MissingColumns(name, missing.join(", ")));
            }
            let mut passed = 0;
            Box::new(csv.into_records().map(move |record| {
                let byte = match &record {
                    Ok(record) => record.position().map_or(0, |p| p.byte()),
                    Err(e) => e.position().map_or(0, |p| p.byte()),
                };
                let line = lines.line_at(byte, &mut passed);
                let record = record.and_then(|r| r.deserialize(Some(&headers))).map_err(|e| csv_problem(&e));
                Row { line, record }
            }))
        }
        Format::JsonLines => Box::new(
            reader
                .lines()
                .enumerate()
                .map(|(index, line)| (index as u64 + 1, line))
                .filter(|(_, line)| line.as_ref().map_or(true, |l| !l.trim().is_empty()))
                .map(|(line, text)| Row {
                    line,
                    record: text.map_err(|e| format!("unreadable line: {e}")).and_then(|text| {
                        serde_json::from_str(&text).map_err(|e| format!("not a JSON object of the export: {e}"))
                    }),
                }),
        ),
    })
}

/// The offsets of the line breaks a [`CountingReader`] has read and the CSV reader not yet
/// passed: a record's byte offset gives its line, whatever the line endings (the csv crate's own
/// line count is wrong with CRLF, BurntSushi/rust-csv#395). Holds only the read-ahead's breaks.
#[derive(Clone, Default)]
struct LineBreaks(Arc<Mutex<VecDeque<u64>>>);

impl LineBreaks {
    /// The 1-based line of the byte at `offset`; `passed` counts the breaks already behind.
    fn line_at(&self, offset: u64, passed: &mut u64) -> u64 {
        let mut breaks = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        // `<=`: after a CRLF, the csv reader places the next record on its `\n`.
        while breaks.front().is_some_and(|at| *at <= offset) {
            breaks.pop_front();
            *passed += 1;
        }
        *passed + 1
    }
}

/// A reader noting where each `\n` it passes on is.
struct CountingReader<R> {
    inner: R,
    offset: u64,
    breaks: LineBreaks,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let read = self.inner.read(buf)?;
        let mut breaks = self.breaks.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let at = self.offset;
        breaks.extend(buf[..read].iter().enumerate().filter(|(_, b)| **b == b'\n').map(|(i, _)| at + i as u64));
        self.offset += read as u64;
        Ok(read)
    }
}

fn csv_problem(error: &csv::Error) -> String {
    match error.kind() {
        csv::ErrorKind::Deserialize { err, .. } => format!("bad row: {}", err.kind()),
        csv::ErrorKind::Utf8 { .. } => "bad row: not UTF-8".into(),
        _ => format!("bad row: {error}"),
    }
}

/// The account a record describes (its legacy hash still to be replaced), or every problem of
/// the record.
pub fn account_of(record: &LegacyRecord, now: Timestamp) -> Result<Account, Vec<String>> {
    let mut problems = Vec::new();
    let username = Username::parse(&record.username)
        .ok_or_else(|| "3-64 of a-z, 0-9, '.', '-', '_', starting with a letter or digit".to_string());
    let username = checked(&mut problems, "username", username);
    let message = |e: FieldError| e.message(Language::En);
    let email = checked(&mut problems, "email", Email::parse(&record.email).map_err(message));
    let name = checked(&mut problems, "name", PersonName::parse(&record.name).map_err(message));
    let surname = checked(&mut problems, "surname", PersonName::parse(&record.surname).map_err(message));
    let hash = LegacyHash::parse(&record.password_hash).map_err(|e| e.to_string());
    let hash = checked(&mut problems, "password_hash", hash);
    let language = match record.language.as_deref().map(str::trim) {
        None | Some("" | "en") => Ok(Language::En),
        Some("it") => Ok(Language::It),
        Some(other) => Err(format!("it or en, not {other:?}")),
    };
    let language = checked(&mut problems, "language", language);
    let (Some(username), Some(email), Some(name), Some(surname), Some(hash), Some(language)) =
        (username, email, name, surname, hash, language)
    else {
        return Err(problems);
    };
    let display_name = format!("{} {}", name.as_str(), surname.as_str());
    Ok(Account::imported(username, email, display_name, language, hash.to_string(), now))
}

/// The value of a field, or `None` with its problem noted.
fn checked<T>(problems: &mut Vec<String>, field: &str, value: Result<T, String>) -> Option<T> {
    value.map_err(|why| problems.push(format!("{field}: {why}"))).ok()
}
