//! Password hashes exported by the old portal (Cliclavoro), kept until their owner chooses a new
//! password at the first login. Each format is verified by its RustCrypto (or `bcrypt`) crate.
//! Fast ones (salted SHA-256, PBKDF2 under OWASP's 600,000 rounds, bcrypt under cost 10) never
//! sit in the table as exported: they are wrapped at import in argon2id over their digest (OWASP
//! Password Storage Cheat Sheet, "upgrading legacy hashes"), and a login recomputes the fast
//! digest from the password typed, then verifies the argon2id over it.

use std::fmt;

use argon2::{
    Argon2,
    password_hash::{PasswordVerifier, phc::PasswordHash},
};
use base64::{
    Engine, alphabet,
    engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig, general_purpose::URL_SAFE_NO_PAD},
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Most work a legacy hash may ask of a login, so that an imported row cannot stall the login
/// function: bcrypt cost, PBKDF2 rounds, and memory (KiB) of scrypt and argon2.
const MAX_BCRYPT_COST: u32 = 14;
const MAX_PBKDF2_ROUNDS: u32 = 2_000_000;
const MAX_MEMORY_KIB: u64 = 256 * 1024;
const MAX_ARGON2_PASSES: u32 = 10;
/// Below these, a hash is too fast to keep (OWASP Password Storage Cheat Sheet): wrapped at import.
const MIN_PBKDF2_ROUNDS: u32 = 600_000;
const MIN_BCRYPT_COST: u32 = 10;
/// How a wrapped hash starts: `legacy-wrapped$<base64url(JSON recipe)>$<argon2id PHC>`.
const WRAPPED: &str = "legacy-wrapped$";

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
    /// A fast hash as stored: argon2id over its digest, and how to recompute that digest.
    Wrapped {
        /// How the fast digest is made from a password.
        recipe: Recipe,
        /// The argon2id PHC string over the hex of the fast digest.
        argon2: String,
    },
}

/// What recomputes a fast legacy digest from a password: the exported hash without its digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "format", rename_all = "kebab-case")]
pub enum Recipe {
    /// SHA-256 of the salt followed by the password.
    Sha256 {
        /// The salt, as exported.
        salt: String,
    },
    /// PBKDF2-HMAC-SHA256.
    Pbkdf2Sha256 {
        /// The exported PHC string without its hash (`$pbkdf2-sha256$i=..,l=..$<salt>`).
        phc: String,
    },
    /// bcrypt.
    Bcrypt {
        /// The exported hash's first 29 characters: version, cost and salt (`$2b$04$<22>`).
        setting: String,
    },
}

/// bcrypt's own base64 (`./A-Za-z0-9`), its salt's 22 characters ending in unused bits.
const BCRYPT_BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::BCRYPT,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::RequireNone)
        .with_decode_allow_trailing_bits(true),
);

impl Recipe {
    /// The fast digest of `password`, as the exported hash holds it.
    fn digest(&self, password: &[u8]) -> Option<Vec<u8>> {
        match self {
            Self::Sha256 { salt } => {
                Some(Sha256::new().chain_update(salt.as_bytes()).chain_update(password).finalize().to_vec())
            }
            Self::Pbkdf2Sha256 { phc } => {
                let hash = PasswordHash::new(phc).ok()?;
                let params = pbkdf2::Params::try_from(&hash).ok()?;
                let salt = hash.salt?;
                let mut output = vec![0u8; params.output_len()];
                pbkdf2::pbkdf2_hmac_with_params(
                    password,
                    salt.as_ref(),
                    pbkdf2::Algorithm::Pbkdf2Sha256,
                    params,
                    &mut output,
                );
                Some(output)
            }
            Self::Bcrypt { setting } => {
                let parts: bcrypt::HashParts = format!("{setting}{}", ".".repeat(31)).parse().ok()?;
                let salt: [u8; 16] = BCRYPT_BASE64.decode(setting.get(7..29)?).ok()?.get(..16)?.try_into().ok()?;
                let hashed = bcrypt::hash_with_salt(password, parts.get_cost(), salt).ok()?;
                let text = hashed.format_for_version(bcrypt::Version::TwoB);
                Some(text.as_bytes()[text.len() - 31..].to_vec())
            }
        }
    }
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
        if let Some(rest) = text.strip_prefix(WRAPPED) {
            let (recipe, argon2) = rest.split_once('$').ok_or(LegacyHashError::Malformed("wrapped"))?;
            let recipe = URL_SAFE_NO_PAD.decode(recipe).map_err(|_| LegacyHashError::Malformed("wrapped"))?;
            let recipe = serde_json::from_slice(&recipe).map_err(|_| LegacyHashError::Malformed("wrapped"))?;
            PasswordHash::new(argon2).map_err(|_| LegacyHashError::Malformed("wrapped"))?;
            return Ok(Self::Wrapped { recipe, argon2: argon2.to_string() });
        }
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

