//! `Idempotency-Key`: a retried `POST /requests` gets the original response back. The response
//! holds the access token, so it is stored only encrypted with a key derived from the
//! idempotency key, which only the client knows; the table holds the key's hash.

use base64::{Engine, engine::general_purpose::STANDARD};
use chacha20poly1305::{ChaCha20Poly1305, KeyInit, aead::Aead};
use hkdf::Hkdf;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::{domain::random_bytes, ports::InfraError};

/// Longest key accepted.
pub const MAX_KEY_LENGTH: usize = 255;
/// Shortest key accepted: enough entropy for a UUID-like key to protect the sealed response.
pub const MIN_KEY_LENGTH: usize = 16;

/// A client's idempotency key: 16 to 255 visible ASCII characters (a UUID fits).
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// Parses the header value.
    pub fn parse(value: &str) -> Option<Self> {
        let valid =
            (MIN_KEY_LENGTH..=MAX_KEY_LENGTH).contains(&value.len()) && value.bytes().all(|b| b.is_ascii_graphic());
        valid.then(|| Self(value.to_string()))
    }

    /// The hash under which the record is stored.
    pub fn hash(&self) -> String {
        hex::encode(Sha256::digest(self.0.as_bytes()))
    }

    fn cipher(&self) -> ChaCha20Poly1305 {
        let mut key = [0u8; 32];
        Hkdf::<Sha256>::new(Some(b"foreign-user-idempotency-v1"), self.0.as_bytes())
            .expand(b"sealed response", &mut key)
            .expect("32 bytes is a valid HKDF-SHA256 output length");
        ChaCha20Poly1305::new(&key.into())
    }

    /// Encrypts `response` (ChaCha20-Poly1305, random nonce), as base64 of nonce and ciphertext.
    pub fn seal(&self, response: &Value) -> Result<String, InfraError> {
        let nonce = random_bytes::<12>().map_err(|e| InfraError::unexpected("no randomness for a nonce", e))?;
        let plaintext = serde_json::to_vec(response).map_err(|e| InfraError::unexpected("encoding a response", e))?;
        let ciphertext = self
            .cipher()
            .encrypt(&nonce.into(), plaintext.as_slice())
            .map_err(|_| InfraError::Unexpected("sealing the response failed".into(), None))?;
        Ok(STANDARD.encode([nonce.as_slice(), &ciphertext].concat()))
    }

    /// Decrypts a sealed response; `None` if it was not sealed with this key.
    pub fn open(&self, sealed: &str) -> Option<Value> {
        let bytes = STANDARD.decode(sealed).ok()?;
        if bytes.len() < 12 {
            return None;
        }
        let (nonce, ciphertext) = bytes.split_at(12);
        let nonce: [u8; 12] = nonce.try_into().ok()?;
        let plaintext = self.cipher().decrypt(&nonce.into(), ciphertext).ok()?;
        serde_json::from_slice(&plaintext).ok()
    }
}

/// The fingerprint of a request body: the same key with another body is refused.
pub fn fingerprint(body: &[u8]) -> String {
    hex::encode(Sha256::digest(body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_are_uuid_like_visible_ascii() {
        assert!(IdempotencyKey::parse("6f1c3a52-8a4e-4f5b-9a57-3f4c1d2e9b10").is_some());
        assert!(IdempotencyKey::parse("short").is_none());
        assert!(IdempotencyKey::parse("with space in the middle of it").is_none());
        assert!(IdempotencyKey::parse(&"k".repeat(256)).is_none());
    }

    #[test]
    fn only_the_same_key_opens_the_sealed_response() {
        let key = IdempotencyKey::parse("6f1c3a52-8a4e-4f5b-9a57-3f4c1d2e9b10").unwrap();
        let other = IdempotencyKey::parse("00000000-8a4e-4f5b-9a57-3f4c1d2e9b10").unwrap();
        let response = json!({"access_token": "secret-token", "id": "x"});
        let sealed = key.seal(&response).unwrap();
        assert!(!sealed.contains("secret-token"));
        assert_eq!(key.open(&sealed), Some(response));
        assert_eq!(other.open(&sealed), None);
        assert_ne!(key.hash(), other.hash());
    }
}
