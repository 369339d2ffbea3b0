//! Accounts of applicants and operators: who can log in, with which role and password state.

use std::fmt;

use deunicode::deunicode;
use serde::{Deserialize, Serialize};

use super::{Email, Language, PersonName, RequestId, Timestamp, TokenHash};

/// Longest username (a DynamoDB key part, typed by people).
pub const MAX_USERNAME: usize = 64;

/// A login name: lowercase ASCII letters, digits, dots, hyphens and underscores, 3 to 64
/// characters, starting with a letter or digit (e.g. `maria.dangelo`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Username(String);

impl Username {
    /// Parses a username as typed at login (trimmed, case-insensitive).
    pub fn parse(value: &str) -> Option<Self> {
        let lower = value.trim().to_ascii_lowercase();
        let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '-' | '_');
        let valid = (3..=MAX_USERNAME).contains(&lower.len())
            && lower.chars().all(allowed)
            && lower.chars().next().is_some_and(|c| c.is_ascii_alphanumeric());
        valid.then_some(Self(lower))
    }

    /// The readable base of a username for a person: given names and surnames folded to ASCII
    /// (`Łukasz D'Angelo` → `lukasz.dangelo`, `李 小龙` → `li.xiaolong`), at most 40 characters.
    pub fn base_for(name: &PersonName, surname: &PersonName) -> String {
        let fold = |text: &str| -> String {
            deunicode(text).to_ascii_lowercase().chars().filter(|c| c.is_ascii_alphanumeric()).collect()
        };
        let parts: Vec<String> =
            [name.as_str(), surname.as_str()].iter().map(|p| fold(p)).filter(|p| !p.is_empty()).collect();
        let mut base = parts.join(".");
        base.truncate(40);
        let base = base.trim_end_matches('.').to_string();
        if base.len() < 3 { format!("utente.{base}").trim_end_matches('.').to_string() } else { base }
    }

    /// The `n`-th candidate for `base` (1: `base`, 2: `base2`, ...).
    pub fn candidate(base: &str, n: u64) -> Option<Self> {
        if n <= 1 { Self::parse(base) } else { Self::parse(&format!("{base}{n}")) }
    }

    /// The username text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Username {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value).ok_or_else(|| format!("invalid stored username {value:?}"))
    }
}

impl From<Username> for String {
    fn from(value: Username) -> Self {
        value.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What an account may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A foreign user with approved credentials.
    Applicant,
    /// An assistance operator.
    Operator,
}

impl Role {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Applicant => "applicant",
            Self::Operator => "operator",
        }
    }
}

/// Where an account's password stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum PasswordState {
    /// Credentials are being issued: no password works yet.
    Pending,
    /// A temporary password was emailed; it must be changed at first login and lapses.
    Temporary {
        /// When it stops working.
        expires_at: Timestamp,
    },
    /// An activation link was emailed instead of a password (single use, lapses).
    Activation {
        /// When the link stops working.
        expires_at: Timestamp,
        /// The hash of the only link that works (a re-issued link replaces it).
        grant: TokenHash,
    },
    /// The user chose their password.
    Permanent,
    /// Imported from the old portal (Cliclavoro) with its password hash, kept as exported: that
    /// password works until the first login, which must choose a new one.
    Legacy {
        /// When the account was imported.
        imported_at: Timestamp,
    },
}

impl PasswordState {
    /// True while the user has not yet chosen a password of their own, so credentials may be
    /// issued (again).
    pub fn awaits_first_login(&self) -> bool {
        !matches!(self, Self::Permanent)
    }
}

/// An account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// Login name.
    pub username: Username,
    /// Role.
    pub role: Role,
    /// Where credentials and notices go.
    pub email: Email,
    /// Name for greetings.
    pub display_name: String,
    /// Language of the emails.
    pub language: Language,
    /// The argon2id PHC string of the current password (none while pending or activating).
    pub password_hash: Option<String>,
    /// Where the password stands.
    pub password: PasswordState,
    /// The approved request, for applicants.
    pub request_id: Option<RequestId>,
    /// Incremented by every write: the condition of the next one.
    pub version: u64,
    /// When the account was created.
    pub created_at: Timestamp,
    /// When the user last chose their password.
    pub password_changed_at: Option<Timestamp>,
    /// The last successful login.
    pub last_login_at: Option<Timestamp>,
    /// The address it came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_login_ip: Option<String>,
    /// Incremented whenever the account's credential changes (a password set, credentials issued):
    /// change tokens and activation links carry the one they were issued for, so that every older
    /// one stops working.
    #[serde(default)]
    pub credential: u64,
    /// Set by an administrator: no login, and every session ends at once.
    #[serde(default)]
    pub disabled: bool,
    /// The enrolled second factor (TOTP), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub second_factor: Option<SecondFactor>,
}

