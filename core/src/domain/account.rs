//! Accounts of applicants and operators: who can log in, with which role and password state. An
//! account changes only through [`Account::apply`], which keeps its invariants: every change bumps
//! the version (the condition of the next write), and a new credential ends every session and
//! grant issued for the old one.

use serde::{Deserialize, Serialize};

use super::{Email, Language, RequestId, Timestamp, TokenHash, Username};

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

/// An account. Its fields are read through its methods and changed only by [`Account::apply`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    username: Username,
    role: Role,
    email: Email,
    display_name: String,
    language: Language,
    /// The argon2id PHC string of the current password (none while pending or activating).
    password_hash: Option<String>,
    password: PasswordState,
    request_id: Option<RequestId>,
    version: u64,
    created_at: Timestamp,
    password_changed_at: Option<Timestamp>,
    last_login_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_login_ip: Option<String>,
    #[serde(default)]
    credential: u64,
    #[serde(default)]
    disabled: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    second_factor: Option<SecondFactor>,
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

/// The credential an issuance emails.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IssuedCredential {
    /// A temporary password, stored as its argon2id PHC string.
    TemporaryPassword {
        /// Its hash.
        hash: String,
        /// When it stops working.
        expires_at: Timestamp,
    },
    /// An activation link (its token's hash is the only one that works).
    ActivationLink {
        /// The hash of the link's token.
        grant: TokenHash,
        /// When it stops working.
        expires_at: Timestamp,
    },
}

