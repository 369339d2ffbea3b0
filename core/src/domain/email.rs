//! Email addresses, parsed by the `email_address` crate (RFC 5321/5322 syntax).

use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::FieldError;

/// Longest address accepted (RFC 5321 path limit).
pub const MAX_EMAIL_LENGTH: usize = 254;

/// A syntactically valid email address with a dotted domain, as typed (trimmed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    /// Parses an address such as `maria@example.org`; refuses display names (`Maria <m@x.org>`),
    /// IP-literal or single-label domains and anything over 254 characters.
    pub fn parse(value: &str) -> Result<Self, FieldError> {
        let trimmed = value.trim();
        if trimmed.is_empty() {
            return Err(FieldError::Missing);
        }
        if trimmed.len() > MAX_EMAIL_LENGTH {
            return Err(FieldError::TooLong(MAX_EMAIL_LENGTH));
        }
        let parsed = email_address::EmailAddress::from_str(trimmed).map_err(|_| FieldError::InvalidEmail)?;
        let domain = parsed.domain();
        let dotted = domain.contains('.') && !domain.starts_with('[') && !domain.ends_with('.');
        if parsed.email() != trimmed || !dotted {
            return Err(FieldError::InvalidEmail);
        }
        Ok(Self(trimmed.to_string()))
    }

    /// The address as given, for sending.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The lower-cased address, for recognising the same mailbox written differently.
    pub fn normalized(&self) -> String {
        self.0.to_lowercase()
    }
}

text_newtype!(Email);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_common_addresses() {
        for ok in ["maria@example.org", "a.b+tag@sub.example.co.uk", "user@pec.example.it", "josé@exämple.org"] {
            assert!(Email::parse(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn refuses_malformed_addresses() {
        for bad in [
            "maria",
            "maria@",
            "@example.org",
            "maria@@example.org",
            "maria@localhost",
            "Maria <maria@example.org>",
            "maria@[127.0.0.1]",
            "maria example@example.org",
            "maria@example.org.",
        ] {
            assert_eq!(Email::parse(bad), Err(FieldError::InvalidEmail), "{bad}");
        }
        assert_eq!(Email::parse(" "), Err(FieldError::Missing));
    }

    #[test]
    fn normalizes_case_for_comparison() {
        let a = Email::parse("Maria@Example.ORG").unwrap();
        assert_eq!(a.normalized(), "maria@example.org");
        assert_eq!(a.as_str(), "Maria@Example.ORG");
    }

    proptest! {
        #[test]
        fn generated_addresses_parse(local in "[a-z0-9]{1,20}", domain in "[a-z]{1,20}", tld in "[a-z]{2,6}") {
            let address = format!("{local}@{domain}.{tld}");
            prop_assert!(Email::parse(&address).is_ok());
        }

        #[test]
        fn strings_without_at_never_parse(s in "[^@]{0,60}") {
            prop_assert!(Email::parse(&s).is_err());
        }
    }
}
