//! The language an applicant reads: every message to them is in Italian or English.

use serde::{Deserialize, Serialize};

/// One of the two languages of the official form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// Italiano.
    It,
    /// English (the default for messages before the applicant's choice is known).
    #[default]
    En,
}

impl Language {
    /// Parses the form's `language` value: `it` or `en`, exactly.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "it" => Some(Self::It),
            "en" => Some(Self::En),
            _ => None,
        }
    }

    /// The ISO 639-1 code.
    pub fn code(self) -> &'static str {
        match self {
            Self::It => "it",
            Self::En => "en",
        }
    }

    /// Picks the Italian or English text.
    pub fn pick<T>(self, it: T, en: T) -> T {
        match self {
            Self::It => it,
            Self::En => en,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_two_codes_parse() {
        assert_eq!(Language::parse("it"), Some(Language::It));
        assert_eq!(Language::parse("en"), Some(Language::En));
        for bad in ["IT", "EN", "de", "", "it "] {
            assert_eq!(Language::parse(bad), None, "{bad:?}");
        }
    }
}
