//! Password hashing with argon2id (OWASP parameters), off the async threads.

use std::sync::Arc;

use argon2::{Algorithm, Argon2, Params, Version};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::OnceCell;

use crate::{
    domain::{
        Account, LegacyHash, PasswordState,
        argon2_phc::{hash_phc, matches_phc},
        password::normalized,
        temporary_password,
    },
    ports::InfraError,
};

/// OWASP Password Storage Cheat Sheet: argon2id, 19 MiB, 2 iterations, 1 lane.
pub const MEMORY_KIB: u32 = 19_456;
/// Iterations.
pub const ITERATIONS: u32 = 2;
/// Lanes.
pub const PARALLELISM: u32 = 1;

/// Hashes and verifies passwords as PHC strings (`$argon2id$v=19$m=19456,t=2,p=1$...`).
#[derive(Clone)]
pub struct PasswordHasher {
    argon2: Arc<Argon2<'static>>,
    dummy: Arc<OnceCell<String>>,
}

impl PasswordHasher {
    /// A hasher with the OWASP parameters. The hash verified for unknown users (so that answering
    /// takes the same time) is made at the first such login, not at cold start.
    pub fn new() -> Result<Self, InfraError> {
        let params = Params::new(MEMORY_KIB, ITERATIONS, PARALLELISM, None)
            .map_err(|e| InfraError::Unexpected(format!("argon2 parameters: {e}"), None))?;
        let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        Ok(Self { argon2: Arc::new(argon2), dummy: Arc::new(OnceCell::new()) })
    }

    /// The PHC string of `password` (salted from the OS CSPRNG), computed in `spawn_blocking`.
    pub async fn hash(&self, password: SecretString) -> Result<String, InfraError> {
        let argon2 = self.argon2.clone();
        tokio::task::spawn_blocking(move || hash_phc(&argon2, password.expose_secret()))
            .await
            .map_err(|e| InfraError::unexpected("the hashing task failed", e))?
    }

    /// True when `password` matches `phc`; with no hash (unknown user, no password yet) a dummy
    /// hash is verified instead, and the answer is false.
    pub async fn verify(&self, password: SecretString, phc: Option<String>) -> Result<bool, InfraError> {
        let known = phc.is_some();
        let phc = match phc {
            Some(phc) => phc,
            None => {
                let random = temporary_password().map_err(|e| InfraError::unexpected("no randomness", e))?;
                self.dummy.get_or_try_init(|| self.hash(random)).await?.clone()
            }
        };
        let matches = tokio::task::spawn_blocking(move || matches_phc(&phc, password.expose_secret().as_bytes()))
            .await
            .map_err(|e| InfraError::unexpected("the verifying task failed", e))?;
        Ok(known && matches)
    }
}

impl PasswordHasher {
    /// True when `password` (as typed: it is NFC-normalised here, as chosen passwords are) is
    /// `account`'s: its argon2id hash, or the hash imported from the old portal while the account is
    /// [`PasswordState::Legacy`] (checked in NFC, then as typed when that differs: the old portal
    /// hashed what it got). The work done tells nothing of the account: without one, a dummy hash
    /// is verified; a wrapped legacy hash is one argon2id verification like any other; a legacy
    /// hash kept as exported (slow formats) is followed by a dummy argon2id one, so that no answer
    /// comes faster than an argon2id verification; and input that NFC changes costs every path a
    /// second verification, as the legacy check of both forms does.
    pub async fn verify_account(&self, password: SecretString, account: Option<&Account>) -> Result<bool, InfraError> {
        let hash = account.and_then(|a| a.password_hash().map(str::to_string));
        let typed = password;
        let password = normalized(typed.expose_secret());
        let two_forms = password.expose_secret() != typed.expose_secret();
        if !account.is_some_and(|a| matches!(a.password(), PasswordState::Legacy { .. })) {
            let matches = self.verify(password, hash).await?;
            if two_forms {
                self.verify(typed, None).await?;
            }
            return Ok(matches);
        }
        let legacy = hash.and_then(|h| LegacyHash::parse(&h).ok());
        let wrapped = matches!(legacy, Some(LegacyHash::Wrapped { .. }));
        let candidates = [password.clone(), typed];
        let matches = tokio::task::spawn_blocking(move || {
            legacy.is_some_and(|h| {
                let nfc = candidates[0].expose_secret();
                let raw = candidates[1].expose_secret();
                h.verify(nfc) || (raw != nfc && h.verify(raw))
            })
        })
        .await
        .map_err(|e| InfraError::unexpected("the verifying task failed", e))?;
        if !wrapped {
            self.verify(password, None).await?;
        }
        Ok(matches)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_argon2id_phc_strings_with_the_owasp_parameters() {
        let hasher = PasswordHasher::new().unwrap();
        let hash = hasher.hash(SecretString::from("correct horse battery staple")).await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
        assert!(!hash.contains("correct horse"));
        assert!(hasher.verify(SecretString::from("correct horse battery staple"), Some(hash.clone())).await.unwrap());
        assert!(!hasher.verify(SecretString::from("correct horse battery stapler"), Some(hash)).await.unwrap());
    }

    #[tokio::test]
    async fn unknown_users_never_verify() {
        let hasher = PasswordHasher::new().unwrap();
        assert!(!hasher.verify(SecretString::from("anything"), None).await.unwrap());
        assert!(!hasher.verify(SecretString::from("x"), Some("not a phc string".into())).await.unwrap());
    }
}
