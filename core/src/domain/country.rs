//! Countries as ISO 3166-1 alpha-2 codes, and the ones whose citizens use eIDAS instead.

use std::{collections::BTreeSet, fmt};

use serde::{Deserialize, Serialize};

use super::FieldError;

/// An officially assigned ISO 3166-1 alpha-2 code such as `US`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CountryCode(isocountry::CountryCode);

impl CountryCode {
    /// Parses an uppercase two-letter code (`US`, not `us` nor `USA`).
    pub fn parse(value: &str) -> Result<Self, FieldError> {
        let trimmed = value.trim();
        if trimmed.is_empty() {
            return Err(FieldError::Missing);
        }
        if trimmed.len() != 2 || !trimmed.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(FieldError::UnknownCountry);
        }
        isocountry::CountryCode::for_alpha2(trimmed).map(Self).map_err(|_| FieldError::UnknownCountry)
    }

    /// The two-letter code.
    pub fn alpha2(self) -> &'static str {
        self.0.alpha2()
    }

    /// Every officially assigned code, in alphabetical order of the codes.
    pub fn all() -> impl Iterator<Item = Self> {
        let mut codes: Vec<Self> = isocountry::CountryCode::iter().map(|c| Self(*c)).collect();
        codes.sort_by_key(|c| c.alpha2());
        codes.into_iter()
    }

    /// The English short name (e.g. "Germany").
    pub fn name(self) -> &'static str {
        self.0.name()
    }
}

impl TryFrom<String> for CountryCode {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value).map_err(|_| format!("invalid stored country code {value:?}"))
    }
}

impl From<CountryCode> for String {
    fn from(value: CountryCode) -> Self {
        value.alpha2().to_string()
    }
}

impl fmt::Display for CountryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.alpha2())
    }
}

/// The shipped list: `data/eidas_countries.json`, with its source and date.
const SHIPPED_EIDAS_LIST: &str = include_str!("../../data/eidas_countries.json");

#[derive(Deserialize)]
struct ShippedList {
    countries: Vec<String>,
}

/// Citizenships whose national eID is usable through eIDAS: their holders log in with it and are
/// refused by this form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EidasCountries(BTreeSet<CountryCode>);

impl EidasCountries {
    /// The list shipped with the service (see `data/eidas_countries.json` for source and date).
    pub fn shipped() -> Self {
        let list: ShippedList =
            serde_json::from_str(SHIPPED_EIDAS_LIST).expect("data/eidas_countries.json is valid JSON");
        Self::from_codes(list.countries.iter().map(String::as_str))
            .expect("data/eidas_countries.json holds only ISO 3166-1 alpha-2 codes")
    }

    /// An operator's override: comma-separated codes (`AT,BE,DE`); an empty string means none.
    pub fn parse_override(value: &str) -> Result<Self, String> {
        Self::from_codes(value.split(',').map(str::trim).filter(|c| !c.is_empty()))
    }

    fn from_codes<'a>(codes: impl Iterator<Item = &'a str>) -> Result<Self, String> {
        codes
            .map(|code| CountryCode::parse(code).map_err(|_| format!("{code:?} is not an ISO 3166-1 alpha-2 code")))
            .collect::<Result<_, _>>()
            .map(Self)
    }

    /// The countries of the list.
    pub fn iter(&self) -> impl Iterator<Item = CountryCode> + '_ {
        self.0.iter().copied()
    }

    /// True when citizens of `country` must use eIDAS.
    pub fn contains(&self, country: CountryCode) -> bool {
        self.0.contains(&country)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_assigned_uppercase_codes_only() {
        assert_eq!(CountryCode::parse("US").unwrap().alpha2(), "US");
        assert_eq!(CountryCode::parse("BR").unwrap().name(), "Brazil");
        for bad in ["us", "USA", "XX", "ZZ", "U", "1A"] {
            assert_eq!(CountryCode::parse(bad), Err(FieldError::UnknownCountry), "{bad}");
        }
        assert_eq!(CountryCode::parse(""), Err(FieldError::Missing));
    }

    #[test]
    fn every_listed_code_parses() {
        let codes: Vec<_> = CountryCode::all().collect();
        assert!(codes.len() >= 249, "{} codes", codes.len());
        for code in codes {
            assert_eq!(CountryCode::parse(code.alpha2()), Ok(code));
        }
    }

    #[test]
    fn shipped_list_holds_eu_eid_countries_and_not_others() {
        let list = EidasCountries::shipped();
        for code in ["DE", "IT", "ES", "NL"] {
            assert!(list.contains(CountryCode::parse(code).unwrap()), "{code}");
        }
        for code in ["US", "BR", "IN", "CN", "UA"] {
            assert!(!list.contains(CountryCode::parse(code).unwrap()), "{code}");
        }
    }

    #[test]
    fn override_replaces_the_list_and_refuses_bad_codes() {
        let list = EidasCountries::parse_override("US, BR").unwrap();
        assert!(list.contains(CountryCode::parse("US").unwrap()));
        assert!(!list.contains(CountryCode::parse("DE").unwrap()));
        assert!(EidasCountries::parse_override("").unwrap().0.is_empty());
        assert!(EidasCountries::parse_override("DE,XX").is_err());
    }
}
