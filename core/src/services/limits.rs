//! Rate limits per source address and per identity (the email of a submission, the username of a
//! login or reset, the request of a status lookup), counted in the table in fixed windows
//! ([`RateLimiter`]): generous for people, tight for scripts. `RATE_LIMITS` changes any of them.

use std::{collections::BTreeMap, sync::Arc};

use sha2::{Digest, Sha256};

use crate::{
    domain::Timestamp,
    ports::{InfraError, RateLimiter},
};

/// What a limit counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Limit {
    /// `POST /requests` from one source address.
    SubmissionAddress,
    /// `POST /requests` with one email address.
    SubmissionEmail,
    /// `POST /auth/login` from one source address.
    LoginAddress,
    /// `POST /auth/login` at one username, from anywhere: the ceiling above the per-source lockout.
    LoginAccount,
    /// `POST /auth/password-reset` from one source address.
    ResetAddress,
    /// `POST /auth/password-reset` for one username or email, as typed.
    ResetAccount,
    /// `GET /requests/{id}` from one source address.
    StatusAddress,
    /// `GET /requests/{id}` of one request.
    StatusRequest,
}

impl Limit {
    /// Every limit.
    pub const ALL: [Limit; 8] = [
        Limit::SubmissionAddress,
        Limit::SubmissionEmail,
        Limit::LoginAddress,
        Limit::LoginAccount,
        Limit::ResetAddress,
        Limit::ResetAccount,
        Limit::StatusAddress,
        Limit::StatusRequest,
    ];

    /// Its name in `RATE_LIMITS` and in the counters' keys.
    pub fn name(self) -> &'static str {
        match self {
            Limit::SubmissionAddress => "submission_address",
            Limit::SubmissionEmail => "submission_email",
            Limit::LoginAddress => "login_address",
            Limit::LoginAccount => "login_account",
            Limit::ResetAddress => "reset_address",
            Limit::ResetAccount => "reset_account",
            Limit::StatusAddress => "status_address",
            Limit::StatusRequest => "status_request",
        }
    }

    /// The limit unless configured.
    pub fn default_rate(self) -> Rate {
        let (count, window) = match self {
            Limit::SubmissionAddress => (30, 3600),
            Limit::SubmissionEmail => (5, 3600),
            Limit::LoginAddress => (100, 900),
            Limit::LoginAccount => (100, 900),
            Limit::ResetAddress => (20, 900),
            Limit::ResetAccount => (3, 900),
            Limit::StatusAddress => (300, 900),
            Limit::StatusRequest => (60, 900),
        };
        Rate { count, window_seconds: window }
    }
}

/// At most `count` requests in each window of `window_seconds`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    /// Requests allowed per window.
    pub count: u32,
    /// The window, in seconds.
    pub window_seconds: i64,
}

/// Every limit's rate: the defaults, changed by `RATE_LIMITS`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimits(BTreeMap<Limit, Rate>);

impl Default for RateLimits {
    fn default() -> Self {
        Self(Limit::ALL.into_iter().map(|limit| (limit, limit.default_rate())).collect())
    }
}

impl RateLimits {
    /// The defaults changed by `text`: comma-separated `<name>=<count>/<seconds>`
    /// (`login_address=200/900,submission_email=10/3600`); every mistake is told.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut limits = Self::default();
        let mut problems = Vec::new();
        for entry in text.split(',').map(str::trim).filter(|entry| !entry.is_empty()) {
            let parsed = entry.split_once('=').and_then(|(name, rate)| {
                let limit = Limit::ALL.into_iter().find(|limit| limit.name() == name.trim())?;
                let (count, window) = rate.trim().split_once('/')?;
                let rate = Rate { count: count.parse().ok()?, window_seconds: window.parse().ok()? };
                (rate.count > 0 && rate.window_seconds > 0).then_some((limit, rate))
            });
            match parsed {
                Some((limit, rate)) => {
                    limits.0.insert(limit, rate);
                }
                None => problems.push(format!("{entry:?}")),
            }
        }
        if problems.is_empty() {
            Ok(limits)
        } else {
            let names: Vec<&str> = Limit::ALL.iter().map(|limit| limit.name()).collect();
            Err(format!(
                "not <name>=<count>/<seconds> with a known name ({}) and positive numbers: {}",
                names.join(", "),
                problems.join(", ")
            ))
        }
    }

    /// The rate of `limit`.
    pub fn rate(&self, limit: Limit) -> Rate {
        self.0.get(&limit).copied().unwrap_or_else(|| limit.default_rate())
    }
}

/// The limits, counted in the table.
#[derive(Clone)]
pub struct Limiter {
    counters: Arc<dyn RateLimiter>,
    limits: RateLimits,
}

impl Limiter {
    /// The limits `limits`, counted by `counters`.
    pub fn new(counters: Arc<dyn RateLimiter>, limits: RateLimits) -> Self {
        Self { counters, limits }
    }

    /// Counts one request against each `(limit, key)` (the key hashed: no address or name in the
    /// table): `None` when every limit allows it, or the seconds until the last of the exceeded
    /// windows ends.
    pub async fn count(&self, hits: &[(Limit, &str)], now: Timestamp) -> Result<Option<i64>, InfraError> {
        let mut retry = None;
        for (limit, key) in hits {
            let rate = self.limits.rate(*limit);
            let scope = format!("{}#{}", limit.name(), hex::encode(Sha256::digest(key.as_bytes())));
            let exceeded = self.counters.hit(&scope, rate.window_seconds, rate.count, now).await?;
            retry = retry.max(exceeded);
        }
        if let Some(seconds) = retry {
            let limits: Vec<&str> = hits.iter().map(|(limit, _)| limit.name()).collect();
            tracing::warn!(event = "rate_limited", limits = ?limits, retry_after = seconds, "request refused by a rate limit");
        }
        Ok(retry)
    }

    /// Whether this is the first call of `scope` in its window of `window_seconds` (later ones in
    /// the window get `false`): for what must happen at most once in a while.
    pub async fn first_in(&self, scope: &str, window_seconds: i64, now: Timestamp) -> Result<bool, InfraError> {
        Ok(self.counters.hit(scope, window_seconds, 1, now).await?.is_none())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_change_only_where_configured() {
        let limits = RateLimits::parse(" login_address=200/60 , submission_email=1/10").unwrap();
        assert_eq!(limits.rate(Limit::LoginAddress), Rate { count: 200, window_seconds: 60 });
        assert_eq!(limits.rate(Limit::SubmissionEmail), Rate { count: 1, window_seconds: 10 });
        assert_eq!(limits.rate(Limit::ResetAccount), Limit::ResetAccount.default_rate());
        assert_eq!(RateLimits::parse("").unwrap(), RateLimits::default());
    }

    #[test]
    fn every_mistake_is_told_with_the_names_known() {
        let error =
            RateLimits::parse("login=1/2,status_request=0/60,reset_address=5,submission_address=x/9").unwrap_err();
        for told in ["\"login=1/2\"", "\"status_request=0/60\"", "\"reset_address=5\"", "\"submission_address=x/9\""] {
            assert!(error.contains(told), "{error}");
        }
        assert!(error.contains("login_account"), "{error}");
    }
}