/// Something that happens to an account: the only way it changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountEvent {
    /// Credentials were issued (again): every earlier one stops working.
    CredentialsIssued(IssuedCredential),
    /// The person chose a password (argon2id PHC string); `at_login` when they did so to log in
    /// (a first access, or a change from a session), which counts as their last login.
    PasswordChosen {
        /// Its hash.
        hash: String,
        /// Whether it completes a login.
        at_login: bool,
    },
    /// A login completed, from this address when the API tells it.
    LoggedIn {
        /// The client's address.
        ip: Option<String>,
    },
    /// A TOTP authenticator was enrolled.
    SecondFactorEnrolled(SecondFactor),
    /// A code of the TOTP authenticator was accepted for this time step (no code of it or of an
    /// earlier step works again).
    TotpCodeAccepted {
        /// The time step.
        step: u64,
    },
    /// One of the recovery codes was used (it never works again).
    RecoveryCodeUsed(TokenHash),
    /// An administrator's action (an unlock changes nothing on the account itself).
    Administered(AdminAction),
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

    /// An applicant's account imported from the old portal with its password hash as exported
    /// (`password_hash`, a PHC string): it works until the first login, which must choose a new one.
    pub fn imported(
        username: Username,
        email: Email,
        display_name: String,
        language: Language,
        password_hash: String,
        now: Timestamp,
    ) -> Self {
        Self {
            password_hash: Some(password_hash),
            password: PasswordState::Legacy { imported_at: now },
            ..Self::pending(username, Role::Applicant, email, display_name, language, None, now)
        }
    }

    /// The account after `event` at `now`, one version later.
    pub fn apply(mut self, event: AccountEvent, now: Timestamp) -> Self {
        match event {
            AccountEvent::CredentialsIssued(IssuedCredential::TemporaryPassword { hash, expires_at }) => {
                self.password_hash = Some(hash);
                self.password = PasswordState::Temporary { expires_at };
                self.credential += 1;
            }
            AccountEvent::CredentialsIssued(IssuedCredential::ActivationLink { grant, expires_at }) => {
                self.password_hash = None;
                self.password = PasswordState::Activation { expires_at, grant };
                self.credential += 1;
            }
            AccountEvent::PasswordChosen { hash, at_login } => {
                self.password_hash = Some(hash);
                self.password = PasswordState::Permanent;
                self.password_changed_at = Some(now);
                if at_login {
                    self.last_login_at = Some(now);
                }
                self.credential += 1;
            }
            AccountEvent::LoggedIn { ip } => {
                self.last_login_at = Some(now);
                self.last_login_ip = ip;
            }
            AccountEvent::SecondFactorEnrolled(factor) => self.second_factor = Some(factor),
            AccountEvent::TotpCodeAccepted { step } => {
                if let Some(factor) = &mut self.second_factor {
                    factor.last_step = step;
                }
            }
            AccountEvent::RecoveryCodeUsed(code) => {
                if let Some(factor) = &mut self.second_factor {
                    factor.recovery_codes.retain(|kept| *kept != code);
                }
            }
            AccountEvent::Administered(AdminAction::Disable) => {
                self.disabled = true;
                self.credential += 1;
            }
            AccountEvent::Administered(AdminAction::Enable) => self.disabled = false,
            AccountEvent::Administered(AdminAction::Unlock) => {}
            AccountEvent::Administered(AdminAction::ResetMfa) => {
                self.second_factor = None;
                self.credential += 1;
            }
        }
        self.version += 1;
        self
    }

    /// Login name.
    pub fn username(&self) -> &Username {
        &self.username
    }

    /// What it may do.
    pub fn role(&self) -> Role {
        self.role
    }

    /// Where credentials and notices go.
    pub fn email(&self) -> &Email {
        &self.email
    }

    /// Name for greetings.
    pub fn display_name(&self) -> &str {
        &self.display_name
    }

    /// Language of the emails.
    pub fn language(&self) -> Language {
        self.language
    }

    /// The argon2id PHC string of the current password (none while pending or activating).
    pub fn password_hash(&self) -> Option<&str> {
        self.password_hash.as_deref()
    }

    /// Where the password stands.
    pub fn password(&self) -> &PasswordState {
        &self.password
    }

    /// The approved request, for applicants.
    pub fn request_id(&self) -> Option<RequestId> {
        self.request_id
    }

    /// Incremented by every change: the condition of the next write.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// When the account was created.
    pub fn created_at(&self) -> Timestamp {
        self.created_at
    }

    /// When the person last chose their password.
    pub fn password_changed_at(&self) -> Option<Timestamp> {
        self.password_changed_at
    }

    /// The last successful login.
    pub fn last_login_at(&self) -> Option<Timestamp> {
        self.last_login_at
    }

    /// The address the last login came from, when known.
    pub fn last_login_ip(&self) -> Option<&str> {
        self.last_login_ip.as_deref()
    }

    /// Incremented whenever the account's credential changes (a password set, credentials
    /// issued, a disable, an MFA reset): sessions, change tokens and activation links carry the
    /// one they were issued for, so that every older one stops working.
    pub fn credential(&self) -> u64 {
        self.credential
    }

    /// Set by an administrator: no login, and every session ends at once.
    pub fn is_disabled(&self) -> bool {
        self.disabled
    }

    /// The enrolled second factor (TOTP), if any.
    pub fn second_factor(&self) -> Option<&SecondFactor> {
        self.second_factor.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account() -> (Account, Timestamp) {
        let now = Timestamp::now();
        let username = Username::parse("maria.dangelo").unwrap();
        let email = Email::parse("maria@example.org").unwrap();
        (Account::pending(username, Role::Applicant, email, "Maria D'Angelo".into(), Language::It, None, now), now)
    }

    fn factor(now: Timestamp) -> SecondFactor {
        let codes = vec![TokenHash::of("one"), TokenHash::of("two")];
        SecondFactor { sealed_secret: "sealed".into(), last_step: 7, recovery_codes: codes, enrolled_at: now }
    }

    #[test]
    fn every_event_is_one_version_later() {
        let (mut account, now) = account();
        let events = [
            AccountEvent::CredentialsIssued(IssuedCredential::TemporaryPassword { hash: "h".into(), expires_at: now }),
            AccountEvent::PasswordChosen { hash: "p".into(), at_login: true },
            AccountEvent::LoggedIn { ip: Some("192.0.2.1".into()) },
            AccountEvent::SecondFactorEnrolled(factor(now)),
            AccountEvent::TotpCodeAccepted { step: 8 },
            AccountEvent::RecoveryCodeUsed(TokenHash::of("one")),
            AccountEvent::Administered(AdminAction::Unlock),
            AccountEvent::Administered(AdminAction::Disable),
            AccountEvent::Administered(AdminAction::Enable),
            AccountEvent::Administered(AdminAction::ResetMfa),
        ];
        for (n, event) in events.into_iter().enumerate() {
            account = account.apply(event, now);
            assert_eq!(account.version(), 2 + n as u64);
        }
    }

    #[test]
    fn a_new_credential_comes_with_each_issue_password_disable_and_mfa_reset_only() {
        let (account, now) = account();
        let renews = |event: AccountEvent| {
            let before = account.clone().apply(AccountEvent::SecondFactorEnrolled(factor(now)), now);
            before.clone().apply(event, now).credential() - before.credential()
        };
        let link = IssuedCredential::ActivationLink { grant: TokenHash::of("link"), expires_at: now };
        assert_eq!(renews(AccountEvent::CredentialsIssued(link)), 1);
        assert_eq!(renews(AccountEvent::PasswordChosen { hash: "p".into(), at_login: false }), 1);
        assert_eq!(renews(AccountEvent::Administered(AdminAction::Disable)), 1);
        assert_eq!(renews(AccountEvent::Administered(AdminAction::ResetMfa)), 1);
        assert_eq!(renews(AccountEvent::Administered(AdminAction::Enable)), 0);
        assert_eq!(renews(AccountEvent::Administered(AdminAction::Unlock)), 0);
        assert_eq!(renews(AccountEvent::LoggedIn { ip: None }), 0);
        assert_eq!(renews(AccountEvent::TotpCodeAccepted { step: 9 }), 0);
        assert_eq!(renews(AccountEvent::RecoveryCodeUsed(TokenHash::of("two"))), 0);
    }

    #[test]
    fn a_chosen_password_is_permanent_and_counts_as_a_login_only_at_login() {
        let (account, now) = account();
        let later = now.plus(time::Duration::minutes(5));
        let reset = account.clone().apply(AccountEvent::PasswordChosen { hash: "p".into(), at_login: false }, later);
        assert_eq!((reset.password(), reset.password_hash()), (&PasswordState::Permanent, Some("p")));
        assert_eq!((reset.password_changed_at(), reset.last_login_at()), (Some(later), None));
        let first = account.apply(AccountEvent::PasswordChosen { hash: "p".into(), at_login: true }, later);
        assert_eq!(first.last_login_at(), Some(later));
    }

    #[test]
    fn codes_used_never_work_again_and_a_reset_removes_the_factor() {
        let (account, now) = account();
        let enrolled = account.apply(AccountEvent::SecondFactorEnrolled(factor(now)), now);
        let used = enrolled
            .apply(AccountEvent::TotpCodeAccepted { step: 12 }, now)
            .apply(AccountEvent::RecoveryCodeUsed(TokenHash::of("one")), now);
        let kept = used.second_factor().unwrap();
        assert_eq!((kept.last_step, kept.recovery_codes.clone()), (12, vec![TokenHash::of("two")]));
        let reset = used.apply(AccountEvent::Administered(AdminAction::ResetMfa), now);
        assert_eq!(reset.second_factor(), None);
    }

    #[test]
    fn a_disabled_account_stays_disabled_until_enabled() {
        let (account, now) = account();
        let disabled = account.apply(AccountEvent::Administered(AdminAction::Disable), now);
        assert!(disabled.is_disabled());
        assert!(!disabled.apply(AccountEvent::Administered(AdminAction::Enable), now).is_disabled());
    }
}
