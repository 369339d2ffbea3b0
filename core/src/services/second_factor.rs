//! Second factors (OWASP ASVS 4.0.3 4.3.1 and V2.8): TOTP authenticators (RFC 6238 through
//! `totp-rs`: SHA-1, 6 digits, 30-second steps, one step of clock skew either way) and 10
//! single-use recovery codes. A table dump reveals neither: the TOTP secret is sealed with
//! ChaCha20-Poly1305 under a key held outside the table (`MFA_SECRET_KEY`, from SSM on AWS), bound
//! to the account's username; recovery codes are stored as SHA-256.

use base64::{Engine, engine::general_purpose::STANDARD};
use chacha20poly1305::{ChaCha20Poly1305, KeyInit, aead::Aead, aead::Payload};
use hkdf::Hkdf;
use qrcodegen::{QrCode, QrCodeEcc};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use totp_rs::{Algorithm, Builder, Secret, Totp};

use crate::{
    domain::{SecondFactor, Timestamp, TokenHash, Username, random_bytes},
    ports::InfraError,
};

/// Recovery codes given at enrolment.
pub const RECOVERY_CODES: usize = 10;
/// The issuer an authenticator app shows.
const ISSUER: &str = "Utente Estero";
/// The recovery codes' alphabet (RFC 4648 base32, lower case: no 0/1/8/9 to mistake).
const CODE_ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";

/// A new authenticator to show once: the secret sealed for the table, and for the person the
/// secret in base32, the `otpauth://` URI and its QR code (SVG).
pub struct Enrolment {
    /// The secret sealed with the key outside the table.
    pub sealed_secret: String,
    /// The secret in base32 (typed into an app that cannot scan).
    pub secret: String,
    /// `otpauth://totp/Utente%20Estero:<username>?secret=...&issuer=...`.
    pub otpauth_uri: String,
    /// The URI as a QR code, an SVG document.
    pub qr_svg: String,
}

/// Seals TOTP secrets and checks codes.
#[derive(Clone)]
pub struct Authenticators {
    key: [u8; 32],
}

impl Authenticators {
    /// Authenticators whose secrets are sealed under a key derived from `key` (HKDF-SHA256).
    pub fn new(key: &SecretString) -> Self {
        let mut derived = [0u8; 32];
        Hkdf::<Sha256>::new(Some(b"foreign-user-totp-v1"), key.expose_secret().as_bytes())
            .expand(b"totp secret", &mut derived)
            .expect("32 bytes is a valid HKDF-SHA256 output length");
        Self { key: derived }
    }

    /// A new authenticator for `username`: 20 bytes from the OS CSPRNG (RFC 4226's length).
    pub fn enrol(&self, username: &Username) -> Result<Enrolment, InfraError> {
        let secret = random_bytes::<20>().map_err(|e| InfraError::unexpected("no randomness for a secret", e))?;
        let totp = totp(secret.to_vec(), username)?;
        let otpauth_uri = totp.to_url().map_err(|e| InfraError::unexpected("an otpauth URI", e))?;
        Ok(Enrolment {
            sealed_secret: self.seal(&secret, username)?,
            secret: Secret::from(secret).to_base32(),
            qr_svg: qr_svg(&otpauth_uri)?,
            otpauth_uri,
        })
    }

    /// The time step `code` is valid for at `now` under the sealed secret, if later than
    /// `after` (a code is accepted once: a replay in the same step is refused).
    pub fn check(
        &self,
        sealed: &str,
        username: &Username,
        code: &str,
        now: Timestamp,
        after: Option<u64>,
    ) -> Option<u64> {
        let secret = self.open(sealed, username)?;
        let totp = totp(secret, username).ok()?;
        let now = u64::try_from(now.unix()).ok()?;
        let step = totp.check(code.trim(), now)?;
        after.is_none_or(|after| step > after).then_some(step)
    }

    fn cipher(&self) -> ChaCha20Poly1305 {
        ChaCha20Poly1305::new(&self.key.into())
    }

    fn seal(&self, secret: &[u8], username: &Username) -> Result<String, InfraError> {
        let nonce = random_bytes::<12>().map_err(|e| InfraError::unexpected("no randomness for a nonce", e))?;
        let payload = Payload { msg: secret, aad: username.as_str().as_bytes() };
        let sealed = self
            .cipher()
            .encrypt(&nonce.into(), payload)
            .map_err(|_| InfraError::Unexpected("sealing a TOTP secret failed".into(), None))?;
        Ok(STANDARD.encode([nonce.as_slice(), &sealed].concat()))
    }

    fn open(&self, sealed: &str, username: &Username) -> Option<Vec<u8>> {
        let bytes = STANDARD.decode(sealed).ok()?;
        let (nonce, ciphertext) = bytes.split_at_checked(12)?;
        let nonce: [u8; 12] = nonce.try_into().ok()?;
        let payload = Payload { msg: ciphertext, aad: username.as_str().as_bytes() };
        self.cipher().decrypt(&nonce.into(), payload).ok()
    }
}

fn totp(secret: Vec<u8>, username: &Username) -> Result<Totp, InfraError> {
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_step_duration(30)
        .with_skew(1)
        .with_secret(secret)
        .with_account_name(username.as_str())
        .with_issuer(Some(ISSUER))
        .build()
        .map_err(|e| InfraError::unexpected("a TOTP authenticator", e))
}

