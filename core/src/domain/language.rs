//! The languages a person reads, and the one place that works out which one they asked for: the
//! form's `language` choice, `Accept-Language`, and the OpenID Connect `ui_locales`. Each
//! language's texts are in `crate::i18n`.

use serde::{Deserialize, Serialize};

/// A language of the service's texts; `crate::i18n` has one catalog file per variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// Italiano: the official form's language.
    It,
    /// English (the default for messages before the applicant's choice is known).
    #[default]
    En,
}

/// Which way a language's text runs, for the `dir` attribute of pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Left to right.
    Ltr,
    /// Right to left.
    Rtl,
}

impl Direction {
    /// The value of the HTML `dir` attribute.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ltr => "ltr",
            Self::Rtl => "rtl",
        }
    }
}

impl Language {
    /// Every language, the official form's (Italian) first.
    pub const ALL: [Self; 2] = [Self::It, Self::En];

    /// The language of the official form, whose field names stand beside translated labels.
    pub const OFFICIAL: Self = Self::It;

    /// The BCP 47 tag (for these, the ISO 639-1 code), as stored, sent and set on `<html lang>`.
    pub fn tag(self) -> &'static str {
        match self {
            Self::It => "it",
            Self::En => "en",
        }
    }

    /// The language's name in itself, as the language switch shows it.
    pub fn endonym(self) -> &'static str {
        match self {
            Self::It => "Italiano",
            Self::En => "English",
        }
    }

    /// Which way its text runs.
    pub fn dir(self) -> Direction {
        match self {
            Self::It | Self::En => Direction::Ltr,
        }
    }

    /// Parses the form's `language` value: one of the tags, exactly.
    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|language| language.tag() == value)
    }

    /// The language of a BCP 47 tag by its primary subtag (`en-GB` is English), as written.
    fn of_tag(tag: &str) -> Option<Self> {
        Self::parse(tag.split('-').next().unwrap_or_default())
    }

    /// The first language of ours among an `Accept-Language` header's ranges, in the client's order
    /// of preference (by weight, then as written; `q=0` refuses a range).
    pub fn from_accept_language(header: &str) -> Option<Self> {
        let mut ranges: Vec<(f32, &str)> = header
            .split(',')
            .filter_map(|range| {
                let mut parts = range.split(';');
                let tag = parts.next()?.trim();
                let weight = match parts.find_map(|p| p.trim().strip_prefix("q=")) {
                    Some(q) => q.trim().parse::<f32>().ok()?,
                    None => 1.0,
                };
                Some((weight, tag))
            })
            .collect();
        // Stable: ranges of equal weight keep the client's order.
        ranges.sort_by(|a, b| b.0.total_cmp(&a.0));
        ranges
            .into_iter()
            .filter(|(weight, _)| *weight > 0.0)
            .find_map(|(_, tag)| Self::of_tag(&tag.to_ascii_lowercase()))
    }

    /// The first language of ours among an OpenID Connect `ui_locales` (tags separated by spaces),
    /// which the provider's login page is then shown in.
    pub fn from_ui_locales(value: &str) -> Option<Self> {
        value.split(' ').find_map(Self::of_tag)
    }

    /// The language a provider's page was asked in by its query (`ui_locales`, or the login page's
    /// `lang`): the one the first tag starts with, else the default.
    pub fn from_page_query(value: &str) -> Self {
        let first = value.split(' ').next().unwrap_or_default();
        Self::ALL.into_iter().find(|language| first.starts_with(language.tag())).unwrap_or_default()
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

    #[test]
    fn every_language_has_its_own_tag_and_name() {
        for language in Language::ALL {
            assert_eq!(Language::parse(language.tag()), Some(language));
            assert_eq!(Language::ALL.iter().filter(|other| other.endonym() == language.endonym()).count(), 1);
            assert_eq!(language.dir(), Direction::Ltr);
        }
        assert_eq!(Language::ALL[0], Language::OFFICIAL);
    }

    #[test]
    fn the_language_is_the_first_of_italian_and_english_the_client_prefers() {
        let preferred_language = Language::from_accept_language;
        assert_eq!(preferred_language("it-IT,it;q=0.9,en;q=0.8"), Some(Language::It));
        assert_eq!(preferred_language("de-DE, en-GB;q=0.7, it;q=0.5"), Some(Language::En));
        assert_eq!(preferred_language("en;q=0.4, IT;q=0.6"), Some(Language::It));
        assert_eq!(preferred_language("it;q=0, en"), Some(Language::En));
        assert_eq!(preferred_language("fr, de"), None);
        assert_eq!(preferred_language(""), None);
    }

    #[test]
    fn ui_locales_give_the_first_language_of_ours() {
        assert_eq!(Language::from_ui_locales("fr en-GB it"), Some(Language::En));
        assert_eq!(Language::from_ui_locales("fr"), None);
        assert_eq!(Language::from_page_query("it-IT en"), Language::It);
        assert_eq!(Language::from_page_query("fr it"), Language::En);
    }
}
