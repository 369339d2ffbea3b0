//! `make bench`: how long a wrong password takes to be refused, by the kind of account it was
//! typed for, so that the time never tells an imported username from an unknown one. Each kind is
//! the auth function's own check (`PasswordHasher::verify_account`), interleaved round by round so
//! that the machine's load falls on every kind alike; prints median, p95 and mean per kind.
//!
//! Usage: cargo bench -p accreditation --bench login_timing [-- <rounds>]

// A benchmark: a failed unwrap is a failed run, reported with its place.
#![allow(clippy::unwrap_used)]

use std::time::Instant;

use accreditation::{
    domain::{Account, AccountEvent, Email, Language, LegacyHash, Role, Timestamp, Username},
    services::passwords::PasswordHasher,
};
use secrecy::SecretString;
use sha2::{Digest, Sha256};

const PASSWORD: &str = "vecchia-password-2019";

/// An imported account holding `exported` as the import stores it (fast hashes wrapped).
async fn legacy(hasher: &PasswordHasher, exported: &str) -> Account {
    let hash = LegacyHash::parse(exported).expect("an accepted format");
    let stored = match hash.too_fast() {
        Some((recipe, digest)) => {
            LegacyHash::wrapped(recipe, hasher.hash(SecretString::from(digest)).await.unwrap()).to_string()
        }
        None => exported.to_string(),
    };
    let (username, email) = person();
    Account::imported(username, email, "Olga".into(), Language::En, stored, Timestamp::now())
}

/// An account whose owner chose the password of PHC string `hash`.
fn permanent(hash: String) -> Account {
    let (username, email) = person();
    let now = Timestamp::now();
    Account::pending(username, Role::Applicant, email, "Olga".into(), Language::En, None, now)
        .apply(AccountEvent::PasswordChosen { hash, at_login: true }, now)
}

fn person() -> (Username, Email) {
    (Username::parse("olga.kowalska").unwrap(), Email::parse("olga@example.org").unwrap())
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

#[tokio::main]
async fn main() {
    let rounds: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(60);
    let hasher = PasswordHasher::new().unwrap();
    let sha256 = format!("sha256$NaCl${}", hex::encode(Sha256::digest(format!("NaCl{PASSWORD}"))));
    let bcrypt =
        bcrypt::hash_with_salt(PASSWORD, 4, *b"0123456789abcdef").unwrap().format_for_version(bcrypt::Version::TwoB);
    let pbkdf2 = {
        use pbkdf2::password_hash::PasswordHasher as _;
        let pbkdf2 = pbkdf2::Pbkdf2::new(pbkdf2::Algorithm::Pbkdf2Sha256, pbkdf2::Params::new(10_000).unwrap());
        pbkdf2.hash_password_with_salt(PASSWORD.as_bytes(), b"0123456789abcdef").unwrap().to_string()
    };
    let permanent = permanent(hasher.hash(SecretString::from(PASSWORD)).await.unwrap());
    let kinds: Vec<(&str, Option<Account>)> = vec![
        ("unknown username", None),
        ("legacy salted SHA-256 (wrapped)", Some(legacy(&hasher, &sha256).await)),
        ("legacy bcrypt cost 4 (wrapped)", Some(legacy(&hasher, &bcrypt).await)),
        ("legacy PBKDF2 10,000 rounds (wrapped)", Some(legacy(&hasher, &pbkdf2).await)),
        ("permanent argon2id", Some(permanent)),
    ];
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); kinds.len()];
    hasher.verify_account(SecretString::from("warm up"), None).await.unwrap();
    for _ in 0..rounds {
        for ((_, account), times) in kinds.iter().zip(&mut times) {
            let started = Instant::now();
            let matched =
                hasher.verify_account(SecretString::from("not-the-password-1"), account.as_ref()).await.unwrap();
            times.push(started.elapsed().as_secs_f64() * 1000.0);
            assert!(!matched);
        }
    }
    println!("wrong password refused, {rounds} rounds interleaved (ms): median / p95 / mean");
    for ((name, _), times) in kinds.iter().zip(&mut times) {
        times.sort_by(f64::total_cmp);
        let mean = times.iter().sum::<f64>() / times.len() as f64;
        println!("  {name:<40} {:>7.2} / {:>7.2} / {:>7.2}", percentile(times, 0.5), percentile(times, 0.95), mean);
    }
}