/// `text` as a QR code (medium error correction), an SVG of black modules on white with the
/// standard four-module quiet zone.
fn qr_svg(text: &str) -> Result<String, InfraError> {
    let qr = QrCode::encode_text(text, QrCodeEcc::Medium)
        .map_err(|e| InfraError::Unexpected(format!("a QR code: {e:?}"), None))?;
    let size = qr.size();
    let mut path = String::new();
    for y in 0..size {
        for x in 0..size {
            if qr.get_module(x, y) {
                path.push_str(&format!("M{},{}h1v1h-1z", x + 4, y + 4));
            }
        }
    }
    let side = size + 8;
    Ok(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {side} {side}\" shape-rendering=\"crispEdges\">\
         <rect width=\"{side}\" height=\"{side}\" fill=\"#fff\"/><path d=\"{path}\" fill=\"#000\"/></svg>"
    ))
}

/// Ten new recovery codes (`xxxxx-xxxxx`, 50 bits each from the OS CSPRNG): to show once, and
/// their hashes to keep.
pub fn recovery_codes() -> Result<(Vec<String>, Vec<TokenHash>), InfraError> {
    let mut codes = Vec::with_capacity(RECOVERY_CODES);
    for _ in 0..RECOVERY_CODES {
        let bytes = random_bytes::<10>().map_err(|e| InfraError::unexpected("no randomness for a code", e))?;
        let letters: String = bytes.iter().map(|b| char::from(CODE_ALPHABET[usize::from(b % 32)])).collect();
        codes.push(format!("{}-{}", &letters[..5], &letters[5..]));
    }
    let hashes = codes.iter().map(|code| TokenHash::of(&normalized_code(code))).collect();
    Ok((codes, hashes))
}

/// A recovery code as typed, without case, spaces or dashes.
fn normalized_code(code: &str) -> String {
    code.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_lowercase()).collect()
}

/// True when `code` looks like a TOTP code (six digits, spaces allowed) rather than a recovery code.
pub fn is_totp_code(code: &str) -> bool {
    let digits: Vec<char> = code.chars().filter(|c| !c.is_whitespace()).collect();
    digits.len() == 6 && digits.iter().all(char::is_ascii_digit)
}

/// The kept hash of `code` when it is one of `factor`'s recovery codes not used yet (compared in
/// constant time); its use is then the account's [`crate::domain::AccountEvent::RecoveryCodeUsed`].
pub fn kept_recovery_code(factor: &SecondFactor, code: &str) -> Option<TokenHash> {
    let presented = TokenHash::of(&normalized_code(code));
    factor
        .recovery_codes
        .iter()
        .find(|kept| bool::from(kept.as_str().as_bytes().ct_eq(presented.as_str().as_bytes())))
        .cloned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Account, AccountEvent, Email, Language, Role};

    fn authenticators() -> Authenticators {
        Authenticators::new(&SecretString::from("a key for sealing TOTP secrets, 32+ bytes"))
    }

    #[test]
    fn codes_of_the_enrolled_secret_verify_once_per_step_and_only_for_that_account() {
        let user = Username::parse("op.anna").unwrap();
        let enrolment = authenticators().enrol(&user).unwrap();
        assert!(
            enrolment.otpauth_uri.starts_with("otpauth://totp/Utente%20Estero:op.anna?secret="),
            "{}",
            enrolment.otpauth_uri
        );
        assert!(enrolment.otpauth_uri.contains(&enrolment.secret));
        assert!(!enrolment.sealed_secret.contains(&enrolment.secret), "sealed");
        assert!(enrolment.qr_svg.starts_with("<svg") && enrolment.qr_svg.contains("<path"));
        let now = Timestamp::now();
        let secret = Secret::try_from_base32(&enrolment.secret).unwrap();
        let totp = totp(secret.as_ref().to_vec(), &user).unwrap();
        let code = totp.generate(u64::try_from(now.unix()).unwrap()).to_string();
        let step = authenticators().check(&enrolment.sealed_secret, &user, &code, now, None).expect("valid");
        assert_eq!(authenticators().check(&enrolment.sealed_secret, &user, &code, now, Some(step)), None, "replay");
        let other = Username::parse("op.bruno").unwrap();
        assert_eq!(
            authenticators().check(&enrolment.sealed_secret, &other, &code, now, None),
            None,
            "bound to its account"
        );
        let other_key = Authenticators::new(&SecretString::from("another key for sealing, also 32+ bytes"));
        assert_eq!(other_key.check(&enrolment.sealed_secret, &user, &code, now, None), None);
        let later = now.plus(time::Duration::minutes(2));
        assert_eq!(authenticators().check(&enrolment.sealed_secret, &user, &code, later, None), None, "lapsed");
    }

    #[test]
    fn recovery_codes_work_once_whatever_their_case_and_dashes() {
        let (codes, hashes) = recovery_codes().unwrap();
        assert_eq!(codes.len(), 10);
        assert!(codes.iter().all(|c| c.len() == 11 && c.as_bytes()[5] == b'-'), "{codes:?}");
        let now = Timestamp::now();
        let factor = SecondFactor {
            sealed_secret: String::new(),
            last_step: 0,
            recovery_codes: hashes.clone(),
            enrolled_at: now,
        };
        let used = kept_recovery_code(&factor, &codes[3].to_uppercase().replace('-', " ")).expect("a code left");
        assert_eq!(used, hashes[3]);
        let (username, email) = (Username::parse("op.anna").unwrap(), Email::parse("anna@example.org").unwrap());
        let account = Account::pending(username, Role::Operator, email, "Anna".into(), Language::It, None, now)
            .apply(AccountEvent::SecondFactorEnrolled(factor), now)
            .apply(AccountEvent::RecoveryCodeUsed(used), now);
        let left = account.second_factor().unwrap();
        assert_eq!(kept_recovery_code(left, &codes[3]), None, "used");
        assert_eq!(left.recovery_codes.len(), 9);
        assert_eq!(kept_recovery_code(left, "aaaaa-aaaaa"), None);
        assert!(is_totp_code("123 456") && !is_totp_code(&codes[0]) && !is_totp_code("12345"));
    }
}