    /// The hash's fast digest (hex) and how to recompute it, when the hash is too fast to keep:
    /// what [`LegacyHash::wrapped`] hashes with argon2id at import.
    pub fn too_fast(&self) -> Option<(Recipe, String)> {
        match self {
            Self::SaltedSha256 { salt, digest } => Some((Recipe::Sha256 { salt: salt.clone() }, hex::encode(digest))),
            Self::Bcrypt(text) => {
                let parts: bcrypt::HashParts = text.parse().ok()?;
                (parts.get_cost() < MIN_BCRYPT_COST)
                    .then(|| (Recipe::Bcrypt { setting: text[..29].to_string() }, hex::encode(&text.as_bytes()[29..])))
            }
            Self::Phc(text) if text.starts_with("$pbkdf2-sha256$") => {
                let hash = PasswordHash::new(text).ok()?;
                let rounds = hash.params.get_decimal("i").unwrap_or(0);
                let (setting, _) = text.rsplit_once('$')?;
                let digest = hash.hash?;
                (rounds < MIN_PBKDF2_ROUNDS)
                    .then(|| (Recipe::Pbkdf2Sha256 { phc: setting.to_string() }, hex::encode(digest.as_ref())))
            }
            Self::Phc(_) | Self::Wrapped { .. } => None,
        }
    }

    /// The stored form of a fast hash: `argon2` (the argon2id PHC string over its hex digest) with
    /// the `recipe` that recomputes the digest.
    pub fn wrapped(recipe: Recipe, argon2: String) -> Self {
        Self::Wrapped { recipe, argon2 }
    }

    /// True when both hashes come from the same exported one (a wrapped hash and the fast one it
    /// wraps share their recipe: salt and parameters), so that importing again changes nothing.
    pub fn same_origin(&self, exported: &Self) -> bool {
        match (self, exported.too_fast()) {
            (Self::Wrapped { recipe, .. }, Some((exported, _))) => *recipe == exported,
            _ => self == exported,
        }
    }

    /// True when `password` is the one this hash was made from (constant-time comparison of the
    /// computed and stored hashes in every format).
    pub fn verify(&self, password: &str) -> bool {
        let password = password.as_bytes();
        match self {
            Self::Wrapped { recipe, argon2 } => {
                let (Some(digest), Ok(hash)) = (recipe.digest(password), PasswordHash::new(argon2)) else {
                    return false;
                };
                Argon2::default().verify_password(hex::encode(digest).as_bytes(), &hash).is_ok()
            }
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
                    _ => return super::argon2_phc::matches_phc(text, password),
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
            Self::Wrapped { recipe: Recipe::Sha256 { .. }, .. } => "sha256 (wrapped in argon2id)",
            Self::Wrapped { recipe: Recipe::Pbkdf2Sha256 { .. }, .. } => "pbkdf2-sha256 (wrapped in argon2id)",
            Self::Wrapped { recipe: Recipe::Bcrypt { .. }, .. } => "bcrypt (wrapped in argon2id)",
        }
    }
}

impl fmt::Display for LegacyHash {
    /// The hash as stored (the exported text, or the wrapped form).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Bcrypt(text) | Self::Phc(text) => f.write_str(text),
            Self::SaltedSha256 { salt, digest } => write!(f, "sha256${salt}${}", hex::encode(digest)),
            Self::Wrapped { recipe, argon2 } => {
                let recipe = serde_json::to_vec(recipe).map_err(|_| fmt::Error)?;
                write!(f, "{WRAPPED}{}${argon2}", URL_SAFE_NO_PAD.encode(recipe))
            }
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
    fn fast_hashes_wrap_in_argon2id_and_verify_through_the_wrap() {
        let cheap = Argon2::new(
            argon2::Algorithm::Argon2id,
            argon2::Version::V0x13,
            argon2::Params::new(64, 1, 1, None).unwrap(),
        );
        let samples = samples();
        let fast: Vec<bool> = samples.iter().map(|s| LegacyHash::parse(s).unwrap().too_fast().is_some()).collect();
        assert_eq!(fast, [true, true, true, false, true, false, true], "bcrypt 4, pbkdf2 1000 rounds, sha256");
        for sample in samples.iter().filter(|s| LegacyHash::parse(s).unwrap().too_fast().is_some()) {
            let exported = LegacyHash::parse(sample).unwrap();
            let (recipe, digest) = exported.too_fast().unwrap();
            let argon2 = cheap.hash_password_with_salt(digest.as_bytes(), SALT).unwrap().to_string();
            let stored = LegacyHash::wrapped(recipe, argon2).to_string();
            assert!(stored.starts_with("legacy-wrapped$"), "{stored}");
            let digest_text = sample.rsplit('$').next().unwrap();
            assert!(!stored.contains(&digest) && !stored.contains(&digest_text[digest_text.len() - 20..]), "{stored}");
            let wrapped = LegacyHash::parse(&stored).unwrap();
            assert!(wrapped.verify(PASSWORD), "{sample}");
            assert!(!wrapped.verify("vecchia-password-2018"), "{sample}");
            assert!(wrapped.same_origin(&exported), "{sample}: recognised as the exported hash it wraps");
            let other = if sample == &samples[6] { &samples[0] } else { &samples[6] };
            assert!(!wrapped.same_origin(&LegacyHash::parse(other).unwrap()), "{sample}");
            assert_eq!(wrapped.too_fast(), None, "wrapped once");
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
