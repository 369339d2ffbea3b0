//! Legacy (Cliclavoro) accounts: the import of an export, the first login with the old password
//! forced to a change, and the dormant-accounts report.

use std::path::{Path, PathBuf};

use accreditation::{
    domain::Timestamp,
    ports::{Clock, LegacyAccountStore},
    services::legacy_import::{Totals, import_file},
};
use accreditation_tests::{STRONG_PASSWORD, TestApp, dynamo_json, unique};
use argon2::password_hash::PasswordHasher as _;
use serde_json::{Value, json};
use sha2::Digest;

const OLD_PASSWORD: &str = "vecchia-password-2019";

/// One hash of `password` in every format the import accepts (cheap parameters), by name.
fn hashes_of(password: &str) -> Vec<(&'static str, String)> {
    let salt = *b"0123456789abcdef";
    let bcrypt = bcrypt::hash_with_salt(password, 4, salt).unwrap();
    let argon2 = argon2::Argon2::new(
        argon2::Algorithm::Argon2id,
        argon2::Version::V0x13,
        argon2::Params::new(256, 2, 1, None).unwrap(),
    );
    let pbkdf2 = pbkdf2::Pbkdf2::new(pbkdf2::Algorithm::Pbkdf2Sha256, pbkdf2::Params::new(10_000).unwrap());
    let scrypt = scrypt::Scrypt::new_with_params(scrypt::Params::new(10, 8, 1).unwrap());
    let sha256 = hex::encode(sha2::Sha256::digest(format!("NaCl{password}")));
    vec![
        ("bcrypt-2a", bcrypt.format_for_version(bcrypt::Version::TwoA)),
        ("bcrypt-2b", bcrypt.format_for_version(bcrypt::Version::TwoB)),
        ("bcrypt-2y", bcrypt.format_for_version(bcrypt::Version::TwoY)),
        ("argon2id", argon2.hash_password_with_salt(password.as_bytes(), &salt).unwrap().to_string()),
        ("pbkdf2-sha256", pbkdf2.hash_password_with_salt(password.as_bytes(), &salt).unwrap().to_string()),
        ("scrypt", scrypt.hash_password_with_salt(password.as_bytes(), &salt).unwrap().to_string()),
        ("sha256", format!("sha256$NaCl${sha256}")),
    ]
}

/// A legacy account of the export.
fn row(username: &str, hash: &str) -> Value {
    json!({"username": username, "email": format!("{username}@example.org"), "name": "Olga",
           "surname": "Kowalska", "password_hash": hash})
}

/// An export as CSV (PHC strings hold commas: those fields are quoted), then `extra_lines` as is.
fn write_csv(path: &Path, rows: &[Value], extra_lines: &[&str]) {
    let columns = ["username", "email", "name", "surname", "password_hash"];
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(columns).unwrap();
    for row in rows {
        writer.write_record(columns.map(|name| row[name].as_str().unwrap().to_string())).unwrap();
    }
    let mut text = String::from_utf8(writer.into_inner().unwrap()).unwrap();
    for line in extra_lines {
        text.push_str(line);
        text.push('\n');
    }
    std::fs::write(path, text).unwrap();
}

fn temp_file(extension: &str) -> PathBuf {
    std::env::temp_dir().join(format!("legacy-{}.{extension}", unique()))
}

/// Imports `file` as `make import-legacy` does: the totals and the report's lines.
async fn import(app: &TestApp, file: &Path, dry_run: bool) -> (Totals, Vec<Vec<String>>) {
    let report = file.with_extension("report.csv");
    let store = app.legacy_store();
    let store = (!dry_run).then_some(&store as &dyn LegacyAccountStore);
    let totals = import_file(file, &report, store, app.clock.now(), &mut |_| {}).await.expect("the import runs");
    let lines = csv::Reader::from_path(&report)
        .unwrap()
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect();
    (totals, lines)
}

/// Logs in with the legacy password, is told to change it, changes it: the new session.
async fn first_access(app: &TestApp, username: &str) -> Value {
    let login = app.login(username, OLD_PASSWORD).await;
    assert_eq!(login.status, 200, "{username}: {:#}", login.body);
    assert_eq!(login.body["status"], "password_change_required", "{username}: {:#}", login.body);
    let token = login.body["change_token"].as_str().unwrap();
    let changed =
        app.post("/auth/password", None, &json!({"change_token": token, "new_password": STRONG_PASSWORD})).await;
    assert_eq!(changed.status, 200, "{username}: {:#}", changed.body);
    changed.body
}

/// The part of an exported hash that a fast hash gives away: its digest (the last `$` field,
/// or bcrypt's last 31 characters).
fn digest_part(hash: &str) -> &str {
    if hash.starts_with("$2") { &hash[hash.len() - 31..] } else { hash.rsplit('$').next().unwrap() }
}

