//! Dates of birth: real calendar dates, in the past, not before 1900.

use serde::{Deserialize, Serialize};
use time::{Date, macros::format_description};

use super::FieldError;

/// A date of birth written `YYYY-MM-DD`, strictly before "today" and not before 1900-01-01.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct BirthDate(Date);

const FORMAT: &[time::format_description::BorrowedFormatItem<'static>] = format_description!("[year]-[month]-[day]");

/// The earliest date of birth accepted (sent to the form page, which checks it too).
pub const EARLIEST_BIRTH_DATE: Date = time::macros::date!(1900 - 01 - 01);

impl BirthDate {
    /// Parses the date and checks it against `today` (the caller's clock, UTC).
    pub fn parse(value: &str, today: Date) -> Result<Self, FieldError> {
        let trimmed = value.trim();
        if trimmed.is_empty() {
            return Err(FieldError::Missing);
        }
        if trimmed.len() != 10 {
            return Err(FieldError::InvalidDate);
        }
        let date = Date::parse(trimmed, FORMAT).map_err(|_| FieldError::InvalidDate)?;
        if date < EARLIEST_BIRTH_DATE {
            return Err(FieldError::DateTooEarly);
        }
        if date >= today {
            return Err(FieldError::DateNotInPast);
        }
        Ok(Self(date))
    }

    /// The date.
    pub fn date(self) -> Date {
        self.0
    }
}

impl TryFrom<String> for BirthDate {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Date::parse(&value, FORMAT).map(Self).map_err(|e| format!("invalid stored date: {e}"))
    }
}

impl From<BirthDate> for String {
    fn from(value: BirthDate) -> Self {
        value.0.format(FORMAT).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::date;

    const TODAY: Date = date!(2026 - 11 - 23);

    #[test]
    fn accepts_past_dates_from_1900() {
        assert_eq!(BirthDate::parse("1990-04-01", TODAY).unwrap().date(), date!(1990 - 04 - 01));
        assert!(BirthDate::parse("1900-01-01", TODAY).is_ok());
        assert!(BirthDate::parse("2026-11-22", TODAY).is_ok());
        assert!(BirthDate::parse("2000-02-29", TODAY).is_ok());
    }

    #[test]
    fn refuses_impossible_future_and_ancient_dates() {
        assert_eq!(BirthDate::parse("1990-02-30", TODAY), Err(FieldError::InvalidDate));
        assert_eq!(BirthDate::parse("2001-02-29", TODAY), Err(FieldError::InvalidDate));
        assert_eq!(BirthDate::parse("01/04/1990", TODAY), Err(FieldError::InvalidDate));
        assert_eq!(BirthDate::parse("1990-4-1", TODAY), Err(FieldError::InvalidDate));
        assert_eq!(BirthDate::parse("2026-11-23", TODAY), Err(FieldError::DateNotInPast));
        assert_eq!(BirthDate::parse("2030-01-01", TODAY), Err(FieldError::DateNotInPast));
        assert_eq!(BirthDate::parse("1899-12-31", TODAY), Err(FieldError::DateTooEarly));
        assert_eq!(BirthDate::parse("", TODAY), Err(FieldError::Missing));
    }

    proptest! {
        #[test]
        fn every_real_past_date_round_trips(days in 0i64..45_000) {
            let date = date!(1900 - 01 - 01) + time::Duration::days(days);
            prop_assume!(date < TODAY);
            let text: String = BirthDate(date).into();
            prop_assert_eq!(BirthDate::parse(&text, TODAY), Ok(BirthDate(date)));
        }
    }
}
