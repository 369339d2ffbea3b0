//! Instants in UTC with one fixed text form, so that they sort as strings in DynamoDB keys.

use std::fmt;

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime, format_description::BorrowedFormatItem, macros::format_description};

const FORMAT: &[BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z");

/// A UTC instant written like `2026-11-23T20:45:31.123456Z` (RFC 3339, microseconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Timestamp(OffsetDateTime);

impl Timestamp {
    /// The current instant.
    pub fn now() -> Self {
        Self::from(OffsetDateTime::now_utc())
    }

    /// Seconds since the Unix epoch (for DynamoDB TTL attributes).
    pub fn unix(self) -> i64 {
        self.0.unix_timestamp()
    }

    /// The UTC date-time.
    pub fn datetime(self) -> OffsetDateTime {
        self.0
    }

    /// This instant moved by `duration`.
    pub fn plus(self, duration: Duration) -> Self {
        Self(self.0 + duration)
    }
}

impl From<OffsetDateTime> for Timestamp {
    fn from(value: OffsetDateTime) -> Self {
        let utc = value.to_offset(time::UtcOffset::UTC);
        Self(utc.replace_nanosecond(utc.nanosecond() / 1000 * 1000).unwrap_or(utc))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.format(FORMAT).map_err(|_| fmt::Error)?)
    }
}

impl TryFrom<String> for Timestamp {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        time::PrimitiveDateTime::parse(&value, FORMAT)
            .map(|t| Self(t.assume_utc()))
            .map_err(|e| format!("invalid timestamp {value:?}: {e}"))
    }
}

impl From<Timestamp> for String {
    fn from(value: Timestamp) -> Self {
        value.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn fixed_width_text_round_trips_and_sorts() {
        let a = Timestamp::from(datetime!(2026-11-23 09:05:01.5 UTC));
        assert_eq!(a.to_string(), "2026-11-23T09:05:01.500000Z");
        assert_eq!(Timestamp::try_from(a.to_string()), Ok(a));
        let b = a.plus(Duration::microseconds(1));
        assert!(a.to_string() < b.to_string());
    }
}
