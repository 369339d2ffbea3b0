//! Gender as printed in machine-readable travel documents.

use serde::{Deserialize, Serialize};

/// The sex marker of ICAO Doc 9303: `F`, `M` or `X` (unspecified).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Gender {
    /// Female.
    F,
    /// Male.
    M,
    /// Unspecified.
    X,
}

impl Gender {
    /// Parses `F`, `M` or `X`, exactly as in the document.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "F" => Some(Self::F),
            "M" => Some(Self::M),
            "X" => Some(Self::X),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_icao_markers_parse() {
        assert_eq!(Gender::parse("F"), Some(Gender::F));
        assert_eq!(Gender::parse("M"), Some(Gender::M));
        assert_eq!(Gender::parse("X"), Some(Gender::X));
        for bad in ["f", "male", "", "U", "FM"] {
            assert_eq!(Gender::parse(bad), None, "{bad:?}");
        }
    }
}