/// An administrator's action on an operator's account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdminAction {
    /// No login, every session ended.
    Disable,
    /// Logins again (sessions ended by the disable stay ended).
    Enable,
    /// The failed logins forgotten: the lock lifts.
    Unlock,
    /// The second factor removed: the next login enrols a new one; every session ended.
    ResetMfa,
}

impl AdminAction {
    /// Parses the command's word (`disable`, `enable`, `unlock`, `reset-mfa`).
    pub fn parse(word: &str) -> Option<Self> {
        match word {
            "disable" => Some(Self::Disable),
            "enable" => Some(Self::Enable),
            "unlock" => Some(Self::Unlock),
            "reset-mfa" => Some(Self::ResetMfa),
            _ => None,
        }
    }
}

/// An enrolled TOTP authenticator (RFC 6238) with the recovery codes left.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecondFactor {
    /// The TOTP secret, sealed with a key held outside the table (`MFA_SECRET_KEY`).
    pub sealed_secret: String,
    /// The last time step a code was accepted for: a code of it or of an earlier one is refused.
    pub last_step: u64,
    /// SHA-256 of the recovery codes not used yet (each works once).
    pub recovery_codes: Vec<TokenHash>,
    /// When it was enrolled.
    pub enrolled_at: Timestamp,
}

impl Account {
    /// The account with a new credential: every outstanding grant stops working.
    pub fn renew_credential(&mut self) {
        self.credential += 1;
    }
}

impl Account {
    /// A new account whose credentials are still to be issued.
    pub fn pending(
        username: Username,
        role: Role,
        email: Email,
        display_name: String,
        language: Language,
        request_id: Option<RequestId>,
        now: Timestamp,
    ) -> Self {
        Self {
            username,
            role,
            email,
            display_name,
            language,
            password_hash: None,
            password: PasswordState::Pending,
            request_id,
            version: 1,
            created_at: now,
            password_changed_at: None,
            last_login_at: None,
            last_login_ip: None,
            credential: 0,
            disabled: false,
            second_factor: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn name(text: &str) -> PersonName {
        PersonName::parse(text).unwrap()
    }

    #[test]
    fn usernames_are_readable_ascii_folds_of_the_name() {
        assert_eq!(Username::base_for(&name("Maria"), &name("D'Angelo")), "maria.dangelo");
        assert_eq!(Username::base_for(&name("Łukasz"), &name("Żółć-Nowak")), "lukasz.zolcnowak");
        assert_eq!(Username::base_for(&name("José María"), &name("Núñez")), "josemaria.nunez");
        assert_eq!(Username::base_for(&name("李"), &name("小龙")), "li.xiaolong");
        assert_eq!(Username::base_for(&name("Иван"), &name("Петров")), "ivan.petrov");
    }

    #[test]
    fn candidates_add_a_number_after_the_first() {
        assert_eq!(Username::candidate("maria.rossi", 1).unwrap().as_str(), "maria.rossi");
        assert_eq!(Username::candidate("maria.rossi", 2).unwrap().as_str(), "maria.rossi2");
        assert_eq!(Username::candidate("maria.rossi", 17).unwrap().as_str(), "maria.rossi17");
    }

    #[test]
    fn login_names_parse_case_insensitively_and_refuse_junk() {
        assert_eq!(Username::parse(" Maria.Rossi ").unwrap().as_str(), "maria.rossi");
        for bad in ["", "ab", "maria rossi", ".maria", "maría", "a@b.c", &"a".repeat(65)] {
            assert_eq!(Username::parse(bad), None, "{bad:?}");
        }
    }

    proptest! {
        #[test]
        fn every_name_yields_a_valid_username(given in "\\p{L}{1,30}", family in "\\p{L}{1,30}") {
            let (given, family) = (PersonName::parse(&given), PersonName::parse(&family));
            if let (Ok(given), Ok(family)) = (given, family) {
                let base = Username::base_for(&given, &family);
                prop_assert!(Username::candidate(&base, 1).is_some(), "{base}");
                prop_assert!(Username::candidate(&base, 99).is_some(), "{base}");
            }
        }
    }
}
