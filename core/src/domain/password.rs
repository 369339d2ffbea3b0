//! Passwords: the temporary ones the service generates, and the policy a chosen one must meet.

use secrecy::SecretString;
use unicode_normalization::UnicodeNormalization;

use super::random_bytes;

/// Letters and digits that cannot be mistaken for one another (no 0/O, 1/l/I).
const UNAMBIGUOUS: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
/// Length of temporary passwords (20 of 56 symbols: 116 bits).
pub const TEMPORARY_LENGTH: usize = 20;
/// Shortest password a user may choose (OWASP ASVS 4.0.3 V2.1.1).
pub const MIN_LENGTH: usize = 12;
/// Longest password accepted (ASVS V2.1.2 asks to allow at least 64).
pub const MAX_LENGTH: usize = 128;
/// Lowest zxcvbn score accepted (0 to 4): 3 means about 10^10 guesses, "safely unguessable:
/// moderate protection from an offline slow-hash scenario".
pub const MIN_SCORE: u8 = 3;

/// A fresh password from the OS CSPRNG, drawn uniformly from [`UNAMBIGUOUS`].
pub fn temporary_password() -> Result<SecretString, getrandom::Error> {
    let mut password = String::with_capacity(TEMPORARY_LENGTH);
    // Rejection sampling keeps every symbol equally likely: 224 = 4 * 56.
    let limit = (256 / UNAMBIGUOUS.len() * UNAMBIGUOUS.len()) as u8;
    while password.len() < TEMPORARY_LENGTH {
        for byte in random_bytes::<32>()? {
            if byte < limit && password.len() < TEMPORARY_LENGTH {
                password.push(UNAMBIGUOUS[usize::from(byte) % UNAMBIGUOUS.len()] as char);
            }
        }
    }
    Ok(SecretString::from(password))
}

/// Why a chosen password is refused (machine-readable codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WeakReason {
    /// Fewer than 12 characters.
    TooShort,
    /// More than 128 characters.
    TooLong,
    /// Equals or contains the username.
    ContainsUsername,
    /// Equals or contains the email address (or its part before the `@`).
    ContainsEmail,
    /// Common or easily guessed (zxcvbn score below 3).
    TooGuessable,
    /// The same as the current (temporary) password.
    SameAsCurrent,
}

impl WeakReason {
    /// The code.
    pub fn code(self) -> &'static str {
        match self {
            Self::TooShort => "too_short",
            Self::TooLong => "too_long",
            Self::ContainsUsername => "contains_username",
            Self::ContainsEmail => "contains_email",
            Self::TooGuessable => "too_guessable",
            Self::SameAsCurrent => "same_as_current",
        }
    }

    /// The explanation, in `language`.
    pub fn message(self, language: super::Language) -> &'static str {
        let texts = &language.texts().api.weak;
        match self {
            Self::TooShort => texts.too_short,
            Self::TooLong => texts.too_long,
            Self::ContainsUsername => texts.contains_username,
            Self::ContainsEmail => texts.contains_email,
            Self::TooGuessable => texts.too_guessable,
            Self::SameAsCurrent => texts.same_as_current,
        }
    }
}

/// What a chosen password is checked against.
pub struct PasswordContext<'a> {
    /// The account's username.
    pub username: &'a str,
    /// The account's email address.
    pub email: &'a str,
    /// Other personal words (names) zxcvbn should consider guessable.
    pub personal: &'a [&'a str],
}

/// A password as it is hashed and checked: NFC-normalised, so that the same text typed with
/// composed or decomposed characters (`é` or `e` + U+0301) is the same password.
pub fn normalized(password: &str) -> SecretString {
    SecretString::from(password.nfc().collect::<String>())
}

/// A password a user chose that meets the policy (OWASP ASVS 4.0.3 V2.1: length 12 to 128, any
/// Unicode, no composition rules, not the username or email, not common or guessable).
pub struct NewPassword(SecretString);

impl NewPassword {
    /// Checks `candidate`, reporting every reason it is refused.
    pub fn parse(candidate: &str, context: &PasswordContext<'_>) -> Result<Self, Vec<WeakReason>> {
        let normalized = normalized(candidate);
        let normalized = secrecy::ExposeSecret::expose_secret(&normalized).to_string();
        let length = normalized.chars().count();
        let mut reasons = Vec::new();
        if length < MIN_LENGTH {
            reasons.push(WeakReason::TooShort);
        }
        if length > MAX_LENGTH {
            reasons.push(WeakReason::TooLong);
        }
        let lower = normalized.to_lowercase();
        if !context.username.is_empty() && lower.contains(&context.username.to_lowercase()) {
            reasons.push(WeakReason::ContainsUsername);
        }
        let email = context.email.to_lowercase();
        let local = email.split('@').next().unwrap_or_default();
        if !email.is_empty() && (lower.contains(&email) || (local.len() >= 3 && lower.contains(local))) {
            reasons.push(WeakReason::ContainsEmail);
        }
        if length <= MAX_LENGTH {
            let mut inputs = vec![context.username, context.email, local];
            inputs.extend_from_slice(context.personal);
            if u8::from(zxcvbn::zxcvbn(&normalized, &inputs).score()) < MIN_SCORE {
                reasons.push(WeakReason::TooGuessable);
            }
        }
        if reasons.is_empty() { Ok(Self(SecretString::from(normalized))) } else { Err(reasons) }
    }

    /// The password (NFC-normalised), to hash.
    pub fn into_secret(self) -> SecretString {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    const CONTEXT: PasswordContext<'static> =
        PasswordContext { username: "maria.dangelo", email: "maria@example.org", personal: &["Maria", "D'Angelo"] };

    fn reasons(candidate: &str) -> Vec<WeakReason> {
        NewPassword::parse(candidate, &CONTEXT).err().unwrap_or_default()
    }

    #[test]
    fn temporary_passwords_are_long_unambiguous_and_distinct() {
        let a = temporary_password().unwrap();
        let b = temporary_password().unwrap();
        assert_eq!(a.expose_secret().len(), TEMPORARY_LENGTH);
        assert!(a.expose_secret().bytes().all(|c| UNAMBIGUOUS.contains(&c)));
        assert!(!a.expose_secret().contains(['0', 'O', '1', 'l', 'I']));
        assert_ne!(a.expose_secret(), b.expose_secret());
    }

    #[test]
    fn strong_passphrases_of_any_script_are_accepted() {
        for good in [
            "correct horse battery staple",
            "Tramonto-sul-Vesuvio-1987!",
            "жёлтый слон пьёт чай",
            "月曜日の朝に富士山を見た",
        ] {
            assert!(NewPassword::parse(good, &CONTEXT).is_ok(), "{good}");
        }
    }

    #[test]
    fn short_common_and_personal_passwords_are_refused_with_reasons() {
        assert_eq!(reasons("Sh0rt!"), [WeakReason::TooShort, WeakReason::TooGuessable]);
        assert!(reasons("password1234").contains(&WeakReason::TooGuessable));
        assert!(reasons("qwertyuiop123").contains(&WeakReason::TooGuessable));
        assert!(reasons("xx-maria.dangelo-2026-yy").contains(&WeakReason::ContainsUsername));
        assert!(reasons("my maria@example.org box!").contains(&WeakReason::ContainsEmail));
        assert!(reasons(&"a".repeat(129)).contains(&WeakReason::TooLong));
    }

    #[test]
    fn no_composition_rules() {
        assert!(NewPassword::parse("lowercase words only make it", &CONTEXT).is_ok());
    }
}
