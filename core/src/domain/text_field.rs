//! Free text of the address: any printable characters, trimmed, bounded.

use serde::{Deserialize, Serialize};

use super::{Allowed, FieldError};

/// Printable single-line text, trimmed and with inner whitespace collapsed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TextField(String);

impl TextField {
    /// Accepts non-blank text of at most `max` characters without control characters.
    pub fn parse(value: &str, max: usize) -> Result<Self, FieldError> {
        let collapsed = value.split_whitespace().collect::<Vec<_>>().join(" ");
        if collapsed.is_empty() {
            return Err(FieldError::Missing);
        }
        if collapsed.chars().count() > max {
            return Err(FieldError::TooLong(max));
        }
        if collapsed.chars().any(|c| c.is_control() || matches!(c, '<' | '>')) {
            return Err(FieldError::InvalidCharacters(Allowed::Printable));
        }
        Ok(Self(collapsed))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for TextField {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value, usize::MAX).map_err(|e| format!("invalid stored text: {e:?}"))
    }
}

impl From<TextField> for String {
    fn from(value: TextField) -> Self {
        value.0
    }
}

/// Where the applicant lives: city, street and house number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    /// City or town.
    pub city: TextField,
    /// Street, square or road.
    pub street: TextField,
    /// House number (free form: "12", "12/B", "Apt 4").
    pub number: TextField,
}

/// Longest city name accepted.
pub const MAX_CITY: usize = 100;
/// Longest street accepted.
pub const MAX_STREET: usize = 150;
/// Longest house number accepted.
pub const MAX_HOUSE_NUMBER: usize = 20;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_printable_text_and_collapses_spaces() {
        assert_eq!(TextField::parse("  Main   Street ", 150).unwrap().as_str(), "Main Street");
        assert_eq!(TextField::parse("12/B", 20).unwrap().as_str(), "12/B");
        assert_eq!(TextField::parse("São Paulo", 100).unwrap().as_str(), "São Paulo");
    }

    #[test]
    fn refuses_blank_long_control_and_markup() {
        assert_eq!(TextField::parse(" \t", 10), Err(FieldError::Missing));
        assert_eq!(TextField::parse("abcdef", 5), Err(FieldError::TooLong(5)));
        assert!(matches!(TextField::parse("a\u{7}b", 10), Err(FieldError::InvalidCharacters(_))));
        assert!(matches!(TextField::parse("<b>", 10), Err(FieldError::InvalidCharacters(_))));
    }
}
