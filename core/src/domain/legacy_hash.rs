//! Password hashes exported by the old portal (Cliclavoro), kept until their owner chooses a new
//! password at the first login. Each format is verified by its RustCrypto (or `bcrypt`) crate.

use std::fmt;

use argon2::{
    Argon2,
    password_hash::{PasswordVerifier, phc::PasswordHash},
};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Most work a legacy hash may ask of a login, so that an imported row cannot stall the login
/// function: bcrypt cost, PBKDF2 rounds, and memory (KiB) of scrypt and argon2.
const MAX_BCRYPT_COST: u32 = 14;
const MAX_PBKDF2_ROUNDS: u32 = 2_000_000;
const MAX_MEMORY_KIB: u64 = 256 * 1024;
const MAX_ARGON2_PASSES: u32 = 10;

/// A legacy password hash in one of the formats the export may hold.
#[derive(Clone, PartialEq, Eq)]
pub enum LegacyHash {
    /// bcrypt, `$2a$`, `$2b$` or `$2y$`.
    Bcrypt(String),
    /// A PHC string of argon2 (`$argon2id$`, `$argon2i$`, `$argon2d$`), `$pbkdf2-sha256$` or `$scrypt$`.
    Phc(String),
    /// `sha256$<salt>$<hex>`: SHA-256 of the salt followed by the password.
    SaltedSha256 {
        /// The salt, as exported.
        salt: String,
        /// The digest.
        digest: [u8; 32],
    },
}

/// Why an exported hash cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LegacyHashError {
    /// Not one of the accepted formats.
    #[error("unsupported hash format (bcrypt $2a$/$2b$/$2y$, PHC argon2/pbkdf2-sha256/scrypt, or sha256$salt$hex)")]
    Unsupported,
    /// The right prefix, but not a well-formed hash of that format.
    #[error("malformed {0} hash")]
    Malformed(&'static str),
    /// Well-formed, but asking more work than a login may do.
    #[error("{0} parameters too costly to verify at login")]
    TooCostly(&'static str),
}

impl LegacyHash {
    /// Parses an exported hash, refusing formats it cannot verify and parameters too costly.
    pub fn parse(text: &str) -> Result<Self, LegacyHashError> {
        let text = text.trim();
        if ["$2a$", "$2b$", "$2y$"].iter().any(|p| text.starts_with(p)) {
            let parts: bcrypt::HashParts = text.parse().map_err(|_| LegacyHashError::Malformed("bcrypt"))?;
            if parts.get_cost() > MAX_BCRYPT_COST {
                return Err(LegacyHashError::TooCostly("bcrypt"));
            }
            return Ok(Self::Bcrypt(text.to_string()));
        }
        if let Some(rest) = text.strip_prefix("sha256$") {
            let (salt, hex_digest) = rest.rsplit_once('$').ok_or(LegacyHashError::Malformed("sha256"))?;
            let mut digest = [0u8; 32];
            hex::decode_to_slice(hex_digest, &mut digest).map_err(|_| LegacyHashError::Malformed("sha256"))?;
            if salt.is_empty() {
                return Err(LegacyHashError::Malformed("sha256"));
            }
            return Ok(Self::SaltedSha256 { salt: salt.to_string(), digest });
        }
        const PHC_ALGORITHMS: [&str; 5] = ["argon2id", "argon2i", "argon2d", "pbkdf2-sha256", "scrypt"];
        let algorithm = text.strip_prefix('$').and_then(|rest| rest.split('$').next());
        if algorithm.is_some_and(|a| PHC_ALGORITHMS.contains(&a)) {
            let hash = PasswordHash::new(text).map_err(|_| LegacyHashError::Malformed("PHC"))?;
            if hash.salt.is_none() || hash.hash.is_none() {
                return Err(LegacyHashError::Malformed("PHC"));
            }
            let param = |name: &str| hash.params.get_decimal(name).map(u64::from);
            match hash.algorithm.as_str() {
                "argon2id" | "argon2i" | "argon2d" => {
                    argon2::Params::try_from(&hash).map_err(|_| LegacyHashError::Malformed("argon2"))?;
                    if param("m").unwrap_or(0) > MAX_MEMORY_KIB || param("t").unwrap_or(0) > MAX_ARGON2_PASSES.into() {
                        return Err(LegacyHashError::TooCostly("argon2"));
                    }
                }
                "pbkdf2-sha256" => {
                    pbkdf2::Params::try_from(&hash).map_err(|_| LegacyHashError::Malformed("pbkdf2-sha256"))?;
                    if param("i").unwrap_or(0) > MAX_PBKDF2_ROUNDS.into() {
                        return Err(LegacyHashError::TooCostly("pbkdf2-sha256"));
                    }
                }
                "scrypt" => {
                    let params = scrypt::Params::try_from(&hash).map_err(|_| LegacyHashError::Malformed("scrypt"))?;
                    // scrypt needs 128 * r * 2^ln bytes.
                    let kib = (128u64 * u64::from(params.r())) << params.log_n() >> 10;
                    if kib > MAX_MEMORY_KIB || params.p() > 4 {
                        return Err(LegacyHashError::TooCostly("scrypt"));
                    }
                }
                _ => return Err(LegacyHashError::Unsupported),
            }
            return Ok(Self::Phc(text.to_string()));
        }
        Err(LegacyHashError::Unsupported)
    }

    /// True when `password` is the one this hash was made from (constant-time comparison of the
    /// computed and stored hashes in every format).
    pub fn verify(&self, password: &str) -> bool {
        let password = password.as_bytes();
        match self {
            Self::Bcrypt(hash) => bcrypt::verify(password, hash).unwrap_or(false),
            Self::SaltedSha256 { salt, digest } => {
                let computed = Sha256::new().chain_update(salt.as_bytes()).chain_update(password).finalize();
                computed.as_slice().ct_eq(digest).into()
            }
            Self::Phc(text) => {
                let Ok(hash) = PasswordHash::new(text) else { return false };
                let verified = match hash.algorithm.as_str() {
                    "pbkdf2-sha256" => pbkdf2::Pbkdf2::default().verify_password(password, &hash),
                    "scrypt" => scrypt::Scrypt::default().verify_password(password, &hash),
                    _ => Argon2::default().verify_password(password, &hash),
                };
                verified.is_ok()
            }
        }
    }

    /// The format's name, for reports.
    pub fn format(&self) -> &'static str {
        match self {
            Self::Bcrypt(_) => "bcrypt",
            Self::SaltedSha256 { .. } => "sha256",
            Self::Phc(text) if text.starts_with("$pbkdf2") => "pbkdf2-sha256",
            Self::Phc(text) if text.starts_with("$scrypt") => "scrypt",
            Self::Phc(_) => "argon2",
        }
    }
}

