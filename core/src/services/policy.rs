//! The lifetimes and limits of what a person holds or may try, in one place: sessions and the
//! single-use tokens of a login's steps, the provider's codes, uploads and downloads, the lockout.

use time::Duration;

/// How long a session lasts.
pub const SESSION_TTL: Duration = Duration::minutes(15);
/// How recent the login of a session must be for it to add an authenticator (ASVS 3.7.1): a
/// session taken later in its life cannot add the thief's.
pub const FRESH_LOGIN: Duration = Duration::minutes(5);
/// How long a password-change token works.
pub const CHANGE_TOKEN_TTL: Duration = Duration::minutes(15);
/// How long the token between a correct password and its second factor works.
pub const MFA_TOKEN_TTL: Duration = Duration::minutes(5);
/// How long a reset link works.
pub const RESET_TOKEN_TTL: Duration = Duration::minutes(30);

/// How long a login started by an authorization request may take.
pub const LOGIN_TTL: Duration = Duration::minutes(15);
/// How long an authorization code works.
pub const CODE_TTL: Duration = Duration::seconds(60);

/// How long a pre-signed upload stays valid.
pub const UPLOAD_VALIDITY: Duration = Duration::minutes(15);
/// How long a document download link works.
pub const DOWNLOAD_VALIDITY: std::time::Duration = std::time::Duration::from_secs(5 * 60);
/// How long a retried POST with the same `Idempotency-Key` gets the original response.
pub const IDEMPOTENCY_WINDOW: Duration = Duration::hours(24);

/// Consecutive failures allowed before the account locks.
pub const MAX_FAILURES: u32 = 5;
/// First lock: one minute, doubled at each further failure.
pub const FIRST_LOCK: Duration = Duration::minutes(1);
/// Longest lock.
pub const MAX_LOCK: Duration = Duration::minutes(15);

/// The lock earned by `failures` consecutive failures: none before the fifth, then one minute,
/// doubling, at most 15 minutes (like Amazon Cognito).
pub fn lock_duration(failures: u32) -> Option<Duration> {
    let beyond = failures.checked_sub(MAX_FAILURES)?;
    let doubled = FIRST_LOCK.checked_mul(2i32.checked_pow(beyond.min(16))?.max(1))?;
    Some(doubled.min(MAX_LOCK))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_start_at_the_fifth_failure_double_and_cap_at_15_minutes() {
        let minutes: Vec<Option<i64>> = (1..=12).map(|f| lock_duration(f).map(|d| d.whole_minutes())).collect();
        assert_eq!(
            minutes,
            [None, None, None, None, Some(1), Some(2), Some(4), Some(8), Some(15), Some(15), Some(15), Some(15)]
        );
        assert_eq!(lock_duration(u32::MAX), Some(MAX_LOCK));
    }
}