#[tokio::test]
async fn fast_legacy_hashes_are_stored_wrapped_in_argon2id_and_still_log_in() {
    let app = TestApp::spawn().await;
    let prefix = format!("ivan{}", &unique()[..8]);
    let formats = hashes_of(OLD_PASSWORD);
    let rows: Vec<Value> = formats.iter().map(|(name, hash)| row(&format!("{prefix}.{name}"), hash)).collect();
    let file = temp_file("csv");
    write_csv(&file, &rows, &[]);
    assert_eq!(import(&app, &file, false).await.0.imported, 7);
    // Run again: every account is recognised as already imported, wrapped or not.
    let (again, report) = import(&app, &file, false).await;
    assert_eq!((again.imported, again.skipped), (0, 7));
    assert!(report.iter().all(|line| line[3] == "already imported"), "{report:?}");

    // OWASP: salted SHA-256, PBKDF2 under 600,000 rounds and bcrypt under cost 10 are too fast to
    // keep; argon2id, scrypt (and slow enough ones) are kept as exported.
    let fast = ["bcrypt-2a", "bcrypt-2b", "bcrypt-2y", "pbkdf2-sha256", "sha256"];
    for (name, exported) in &formats {
        let username = format!("{prefix}.{name}");
        let item = dynamo_json(&app.raw_item(&format!("ACCOUNT#{username}"), "ACCOUNT").await.unwrap());
        let stored = item["password_hash"]["S"].as_str().unwrap();
        if fast.contains(name) {
            assert!(stored.starts_with("legacy-wrapped$"), "{name}: {stored}");
            assert!(stored.contains("$argon2id$v=19$m=19456,t=2,p=1$"), "{name}: {stored}");
            assert!(!item.to_string().contains(digest_part(exported)), "{name}: the fast digest is not in the table");
        } else {
            assert_eq!(stored, exported, "{name}: kept as exported");
        }
        assert_eq!(app.login(&username, "not-the-old-password").await.body["error"], "invalid_credentials", "{name}");
        assert_eq!(first_access(&app, &username).await["status"], "authenticated", "{name}");
    }
    std::fs::remove_file(&file).ok();
}

#[tokio::test]
async fn every_hash_format_imports_logs_in_once_and_is_replaced_by_argon2id() {
    let app = TestApp::spawn().await;
    let (applicant, _, _, _) = app.approved().await;
    let prefix = format!("olga{}", &unique()[..8]);
    let formats = hashes_of(OLD_PASSWORD);
    let mut rows: Vec<Value> = formats.iter().map(|(name, hash)| row(&format!("{prefix}.{name}"), hash)).collect();
    rows.push(row(&format!("{prefix}.bcrypt-2a"), &formats[6].1)); // same username again
    rows.push(row(&applicant, &formats[0].1)); // an applicant of the new system has it
    let mut bad_email = row(&format!("{prefix}.bad"), &formats[0].1);
    bad_email["email"] = json!("not an address");
    rows.push(bad_email);
    rows.push(row(&format!("{prefix}.md5"), "5f4dcc3b5aa765d61d8327deb882cf99"));
    let file = temp_file("csv");
    write_csv(&file, &rows, &["only,three,columns"]);

    let (totals, report) = import(&app, &file, false).await;

    assert_eq!((totals.rows, totals.imported, totals.skipped, totals.invalid), (12, 7, 2, 3), "{report:?}");
    let outcome =
        |line: &str| report.iter().find(|r| r[0] == line).unwrap_or_else(|| panic!("line {line}: {report:?}"));
    assert_eq!(outcome("9")[2..], ["skipped".to_string(), "same username as line 2".into()]);
    assert_eq!(
        outcome("10")[1..],
        [applicant.clone(), "skipped".into(), "username taken by an applicant of the new system".into()]
    );
    assert_eq!(outcome("11")[2], "invalid");
    assert!(outcome("11")[3].starts_with("email:"), "{:?}", outcome("11"));
    assert!(outcome("12")[3].starts_with("password_hash: unsupported hash format"), "{:?}", outcome("12"));
    assert!(outcome("13")[3].starts_with("bad row"), "{:?}", outcome("13"));
    assert_eq!(app.login(&applicant, OLD_PASSWORD).await.body["error"], "invalid_credentials", "not overwritten");

    for (name, legacy_hash) in &formats {
        let username = format!("{prefix}.{name}");
        let wrong = app.login(&username, "not-the-old-password").await;
        assert_eq!(wrong.body["error"], "invalid_credentials", "{name}");
        let session = first_access(&app, &username).await;
        assert_eq!(session["status"], "authenticated", "{name}");

        let item = dynamo_json(&app.raw_item(&format!("ACCOUNT#{username}"), "ACCOUNT").await.unwrap());
        let stored = item["password_hash"]["S"].as_str().unwrap();
        assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{name}: {stored}");
        assert!(!item.to_string().contains(legacy_hash.as_str()), "{name}: the legacy hash is gone");
        assert_eq!(item["password"]["M"]["state"]["S"], "permanent", "{name}");
        assert!(item.get("GSI1PK").is_none(), "{name}: out of the dormant index");
        assert_eq!(app.login(&username, OLD_PASSWORD).await.body["error"], "invalid_credentials", "{name}");
        assert_eq!(app.login(&username, STRONG_PASSWORD).await.body["status"], "authenticated", "{name}");
    }
    std::fs::remove_file(file).ok();
}