impl fmt::Display for LegacyHash {
    /// The hash as stored (the exported text).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Bcrypt(text) | Self::Phc(text) => f.write_str(text),
            Self::SaltedSha256 { salt, digest } => write!(f, "sha256${salt}${}", hex::encode(digest)),
        }
    }
}

impl fmt::Debug for LegacyHash {
    /// Only the format: a hash is a secret too.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LegacyHash({})", self.format())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::password_hash::PasswordHasher as _;

    const PASSWORD: &str = "vecchia-password-2019";
    const SALT: &[u8] = b"0123456789abcdef";

    /// One hash of `PASSWORD` per accepted format (cheap parameters).
    fn samples() -> Vec<String> {
        let bcrypt = bcrypt::hash_with_salt(PASSWORD, 4, *b"0123456789abcdef").unwrap();
        let argon2 = Argon2::new(
            argon2::Algorithm::Argon2id,
            argon2::Version::V0x13,
            argon2::Params::new(64, 1, 1, None).unwrap(),
        );
        let pbkdf2 = pbkdf2::Pbkdf2::new(pbkdf2::Algorithm::Pbkdf2Sha256, pbkdf2::Params::new(1000).unwrap());
        let scrypt = scrypt::Scrypt::new_with_params(scrypt::Params::new(4, 8, 1).unwrap());
        let sha256 = hex::encode(Sha256::digest(format!("s4lt{PASSWORD}")));
        vec![
            bcrypt.format_for_version(bcrypt::Version::TwoA),
            bcrypt.format_for_version(bcrypt::Version::TwoB),
            bcrypt.format_for_version(bcrypt::Version::TwoY),
            argon2.hash_password_with_salt(PASSWORD.as_bytes(), SALT).unwrap().to_string(),
            pbkdf2.hash_password_with_salt(PASSWORD.as_bytes(), SALT).unwrap().to_string(),
            scrypt.hash_password_with_salt(PASSWORD.as_bytes(), SALT).unwrap().to_string(),
            format!("sha256$s4lt${sha256}"),
        ]
    }

    #[test]
    fn every_accepted_format_verifies_its_password_and_only_it() {
        let samples = samples();
        let formats: Vec<&str> = samples.iter().map(|s| LegacyHash::parse(s).unwrap().format()).collect();
        assert_eq!(formats, ["bcrypt", "bcrypt", "bcrypt", "argon2", "pbkdf2-sha256", "scrypt", "sha256"]);
        for sample in &samples {
            let hash = LegacyHash::parse(sample).unwrap();
            assert!(hash.verify(PASSWORD), "{sample}");
            assert!(!hash.verify("vecchia-password-2018"), "{sample}");
            assert_eq!(hash.to_string(), *sample, "stored as exported");
        }
    }

    #[test]
    fn unknown_malformed_and_costly_hashes_are_refused() {
        assert_eq!(LegacyHash::parse("5f4dcc3b5aa765d61d8327deb882cf99"), Err(LegacyHashError::Unsupported));
        assert_eq!(LegacyHash::parse("$1$saltsalt$abcdefghijklmnopqrstuv"), Err(LegacyHashError::Unsupported));
        assert_eq!(LegacyHash::parse("$2b$10$short"), Err(LegacyHashError::Malformed("bcrypt")));
        assert_eq!(LegacyHash::parse("sha256$salt$nothex"), Err(LegacyHashError::Malformed("sha256")));
        assert_eq!(LegacyHash::parse("sha256$$".to_string().as_str()), Err(LegacyHashError::Malformed("sha256")));
        let scrypt = samples()[5].replacen("ln=4", "ln=25", 1);
        assert_eq!(LegacyHash::parse(&scrypt), Err(LegacyHashError::TooCostly("scrypt")));
        let slow = bcrypt::hash_with_salt(PASSWORD, 4, *b"0123456789abcdef")
            .unwrap()
            .format_for_version(bcrypt::Version::TwoB);
        let slow = slow.replacen("$04$", "$15$", 1);
        assert_eq!(LegacyHash::parse(&slow), Err(LegacyHashError::TooCostly("bcrypt")));
        assert_eq!(format!("{:?}", LegacyHash::parse(&samples()[0]).unwrap()), "LegacyHash(bcrypt)");
    }
}
