//! A given name or surname as written in the identity document.

use serde::{Deserialize, Serialize};
use unicode_normalization::{UnicodeNormalization, char::is_combining_mark};
use unicode_segmentation::UnicodeSegmentation;

use super::{Allowed, FieldError};

/// Longest name accepted, in user-perceived characters (graphemes).
pub const MAX_NAME_LENGTH: usize = 100;

/// The characters [`PersonName::parse`] accepts, as a regular expression (Unicode mode, valid for
/// the `regex` crate and JavaScript's `u` flag) for the form page: a letter (the Unicode
/// Alphabetic property, Rust's `char::is_alphabetic`) first, then letters, combining marks,
/// spaces, apostrophes (' and ’) and hyphens. Applied to the trimmed, NFC-normalised text with
/// inner whitespace collapsed; a test proves it agrees with `parse`.
pub const NAME_PATTERN: &str = r"^\p{Alphabetic}[\p{Alphabetic}\p{M} '’\-]*$";

/// A name of Unicode letters, spaces, apostrophes and hyphens, NFC-normalised and trimmed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PersonName(String);

impl PersonName {
    /// Accepts letters of any script (with their combining marks), inner spaces, apostrophes
    /// (' and ’) and hyphens; at least one letter; at most [`MAX_NAME_LENGTH`] graphemes.
    pub fn parse(value: &str) -> Result<Self, FieldError> {
        let normalized: String = value.trim().nfc().collect();
        let collapsed = normalized.split_whitespace().collect::<Vec<_>>().join(" ");
        if collapsed.is_empty() {
            return Err(FieldError::Missing);
        }
        if collapsed.graphemes(true).count() > MAX_NAME_LENGTH {
            return Err(FieldError::TooLong(MAX_NAME_LENGTH));
        }
        let allowed = |c: char| c.is_alphabetic() || is_combining_mark(c) || matches!(c, ' ' | '\'' | '’' | '-');
        let starts_with_letter = collapsed.chars().next().is_some_and(char::is_alphabetic);
        if !collapsed.chars().all(allowed) || !starts_with_letter {
            return Err(FieldError::InvalidCharacters(Allowed::Name));
        }
        Ok(Self(collapsed))
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

text_newtype!(PersonName);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_names_of_many_scripts() {
        for name in [
            "Maria",
            "D'Angelo",
            "O’Brien",
            "Jean-Luc",
            "María José",
            "Zoë",
            "Łukasz",
            "Nguyễn",
            "Иван",
            "Αλέξανδρος",
            "محمد",
            "李小龙",
            "देवनागरी",
            "Ngũgĩ wa Thiong'o",
        ] {
            assert_eq!(PersonName::parse(name).map(|n| n.0), Ok(name.to_string()), "{name}");
        }
    }

    #[test]
    fn trims_and_collapses_spaces() {
        assert_eq!(PersonName::parse("  Anna   Maria ").unwrap().as_str(), "Anna Maria");
    }

    #[test]
    fn composes_decomposed_accents() {
        let decomposed = "Jose\u{301}";
        assert_eq!(PersonName::parse(decomposed).unwrap().as_str(), "José");
    }

    #[test]
    fn refuses_digits_symbols_and_markup() {
        for bad in ["R2D2", "Maria!", "<script>", "a@b", "-Anna", "'", "Anna_Maria", "Tom\u{0}"] {
            assert!(matches!(PersonName::parse(bad), Err(FieldError::InvalidCharacters(_))), "{bad:?}");
        }
    }

    #[test]
    fn blank_is_missing_and_long_is_too_long() {
        assert_eq!(PersonName::parse("   "), Err(FieldError::Missing));
        let long = "a".repeat(MAX_NAME_LENGTH + 1);
        assert_eq!(PersonName::parse(&long), Err(FieldError::TooLong(MAX_NAME_LENGTH)));
        assert!(PersonName::parse(&"é".repeat(MAX_NAME_LENGTH)).is_ok());
    }

    proptest! {
        #[test]
        fn any_parsed_name_parses_again_to_itself(input in "\\PC{0,120}") {
            if let Ok(name) = PersonName::parse(&input) {
                prop_assert_eq!(PersonName::parse(name.as_str()), Ok(name.clone()));
                prop_assert!(!name.as_str().chars().any(|c| c.is_ascii_digit() || c.is_control()));
            }
        }

        #[test]
        fn letters_only_names_are_accepted(input in "[a-zA-Zà-öø-ÿ]{1,60}") {
            prop_assert!(PersonName::parse(&input).is_ok());
        }
    }

    proptest! {
        #[test]
        fn the_pattern_the_page_gets_is_the_rule_parse_applies(
            name in "[a-zA-Zéß\u{300}\u{301}Ⅻ٣0-9' ’\\-.,@漢Ωя\t_]{1,12}"
        ) {
            let pattern = regex::Regex::new(NAME_PATTERN).unwrap();
            let normalized: String = name.trim().nfc().collect();
            let collapsed = normalized.split_whitespace().collect::<Vec<_>>().join(" ");
            prop_assume!(!collapsed.is_empty());
            prop_assert_eq!(PersonName::parse(&name).is_ok(), pattern.is_match(&collapsed), "{:?}", name);
        }
    }
}