#[tokio::test]
async fn importing_again_changes_nothing_and_never_resets_a_chosen_password() {
    let app = TestApp::spawn().await;
    let prefix = format!("ivan{}", &unique()[..8]);
    let sha256 = &hashes_of(OLD_PASSWORD)[6].1;
    let file = temp_file("jsonl");
    let lines = [
        row(&format!("{prefix}.one"), sha256).to_string(),
        String::new(),
        row(&format!("{prefix}.two"), sha256).to_string(),
        "{\"username\": \"broken".to_string(),
    ];
    std::fs::write(&file, lines.join("\n")).unwrap();

    let (first, report) = import(&app, &file, false).await;
    assert_eq!((first.rows, first.imported, first.invalid), (3, 2, 1));
    assert_eq!(report[0][0], "4", "JSON Lines count every line, blank ones too");
    first_access(&app, &format!("{prefix}.one")).await;

    let (second, report) = import(&app, &file, false).await;
    assert_eq!((second.imported, second.skipped, second.invalid), (0, 2, 1));
    let reasons: Vec<&str> = report.iter().map(|r| r[3].as_str()).collect();
    assert_eq!(
        reasons[..2],
        ["already imported, and its owner has changed the password since: kept", "already imported"]
    );
    assert_eq!(app.login(&format!("{prefix}.one"), STRONG_PASSWORD).await.body["status"], "authenticated");
    assert_eq!(app.login(&format!("{prefix}.one"), OLD_PASSWORD).await.body["error"], "invalid_credentials");
    assert_eq!(app.login(&format!("{prefix}.two"), OLD_PASSWORD).await.body["status"], "password_change_required");
    std::fs::remove_file(file).ok();
}

#[tokio::test]
async fn a_dry_run_validates_everything_and_writes_nothing() {
    let app = TestApp::spawn().await;
    let before = app.all_items().await.len();
    let file = temp_file("csv");
    let prefix = format!("anna{}", &unique()[..8]);
    let rows = [row(&format!("{prefix}.one"), &hashes_of(OLD_PASSWORD)[0].1), row("-bad-", "nope")];
    write_csv(&file, &rows, &[]);

    let (totals, report) = import(&app, &file, true).await;

    assert_eq!((totals.valid, totals.invalid, totals.imported), (1, 1, 0));
    assert_eq!(report.len(), 1);
    assert!(report[0][3].contains("username:") && report[0][3].contains("password_hash:"), "{report:?}");
    assert_eq!(app.all_items().await.len(), before, "nothing written");
    std::fs::remove_file(file).ok();
}

#[tokio::test]
async fn accounts_without_a_first_login_are_listed_once_the_period_is_over() {
    let app = TestApp::spawn().await;
    let prefix = format!("li{}", &unique()[..8]);
    let sha256 = &hashes_of(OLD_PASSWORD)[6].1;
    let file = temp_file("csv");
    write_csv(&file, &[row(&format!("{prefix}.active"), sha256), row(&format!("{prefix}.dormant"), sha256)], &[]);
    import(&app, &file, false).await;
    first_access(&app, &format!("{prefix}.active")).await;
    let store = app.legacy_store();
    let ninety_days = time::Duration::days(90);

    let cutoff = |now: Timestamp| now.plus(-ninety_days);
    assert!(store.dormant(cutoff(app.clock.now())).await.unwrap().is_empty(), "imported today");
    app.clock.advance(ninety_days + time::Duration::days(1));
    let dormant = store.dormant(cutoff(app.clock.now())).await.unwrap();
    let usernames: Vec<&str> = dormant.iter().map(|a| a.username().as_str()).collect();
    assert_eq!(usernames, [format!("{prefix}.dormant")]);
    std::fs::remove_file(file).ok();
}

#[tokio::test]
async fn a_new_applicant_never_gets_the_username_of_an_imported_account() {
    let app = TestApp::spawn().await;
    let file = temp_file("csv");
    write_csv(&file, &[row("maria.dangelo", &hashes_of(OLD_PASSWORD)[6].1)], &[]);
    import(&app, &file, false).await;

    let (username, _, _, _) = app.approved().await;

    assert_eq!(username, "maria.dangelo2", "the form's Maria D'Angelo gets the next free name");
    assert_eq!(app.login("maria.dangelo", OLD_PASSWORD).await.body["status"], "password_change_required");
    std::fs::remove_file(file).ok();
}
