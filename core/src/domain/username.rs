//! Login names: readable ASCII folds of a person's name, typed case-insensitively.

use std::fmt;

use deunicode::deunicode;
use serde::{Deserialize, Serialize};

use super::PersonName;

/// Longest username (a DynamoDB key part, typed by people).
pub const MAX_USERNAME: usize = 64;

/// A login name: lowercase ASCII letters, digits, dots, hyphens and underscores, 3 to 64
/// characters, starting with a letter or digit (e.g. `maria.dangelo`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Username(String);

impl Username {
    /// Parses a username as typed at login (trimmed, case-insensitive).
    pub fn parse(value: &str) -> Option<Self> {
        let lower = value.trim().to_ascii_lowercase();
        let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '-' | '_');
        let valid = (3..=MAX_USERNAME).contains(&lower.len())
            && lower.chars().all(allowed)
            && lower.chars().next().is_some_and(|c| c.is_ascii_alphanumeric());
        valid.then_some(Self(lower))
    }

    /// The readable base of a username for a person: given names and surnames folded to ASCII
    /// (`Łukasz D'Angelo` → `lukasz.dangelo`, `李 小龙` → `li.xiaolong`), at most 40 characters.
    pub fn base_for(name: &PersonName, surname: &PersonName) -> String {
        let fold = |text: &str| -> String {
            deunicode(text).to_ascii_lowercase().chars().filter(|c| c.is_ascii_alphanumeric()).collect()
        };
        let parts: Vec<String> =
            [name.as_str(), surname.as_str()].iter().map(|p| fold(p)).filter(|p| !p.is_empty()).collect();
        let mut base = parts.join(".");
        base.truncate(40);
        let base = base.trim_end_matches('.').to_string();
        if base.len() < 3 { format!("utente.{base}").trim_end_matches('.').to_string() } else { base }
    }

    /// The `n`-th candidate for `base` (1: `base`, 2: `base2`, ...).
    pub fn candidate(base: &str, n: u64) -> Option<Self> {
        if n <= 1 { Self::parse(base) } else { Self::parse(&format!("{base}{n}")) }
    }

    /// The username text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Username {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value).ok_or_else(|| format!("invalid stored username {value:?}"))
    }
}

impl From<Username> for String {
    fn from(value: Username) -> Self {
        value.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn name(text: &str) -> PersonName {
        PersonName::parse(text).unwrap()
    }

    #[test]
    fn usernames_are_readable_ascii_folds_of_the_name() {
        assert_eq!(Username::base_for(&name("Maria"), &name("D'Angelo")), "maria.dangelo");
        assert_eq!(Username::base_for(&name("Łukasz"), &name("Żółć-Nowak")), "lukasz.zolcnowak");
        assert_eq!(Username::base_for(&name("José María"), &name("Núñez")), "josemaria.nunez");
        assert_eq!(Username::base_for(&name("李"), &name("小龙")), "li.xiaolong");
        assert_eq!(Username::base_for(&name("Иван"), &name("Петров")), "ivan.petrov");
    }

    #[test]
    fn candidates_add_a_number_after_the_first() {
        assert_eq!(Username::candidate("maria.rossi", 1).unwrap().as_str(), "maria.rossi");
        assert_eq!(Username::candidate("maria.rossi", 2).unwrap().as_str(), "maria.rossi2");
        assert_eq!(Username::candidate("maria.rossi", 17).unwrap().as_str(), "maria.rossi17");
    }

    #[test]
    fn login_names_parse_case_insensitively_and_refuse_junk() {
        assert_eq!(Username::parse(" Maria.Rossi ").unwrap().as_str(), "maria.rossi");
        for bad in ["", "ab", "maria rossi", ".maria", "maría", "a@b.c", &"a".repeat(65)] {
            assert_eq!(Username::parse(bad), None, "{bad:?}");
        }
    }

    proptest! {
        #[test]
        fn every_name_yields_a_valid_username(given in "\\p{L}{1,30}", family in "\\p{L}{1,30}") {
            let (given, family) = (PersonName::parse(&given), PersonName::parse(&family));
            if let (Ok(given), Ok(family)) = (given, family) {
                let base = Username::base_for(&given, &family);
                prop_assert!(Username::candidate(&base, 1).is_some(), "{base}");
                prop_assert!(Username::candidate(&base, 99).is_some(), "{base}");
            }
        }
    }
}
