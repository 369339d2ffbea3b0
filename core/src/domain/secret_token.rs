//! Bearer tokens: 256 random bits from the operating system, stored only as a SHA-256 digest.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// A freshly generated token, shown to its holder once and never stored or logged.
pub struct SecretToken(SecretString);

impl SecretToken {
    /// 32 bytes from the OS CSPRNG (`getrandom`, the source behind `OsRng`), base64url.
    pub fn generate() -> Result<Self, getrandom::Error> {
        Ok(Self(SecretString::from(URL_SAFE_NO_PAD.encode(random_bytes::<32>()?))))
    }

    /// The token text, to hand to its holder.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    /// The digest to store.
    pub fn hash(&self) -> TokenHash {
        TokenHash::of(self.expose())
    }
}

/// `N` bytes from the operating system's CSPRNG.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], getrandom::Error> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes)?;
    Ok(bytes)
}

/// The hex SHA-256 of a token: high-entropy tokens need no slow hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TokenHash(String);

impl TokenHash {
    /// The digest of `token`.
    pub fn of(token: &str) -> Self {
        Self(hex::encode(Sha256::digest(token.as_bytes())))
    }

    /// The hex digest (a table key part).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Compares a presented token with this digest in constant time.
    pub fn matches(&self, presented: &str) -> bool {
        Self::of(presented).0.as_bytes().ct_eq(self.0.as_bytes()).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_verify_only_themselves() {
        let a = SecretToken::generate().unwrap();
        let b = SecretToken::generate().unwrap();
        assert_eq!(a.expose().len(), 43);
        assert_ne!(a.expose(), b.expose());
        assert!(a.hash().matches(a.expose()));
        assert!(!a.hash().matches(b.expose()));
        assert!(!a.hash().matches(""));
    }

    #[test]
    fn the_stored_hash_does_not_contain_the_token() {
        let token = SecretToken::generate().unwrap();
        let stored = serde_json::to_string(&token.hash()).unwrap();
        assert!(!stored.contains(token.expose()));
        assert_eq!(stored.len(), 64 + 2);
    }
}
