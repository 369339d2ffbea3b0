//! The number of the applicant's foreign identity document.

use serde::{Deserialize, Serialize};

use super::{Allowed, FieldError};

/// Longest identification code accepted.
pub const MAX_ID_CODE_LENGTH: usize = 30;

/// The characters of an identification code once spaces and hyphens are dropped and letters
/// upper-cased, as a regular expression for the form page (Unicode mode, valid for the `regex`
/// crate and JavaScript's `u` flag): letters and digits of any script (Rust's
/// `char::is_alphanumeric`). A test proves it agrees with [`IdentificationCode::parse`].
pub const ID_CODE_PATTERN: &str = r"^[\p{Alphabetic}\p{N}]+$";

/// The shape [`is_italian_fiscal_code`] recognises, as a regular expression for the form page. A
/// test proves they agree.
pub const FISCAL_CODE_PATTERN: &str =
    "^[A-Z]{6}[0-9LMNPQRSTUV]{2}[ABCDEHLMPRST][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z]$";

/// A document number: letters and digits, upper-cased, with spaces and hyphens removed, and never
/// an Italian codice fiscale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct IdentificationCode(String);

impl IdentificationCode {
    /// Parses `x123-4567` into `X1234567`; refuses other symbols and Italian fiscal codes.
    pub fn parse(value: &str) -> Result<Self, FieldError> {
        let code: String =
            value.chars().filter(|c| !c.is_whitespace() && *c != '-').flat_map(char::to_uppercase).collect();
        if code.is_empty() {
            return Err(FieldError::Missing);
        }
        if code.chars().count() > MAX_ID_CODE_LENGTH {
            return Err(FieldError::TooLong(MAX_ID_CODE_LENGTH));
        }
        if !code.chars().all(|c| c.is_alphanumeric()) {
            return Err(FieldError::InvalidCharacters(Allowed::LettersAndDigits));
        }
        if is_italian_fiscal_code(&code) {
            return Err(FieldError::ItalianFiscalCode);
        }
        Ok(Self(code))
    }

    /// The normalised code.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// True for the 16-character shape of a personal codice fiscale (DM 23/12/1976): six letters
/// (surname, name), two year digits, a month letter, two day digits, a place code of one letter
/// and three digits, and a check letter. Digits may be replaced by the letters L-V used for
/// homocody ("omocodia"). The check letter is not verified: a mistyped fiscal code still
/// belongs to someone who must log in with SPID, CIE or CNS.
pub fn is_italian_fiscal_code(code: &str) -> bool {
    const OMOCODIA: &str = "LMNPQRSTUV";
    const MONTHS: &str = "ABCDEHLMPRST";
    let chars: Vec<char> = code.chars().collect();
    if chars.len() != 16 {
        return false;
    }
    let letter = |c: char| c.is_ascii_uppercase();
    let digit = |c: char| c.is_ascii_digit() || OMOCODIA.contains(c);
    chars[..6].iter().all(|&c| letter(c))
        && chars[6..8].iter().all(|&c| digit(c))
        && MONTHS.contains(chars[8])
        && chars[9..11].iter().all(|&c| digit(c))
        && letter(chars[11])
        && chars[12..15].iter().all(|&c| digit(c))
        && letter(chars[15])
}

text_newtype!(IdentificationCode);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn normalizes_document_numbers() {
        assert_eq!(IdentificationCode::parse("x123-4567").unwrap().as_str(), "X1234567");
        assert_eq!(IdentificationCode::parse(" AB 12 34 56 ").unwrap().as_str(), "AB123456");
    }

    #[test]
    fn refuses_italian_fiscal_codes_including_homocody_and_lowercase() {
        for cf in
            ["RSSMRA85T10A562S", "rssmra85t10a562s", "RSSMRA85T10A56NS", "RSS MRA 85T10 A562S", "DNGMRA90D41Z404Q"]
        {
            assert_eq!(IdentificationCode::parse(cf), Err(FieldError::ItalianFiscalCode), "{cf}");
        }
    }

    #[test]
    fn keeps_sixteen_character_passport_like_codes_that_are_not_fiscal_codes() {
        assert!(IdentificationCode::parse("1234567890123456").is_ok());
        assert!(IdentificationCode::parse("RSSMRA85Z10A562S").is_ok(), "Z is not a month letter");
    }

    #[test]
    fn refuses_symbols_blank_and_long() {
        assert!(matches!(IdentificationCode::parse("AB/123"), Err(FieldError::InvalidCharacters(_))));
        assert_eq!(IdentificationCode::parse(" - "), Err(FieldError::Missing));
        assert_eq!(IdentificationCode::parse(&"A".repeat(31)), Err(FieldError::TooLong(30)));
    }

    proptest! {
        #[test]
        fn generated_fiscal_codes_are_always_refused(
            names in "[A-Z]{6}", year in "[0-9LMNPQRSTUV]{2}", month in "[ABCDEHLMPRST]",
            day in "[0-9LMNPQRSTUV]{2}", place in "[A-Z][0-9LMNPQRSTUV]{3}", check in "[A-Z]",
        ) {
            let cf = format!("{names}{year}{month}{day}{place}{check}");
            prop_assert_eq!(IdentificationCode::parse(&cf), Err(FieldError::ItalianFiscalCode));
        }

        #[test]
        fn short_alphanumeric_codes_are_accepted(code in "[A-Z0-9]{1,15}") {
            prop_assert_eq!(IdentificationCode::parse(&code).map(|c| c.0), Ok(code));
        }
    }

    proptest! {
        #[test]
        fn the_patterns_the_page_gets_are_the_rules_parse_applies(code in "[a-zA-Z0-9 \\-é٣Ⅻ.#_ß]{1,20}") {
            let characters = regex::Regex::new(ID_CODE_PATTERN).unwrap();
            let fiscal = regex::Regex::new(FISCAL_CODE_PATTERN).unwrap();
            let normalized: String =
                code.chars().filter(|c| !c.is_whitespace() && *c != '-').flat_map(char::to_uppercase).collect();
            prop_assume!(!normalized.is_empty() && normalized.chars().count() <= MAX_ID_CODE_LENGTH);
            let accepted = characters.is_match(&normalized) && !fiscal.is_match(&normalized);
            prop_assert_eq!(IdentificationCode::parse(&code).is_ok(), accepted, "{:?}", code);
        }

        #[test]
        fn the_fiscal_code_pattern_is_the_shape_the_check_recognises(
            code in "[A-Z]{5,6}[0-9L-V]{2}[A-Z][0-9L-V]{2}[A-Z0-9][0-9L-V]{3}[A-Z0-9]{1,2}"
        ) {
            let fiscal = regex::Regex::new(FISCAL_CODE_PATTERN).unwrap();
            prop_assert_eq!(is_italian_fiscal_code(&code), fiscal.is_match(&code), "{:?}", code);
        }
    }
}
