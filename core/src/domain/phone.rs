//! International phone numbers in E.164 form.

use serde::{Deserialize, Serialize};

use super::FieldError;

/// What may be typed between the digits of a phone number (dropped).
pub const PHONE_SEPARATORS: &str = " .-()";

/// A phone number once its separators are dropped, as a regular expression for the form page
/// (valid for the `regex` crate and JavaScript): `+`, then 7 to 15 digits, the first not zero. A
/// test proves it agrees with [`PhoneNumber::parse`].
pub const E164_PATTERN: &str = r"^\+[1-9][0-9]{6,14}$";

/// A phone number as `+` followed by the country prefix and number: 7 to 15 digits, the first
/// not zero (ITU-T E.164). Spaces, dots, hyphens and parentheses typed between digits are dropped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PhoneNumber(String);

impl PhoneNumber {
    /// Parses `+16175550100` or `+39 06 1234 5678` into the canonical `+390612345678`.
    pub fn parse(value: &str) -> Result<Self, FieldError> {
        let trimmed = value.trim();
        if trimmed.is_empty() {
            return Err(FieldError::Missing);
        }
        let Some(rest) = trimmed.strip_prefix('+') else {
            return Err(FieldError::InvalidPhone);
        };
        let mut digits = String::with_capacity(15);
        for c in rest.chars() {
            match c {
                '0'..='9' => digits.push(c),
                c if PHONE_SEPARATORS.contains(c) => {}
                _ => return Err(FieldError::InvalidPhone),
            }
        }
        if !(7..=15).contains(&digits.len()) || digits.starts_with('0') {
            return Err(FieldError::InvalidPhone);
        }
        Ok(Self(format!("+{digits}")))
    }

    /// The canonical E.164 text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

text_newtype!(PhoneNumber);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn canonicalizes_typed_separators() {
        assert_eq!(PhoneNumber::parse("+16175550100").unwrap().as_str(), "+16175550100");
        assert_eq!(PhoneNumber::parse(" +39 06 1234-5678 ").unwrap().as_str(), "+390612345678");
        assert_eq!(PhoneNumber::parse("+1 (617) 555.0100").unwrap().as_str(), "+16175550100");
    }

    #[test]
    fn refuses_numbers_without_prefix_or_out_of_range() {
        for bad in [
            "16175550100",
            "0039061234567",
            "+0612345678",
            "+123456",
            "+1234567890123456",
            "+1617555010a",
            "++16175550100",
        ] {
            assert_eq!(PhoneNumber::parse(bad), Err(FieldError::InvalidPhone), "{bad}");
        }
        assert_eq!(PhoneNumber::parse(""), Err(FieldError::Missing));
    }

    proptest! {
        #[test]
        fn every_e164_number_round_trips(n in "[1-9][0-9]{6,14}") {
            let phone = PhoneNumber::parse(&format!("+{n}")).unwrap();
            prop_assert_eq!(phone.as_str(), format!("+{n}"));
        }
    }

    proptest! {
        #[test]
        fn the_pattern_the_page_gets_is_the_rule_parse_applies(phone in "\\+?[0-9 .()\\-x\t+]{0,20}") {
            let pattern = regex::Regex::new(E164_PATTERN).unwrap();
            let trimmed = phone.trim();
            prop_assume!(!trimmed.is_empty());
            let compact = match trimmed.strip_prefix('+') {
                Some(rest) => format!("+{}", rest.chars().filter(|c| !PHONE_SEPARATORS.contains(*c)).collect::<String>()),
                None => trimmed.to_string(),
            };
            prop_assert_eq!(PhoneNumber::parse(&phone).is_ok(), pattern.is_match(&compact), "{:?}", phone);
        }
    }
}
