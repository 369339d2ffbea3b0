//! Counters for rate limits.

use async_trait::async_trait;

use super::InfraError;
use crate::domain::Timestamp;

/// Counters of requests per window, for rate limits (forgotten by the table after the window).
#[async_trait]
pub trait RateLimiter: Send + Sync {
    /// Counts one request of `scope` in the window of `window` seconds holding `now`: `None` while
    /// at most `limit` were counted, or the seconds until the window ends.
    async fn hit(&self, scope: &str, window: i64, limit: u32, now: Timestamp) -> Result<Option<i64>, InfraError>;
}
