//! Login and password changes: sessions for permanent passwords, a forced change for temporary
//! ones, the same answer and time for wrong usernames and passwords, and lockouts.

use std::sync::Arc;

use secrecy::SecretString;
use serde::Serialize;
use serde_json::{Map, Value};
use time::Duration;

use super::{
    limits::{Limit, Limiter},
    passwords::PasswordHasher,
    postman::Postman,
    second_factor::{self, Authenticators, MFA_TOKEN_TTL},
    sessions::{Claims, LiveSessions, PreviousLogin, Session},
};
use crate::{
    domain::{
        Account, AccountEvent, Authentication, ChangeGrant, EmailKind, FieldError, FieldErrors, FieldReader,
        GrantPurpose, InvalidForm, Language, NewPassword, OutboxEmail, PasswordContext, PasswordState, Role,
        SecondFactor, SecretToken, Timestamp, TokenHash, Username, WeakReason,
    },
    ports::{AccountStore, Admission, Clock, GrantStore, InfraError, LoginAttemptStore, LoginKey, TransitionError},
};

/// Consecutive failures allowed before the account locks.
pub const MAX_FAILURES: u32 = 5;
/// First lock: one minute, doubled at each further failure.
pub const FIRST_LOCK: Duration = Duration::minutes(1);
/// Longest lock.
pub const MAX_LOCK: Duration = Duration::minutes(15);
/// How recent the login of a session must be for it to add an authenticator (ASVS 3.7.1): a
/// session taken later in its life cannot add the thief's.
pub const FRESH_LOGIN: Duration = Duration::minutes(5);
/// How long a password-change token works.
pub const CHANGE_TOKEN_TTL: Duration = Duration::minutes(15);
/// Longest username or password read (longer input is refused as wrong, after the same work).
const MAX_INPUT: usize = 1024;
/// The source of a login when the API does not tell the client's address.
const UNKNOWN_SOURCE: &str = "-";

/// The lock earned by `failures` consecutive failures: none before the fifth, then one minute,
/// doubling, at most 15 minutes (like Amazon Cognito).
pub fn lock_duration(failures: u32) -> Option<Duration> {
    let beyond = failures.checked_sub(MAX_FAILURES)?;
    let doubled = FIRST_LOCK.checked_mul(2i32.checked_pow(beyond.min(16))?.max(1))?;
    Some(doubled.min(MAX_LOCK))
}

/// The answer when a password must be changed before any session.
#[derive(Debug, Serialize)]
pub struct ChangeRequired {
    /// Always `password_change_required`.
    pub status: &'static str,
    /// Single-use token for `POST /auth/password`.
    pub change_token: String,
    /// Seconds until it lapses.
    pub expires_in: i64,
}

/// The answer when a second factor must follow the password.
#[derive(Debug, Serialize)]
pub struct MfaChallenge {
    /// Always `second_factor_required`.
    pub status: &'static str,
    /// The token for `POST /auth/mfa`.
    pub mfa_token: String,
    /// Seconds until it lapses.
    pub expires_in: i64,
}

/// The answer when an operator must enrol an authenticator before any session.
#[derive(Debug, Serialize)]
pub struct MfaEnrolment {
    /// Always `mfa_enrolment_required`.
    pub status: &'static str,
    /// The token for `POST /auth/mfa`, with the first code.
    pub mfa_token: String,
    /// The TOTP secret, base32.
    pub secret: String,
    /// The `otpauth://totp/...` URI the QR code shows.
    pub otpauth_uri: String,
    /// That QR code, an SVG document.
    pub qr_svg: String,
    /// Seconds until it lapses.
    pub expires_in: i64,
}

/// The outcome of a correct login.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum LoginOutcome {
    /// A session.
    Authenticated(Session),
    /// No session until the password is changed.
    ChangeRequired(ChangeRequired),
    /// No session until the second factor is given.
    SecondFactorRequired(MfaChallenge),
    /// No session until an authenticator is enrolled.
    MfaEnrolmentRequired(MfaEnrolment),
}

/// `POST /auth/mfa` as read at the edge.
pub struct MfaAnswer {
    /// The token of the login's answer.
    pub mfa_token: String,
    /// The authenticator's code, or a recovery code.
    pub code: String,
    /// The client's address, when the API tells it.
    pub source_ip: Option<String>,
}

impl MfaAnswer {
    /// Reads `mfa_token` and `code`, both required; errors told in `language`.
    pub fn read(body: &Map<String, Value>, language: Language) -> Result<Self, InvalidForm> {
        let (mfa_token, code) = two_texts(body, language, ["mfa_token", "code"])?;
        Ok(Self { mfa_token, code, source_ip: None })
    }
}

/// The session answer of a completed second factor; after an enrolment, with the recovery codes
/// (shown this once).
#[derive(Debug, Serialize)]
pub struct MfaCompleted {
    /// The session.
    #[serde(flatten)]
    pub session: Session,
    /// The ten single-use recovery codes of a new enrolment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recovery_codes: Option<Vec<String>>,
}

/// Why authentication failed.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// Wrong username or password (never says which).
    #[error("invalid credentials")]
    InvalidCredentials,
    /// The temporary password was right but has lapsed.
    #[error("temporary password expired")]
    TemporaryPasswordExpired,
    /// Too many failures: retry after this many seconds.
    #[error("account locked")]
    Locked(i64),
    /// The change token is unknown, used or lapsed.
    #[error("invalid change token")]
    InvalidChangeToken,
    /// The reset token is unknown, used, replaced by a newer one or lapsed.
    #[error("invalid reset token")]
    InvalidResetToken,
    /// The session's login is older than [`FRESH_LOGIN`]: adding an authenticator needs a new one.
    #[error("reauthentication required")]
    ReauthenticationRequired,
    /// A second factor is already enrolled (an administrator resets it).
    #[error("already enrolled")]
    AlreadyEnrolled,
    /// The second factor's code is wrong or was already used.
    #[error("invalid code")]
    InvalidCode,
    /// The token between password and second factor is unknown, used or lapsed.
    #[error("invalid mfa token")]
    InvalidMfaToken,
    /// Too many requests from this source or for this account: retry after this many seconds.
    #[error("rate limited")]
    RateLimited(i64),
    /// No valid session token.
    #[error("not authenticated")]
    Unauthenticated,
    /// The new password is refused.
    #[error("weak password")]
    WeakPassword(Vec<WeakReason>),
    /// Infrastructure failure.
    #[error(transparent)]
    Infra(#[from] InfraError),
}

/// `POST /auth/login` as read at the edge.
pub struct Login {
    /// The username as typed.
    pub username: String,
    /// The password as typed.
    pub password: SecretString,
    /// The client's address, when the API tells it.
    pub source_ip: Option<String>,
}

impl Login {
    /// Reads `username` and `password`, both required; errors told in `language`.
    pub fn read(body: &Map<String, Value>, language: Language) -> Result<Self, InvalidForm> {
        let (username, password) = two_texts(body, language, ["username", "password"])?;
        Ok(Self { username, password: SecretString::from(password), source_ip: None })
    }
}

/// `POST /auth/password` as read at the edge: the new password and what allows the change.
pub struct PasswordChange {
    /// The password chosen.
    pub new_password: SecretString,
    /// What allows the change.
    pub by: ChangeBy,
}

/// What a password change body offers as its authority.
pub enum ChangeBy {
    /// `change_token`: from a login with a temporary password, or an activation link.
    Token(String),
    /// `current_password`, with the session of the `Authorization` header.
    CurrentPassword(SecretString),
}

impl PasswordChange {
    /// Reads `new_password` and one of `change_token` or `current_password`; errors told in
    /// `language`.
    pub fn read(body: &Map<String, Value>, language: Language) -> Result<Self, InvalidForm> {
        let mut reader = FieldReader::lenient(body);
        let new_password = reader.required("new_password", typed);
        let token = reader.optional("change_token", typed).flatten();
        let current = reader.optional("current_password", typed).flatten();
        let by = match (token, current) {
            (Some(token), _) => Some(ChangeBy::Token(token)),
            (None, Some(current)) => Some(ChangeBy::CurrentPassword(SecretString::from(current))),
            (None, None) => {
                if reader.errors().get("change_token").is_none() && reader.errors().get("current_password").is_none() {
                    reader.refuse("change_token", FieldError::Missing);
                }
                None
            }
        };
        reader.finish(language)?;
        match (new_password, by) {
            (Some(new_password), Some(by)) => Ok(Self { new_password: SecretString::from(new_password), by }),
            _ => Err(InvalidForm { language, errors: FieldErrors::default() }),
        }
    }
}

/// The two required text fields `names` of `body`, as typed; every error told in `language`.
pub(super) fn two_texts(
    body: &Map<String, Value>,
    language: Language,
    names: [&str; 2],
) -> Result<(String, String), InvalidForm> {
    let mut reader = FieldReader::lenient(body);
    let first = reader.required(names[0], typed);
    let second = reader.required(names[1], typed);
    reader.finish(language)?;
    first.zip(second).ok_or(InvalidForm { language, errors: FieldErrors::default() })
}

/// Text typed as it is (passwords keep their spaces); empty is missing.
pub(super) fn typed(value: &str) -> Result<String, FieldError> {
    if value.is_empty() { Err(FieldError::Missing) } else { Ok(value.to_string()) }
}

/// How a password change is authorised.
pub enum ChangeAuthority {
    /// The token given by a login with a temporary password, or an activation link.
    Grant(String),
    /// A session, with the current password.
    Session {
        /// The session's claims.
        claims: Claims,
        /// The current password.
        current_password: SecretString,
    },
}

/// Why a password could not be set.
pub(super) enum SetError {
    /// Refused (policy, or the store failing).
    Refused(AuthError),
    /// The grant that allowed it was used (or replaced) meanwhile.
    GrantUsed,
}

/// Sets a chosen password: the policy, the permanent argon2id hash, a new credential (so every
/// other session and grant of the account ends), and the "password changed" email, all in one
/// transaction that consumes the grant allowing it. Shared by the change and the reset.
pub(super) struct PasswordSetter<'a> {
    /// Accounts.
    pub accounts: &'a dyn AccountStore,
    /// The hasher.
    pub hasher: &'a PasswordHasher,
    /// Sends the "password changed" email.
    pub postman: &'a Postman,
}

impl PasswordSetter<'_> {
    /// `account` with `new_password` set, as saved; `at_login` when choosing it completes a login.
    pub async fn set(
        &self,
        account: Account,
        new_password: SecretString,
        grant: Option<&TokenHash>,
        at_login: bool,
        now: Timestamp,
    ) -> Result<Account, SetError> {
        let refused = |e: AuthError| SetError::Refused(e);
        let personal: Vec<&str> = account.display_name().split_whitespace().collect();
        let context = PasswordContext {
            username: account.username().as_str(),
            email: account.email().as_str(),
            personal: &personal,
        };
        let chosen = NewPassword::parse(secrecy::ExposeSecret::expose_secret(&new_password), &context)
            .map_err(|reasons| refused(AuthError::WeakPassword(reasons)))?
            .into_secret();
        if self.hasher.verify_account(chosen.clone(), Some(&account)).await.map_err(|e| refused(e.into()))? {
            return Err(refused(AuthError::WeakPassword(vec![WeakReason::SameAsCurrent])));
        }
        let expected = account.version();
        let hash = self.hasher.hash(chosen).await.map_err(|e| refused(e.into()))?;
        let account = account.apply(AccountEvent::PasswordChosen { hash, at_login }, now);
        let email = OutboxEmail::about_account(EmailKind::PasswordChanged, account.username(), now);
        match self.accounts.change_password(&account, expected, grant, &email).await {
            Ok(()) => {}
            Err(TransitionError::Infra(e)) => return Err(refused(e.into())),
            Err(_) => return Err(SetError::GrantUsed),
        }
        self.postman.deliver_now(&email.id).await;
        Ok(account)
    }
}

/// The stores the auth service reads and writes.
#[derive(Clone)]
pub struct AuthPorts {
    /// Accounts.
    pub accounts: Arc<dyn AccountStore>,
    /// Failed logins.
    pub attempts: Arc<dyn LoginAttemptStore>,
    /// Password-change grants.
    pub grants: Arc<dyn GrantStore>,
    /// The limits per source address and per username.
    pub limiter: Limiter,
}

/// Login and password changes.
pub struct AuthService {
    accounts: Arc<dyn AccountStore>,
    attempts: Arc<dyn LoginAttemptStore>,
    grants: Arc<dyn GrantStore>,
    limiter: Limiter,
    hasher: PasswordHasher,
    sessions: LiveSessions,
    authenticators: Authenticators,
    postman: Postman,
    clock: Arc<dyn Clock>,
}

impl AuthService {
    /// Wires the service.
    pub fn new(
        ports: AuthPorts,
        hasher: PasswordHasher,
        sessions: LiveSessions,
        authenticators: Authenticators,
        postman: Postman,
        clock: Arc<dyn Clock>,
    ) -> Self {
        let AuthPorts { accounts, attempts, grants, limiter } = ports;
        Self { accounts, attempts, grants, limiter, hasher, sessions, authenticators, postman, clock }
    }

    /// The claims of a valid session token whose session is still open.
    pub async fn session(&self, token: Option<&str>) -> Result<Claims, AuthError> {
        self.sessions.live(token, self.clock.now()).await?.ok_or(AuthError::Unauthenticated)
    }

    /// `POST /auth/logout`: ends the session of `token` on the server (again, if already ended).
    pub async fn logout(&self, token: Option<&str>) -> Result<(), AuthError> {
        match self.sessions.end(token, self.clock.now()).await? {
            Some(username) => {
                tracing::info!(event = "logout", username = %username, outcome = "ended", "session ended");
                Ok(())
            }
            None => Err(AuthError::Unauthenticated),
        }
    }

    /// `POST /auth/login`.
    pub async fn login(&self, login: Login) -> Result<LoginOutcome, AuthError> {
        let Login { username, password, source_ip } = login;
        let now = self.clock.now();
        let key = username.trim().to_ascii_lowercase();
        let key = if key.len() > MAX_INPUT { String::new() } else { key };
        let source = source_ip.as_deref().unwrap_or(UNKNOWN_SOURCE);
        let mut hits = vec![(Limit::LoginAddress, source)];
        hits.extend((!key.is_empty()).then_some((Limit::LoginAccount, key.as_str())));
        if let Some(seconds) = self.limiter.count(&hits, now).await? {
            return Err(AuthError::RateLimited(seconds));
        }
        let attempts = LoginKey { username: &key, source };
        let (account, attempt) = self.load(attempts, now).await?;
        if !self.hasher.verify_account(password, account.as_ref()).await? {
            self.fail(attempts, attempt, now).await?;
            return Err(AuthError::InvalidCredentials);
        }
        let account = account.filter(|account| !account.is_disabled());
        if let Some(account) = account.as_ref().filter(|a| *a.password() == PasswordState::Permanent)
            && let Some(challenge) = self.second_factor_step(account, now).await?
        {
            // The failures are forgotten only once the second factor is right too.
            return Ok(challenge);
        }
        self.attempts.clear_login_failures(&key, Some(source)).await?;
        let Some(account) = account else { return Err(AuthError::InvalidCredentials) };
        match account.password() {
            PasswordState::Temporary { expires_at } if *expires_at <= now => Err(AuthError::TemporaryPasswordExpired),
            PasswordState::Temporary { .. } | PasswordState::Legacy { .. } => {
                tracing::info!(event = "login", username = key, outcome = "password_change_required");
                Ok(LoginOutcome::ChangeRequired(self.change_required(&account, now).await?))
            }
            PasswordState::Permanent => Ok(LoginOutcome::Authenticated(
                self.finish_login(account, now, source_ip, Authentication::Password).await?,
            )),
            PasswordState::Pending | PasswordState::Activation { .. } => Err(AuthError::InvalidCredentials),
        }
    }

    /// `POST /auth/mfa`: the code of the account's authenticator (or one of its recovery codes)
    /// after a correct password, or the first code of the authenticator being enrolled. A wrong
    /// or replayed code counts as a failed login.
    pub async fn second_factor(&self, answer: MfaAnswer) -> Result<MfaCompleted, AuthError> {
        let now = self.clock.now();
        let hash = TokenHash::of(&answer.mfa_token);
        let grant = self.grants.grant(&hash, now).await?;
        let grant = grant
            .filter(|g| matches!(g.purpose, GrantPurpose::SecondFactor | GrantPurpose::Enrolment))
            .ok_or(AuthError::InvalidMfaToken)?;
        let key = grant.username.as_str().to_string();
        let source = answer.source_ip.as_deref().unwrap_or(UNKNOWN_SOURCE);
        let attempts = LoginKey { username: &key, source };
        let (account, attempt) = self.load(attempts, now).await?;
        let account = account
            .filter(|a| a.credential() == grant.credential && !a.is_disabled())
            .ok_or(AuthError::InvalidMfaToken)?;
        let username = account.username().clone();
        let mut recovery_codes = None;
        let accepted = match (&grant.purpose, account.second_factor(), &grant.pending_secret) {
            (GrantPurpose::Enrolment, None, Some(sealed)) => {
                match self.authenticators.check(sealed, &username, &answer.code, now, None) {
                    Some(step) => {
                        let (codes, hashes) = second_factor::recovery_codes()?;
                        recovery_codes = Some(codes);
                        Some(AccountEvent::SecondFactorEnrolled(SecondFactor {
                            sealed_secret: sealed.clone(),
                            last_step: step,
                            recovery_codes: hashes,
                            enrolled_at: now,
                        }))
                    }
                    None => None,
                }
            }
            (GrantPurpose::SecondFactor, Some(factor), _) if second_factor::is_totp_code(&answer.code) => self
                .authenticators
                .check(&factor.sealed_secret, &username, &answer.code, now, Some(factor.last_step))
                .map(|step| AccountEvent::TotpCodeAccepted { step }),
            (GrantPurpose::SecondFactor, Some(factor), _) => {
                second_factor::kept_recovery_code(factor, &answer.code).map(AccountEvent::RecoveryCodeUsed)
            }
            _ => return Err(AuthError::InvalidMfaToken),
        };
        let Some(accepted) = accepted else {
            self.fail(attempts, attempt, now).await?;
            tracing::warn!(event = "second_factor", username = %username, outcome = "invalid_code", "wrong or replayed code");
            return Err(AuthError::InvalidCode);
        };
        // One acceptance per code: the account's version (its last step, its codes) and the
        // grant are both conditions; a parallel use of the same code loses here.
        let expected = account.version();
        let account = account.apply(accepted, now);
        match self.accounts.save_account(&account, expected).await {
            Ok(()) => {}
            Err(TransitionError::Infra(e)) => return Err(e.into()),
            Err(_) => return Err(AuthError::InvalidCode),
        }
        if !self.grants.consume_grant(&hash).await? {
            return Err(AuthError::InvalidMfaToken);
        }
        let event = if recovery_codes.is_some() { "mfa_enrolled" } else { "second_factor" };
        tracing::info!(event, username = %username, outcome = "accepted", "second factor accepted");
        self.attempts.clear_login_failures(&key, Some(source)).await?;
        let session =
            self.finish_login(account, now, answer.source_ip.clone(), Authentication::PasswordAndCode).await?;
        Ok(MfaCompleted { session, recovery_codes })
    }

    /// The challenge that must follow a correct password: the account's second factor, or, for an
    /// operator without one, its enrolment; `None` when a session may open at once.
    async fn second_factor_step(&self, account: &Account, now: Timestamp) -> Result<Option<LoginOutcome>, AuthError> {
        match (&account.second_factor(), account.role()) {
            (Some(_), _) => Ok(Some(self.challenge(account, None, now).await?)),
            (None, Role::Operator) => {
                let enrolment = self.authenticators.enrol(account.username())?;
                Ok(Some(self.challenge(account, Some(enrolment), now).await?))
            }
            (None, Role::Applicant) => Ok(None),
        }
    }

    /// `POST /auth/mfa/enrol`: the holder of a session without a second factor (an applicant
    /// opting in), logged in within [`FRESH_LOGIN`], starts enrolling one; `POST /auth/mfa` with
    /// its first code completes it, and every later login then asks for a code.
    pub async fn start_enrolment(&self, token: Option<&str>) -> Result<LoginOutcome, AuthError> {
        let claims = self.session(token).await?;
        let username = Username::parse(&claims.sub).ok_or(AuthError::Unauthenticated)?;
        let account = self.accounts.account(&username).await?.ok_or(AuthError::Unauthenticated)?;
        if account.second_factor().is_some() {
            return Err(AuthError::AlreadyEnrolled);
        }
        let now = self.clock.now();
        if now.unix() - claims.iat > FRESH_LOGIN.whole_seconds() {
            tracing::warn!(event = "mfa_enrolment", username = %username, outcome = "reauthentication_required");
            return Err(AuthError::ReauthenticationRequired);
        }
        let enrolment = self.authenticators.enrol(account.username())?;
        self.challenge(&account, Some(enrolment), now).await
    }

    /// The token between a correct password (or a session) and the code, with the enrolment
    /// shown when one is being made.
    async fn challenge(
        &self,
        account: &Account,
        enrolment: Option<second_factor::Enrolment>,
        now: Timestamp,
    ) -> Result<LoginOutcome, AuthError> {
        let token = SecretToken::generate().map_err(|e| InfraError::unexpected("no randomness", e))?;
        let grant = ChangeGrant {
            username: account.username().clone(),
            purpose: if enrolment.is_some() { GrantPurpose::Enrolment } else { GrantPurpose::SecondFactor },
            pending_secret: enrolment.as_ref().map(|e| e.sealed_secret.clone()),
            credential: account.credential(),
            expires_at: now.plus(MFA_TOKEN_TTL),
        };
        self.grants.store_grant(&token.hash(), &grant).await?;
        let outcome = if enrolment.is_some() { "mfa_enrolment_required" } else { "second_factor_required" };
        tracing::info!(event = "login", username = %account.username(), outcome);
        let mfa_token = token.expose().to_string();
        let expires_in = MFA_TOKEN_TTL.whole_seconds();
        Ok(match enrolment {
            None => LoginOutcome::SecondFactorRequired(MfaChallenge {
                status: "second_factor_required",
                mfa_token,
                expires_in,
            }),
            Some(enrolment) => LoginOutcome::MfaEnrolmentRequired(MfaEnrolment {
                status: "mfa_enrolment_required",
                mfa_token,
                secret: enrolment.secret,
                otpauth_uri: enrolment.otpauth_uri,
                qr_svg: enrolment.qr_svg,
                expires_in,
            }),
        })
    }

    /// A complete login (its failures already forgotten): the time and address recorded, a
    /// session opened that tells the previous login's.
    async fn finish_login(
        &self,
        account: Account,
        now: Timestamp,
        ip: Option<String>,
        authentication: Authentication,
    ) -> Result<Session, AuthError> {
        let previous =
            account.last_login_at().map(|at| PreviousLogin { at, ip: account.last_login_ip().map(str::to_string) });
        let expected = account.version();
        let account = account.apply(AccountEvent::LoggedIn { ip }, now);
        if let Err(error) = self.accounts.save_account(&account, expected).await {
            tracing::warn!(error = %error, "last login time not recorded");
        }
        tracing::info!(event = "login", username = %account.username(), outcome = "session", "logged in");
        let mut session = self.sessions.open(&account, authentication, now).await?;
        session.previous_login = previous;
        Ok(session)
    }

    /// `POST /auth/password`: sets a password that meets the policy, sends the "password changed"
    /// email, and opens a session, or, after a first access, asks for the second factor (an
    /// operator enrols one). The temporary password or link used can never work again.
    pub async fn change_password(
        &self,
        authority: ChangeAuthority,
        new_password: SecretString,
    ) -> Result<LoginOutcome, AuthError> {
        let now = self.clock.now();
        let (account, grant) = match authority {
            ChangeAuthority::Grant(token) => {
                let hash = TokenHash::of(&token);
                let grant = self.grants.grant(&hash, now).await?;
                let grant = grant.filter(|g| g.purpose == GrantPurpose::Change).ok_or(AuthError::InvalidChangeToken)?;
                let account = self.accounts.account(&grant.username).await?.ok_or(AuthError::InvalidChangeToken)?;
                // Issued for an older credential: a password set or credentials issued since void it.
                if grant.credential != account.credential() {
                    return Err(AuthError::InvalidChangeToken);
                }
                if let PasswordState::Activation { grant: current, .. } = account.password()
                    && *current != hash
                {
                    return Err(AuthError::InvalidChangeToken);
                }
                (account, Some(hash))
            }
            ChangeAuthority::Session { claims, current_password } => {
                // The holders of the account's sessions share one count.
                let attempts = LoginKey { username: &claims.sub, source: "session" };
                let (account, attempt) = self.load(attempts, now).await?;
                if !self.hasher.verify_account(current_password, account.as_ref()).await? {
                    self.fail(attempts, attempt, now).await?;
                    return Err(AuthError::InvalidCredentials);
                }
                (account.ok_or(AuthError::InvalidCredentials)?, None)
            }
        };
        let setter = PasswordSetter { accounts: &*self.accounts, hasher: &self.hasher, postman: &self.postman };
        let account = setter.set(account, new_password, grant.as_ref(), true, now).await.map_err(|e| match e {
            SetError::Refused(e) => e,
            SetError::GrantUsed => AuthError::InvalidChangeToken,
        })?;
        tracing::info!(event = "password_changed", username = %account.username(), outcome = "changed", "password changed");
        if grant.is_some()
            && let Some(challenge) = self.second_factor_step(&account, now).await?
        {
            return Ok(challenge);
        }
        self.attempts.clear_login_failures(account.username().as_str(), None).await?;
        Ok(LoginOutcome::Authenticated(self.sessions.open(&account, Authentication::Password, now).await?))
    }

    /// The account of `key` and the number of this attempt, counted before any password check
    /// (429 when the username is locked, or when the attempts the lockout allows are all being
    /// checked by parallel calls). An empty key (nothing usable typed) is not counted.
    async fn load(&self, key: LoginKey<'_>, now: Timestamp) -> Result<(Option<Account>, u32), AuthError> {
        let attempt = if key.username.is_empty() {
            0
        } else {
            match self.attempts.admit(key, now, MAX_FAILURES).await? {
                Admission::Check(attempt) => attempt,
                Admission::Locked(until) => {
                    tracing::warn!(
                        event = "login",
                        username = key.username,
                        source_ip = key.source,
                        outcome = "refused_locked"
                    );
                    let milliseconds = (until.datetime() - now.datetime()).whole_milliseconds();
                    let seconds = i64::try_from((milliseconds + 999) / 1000).unwrap_or(i64::MAX).max(1);
                    return Err(AuthError::Locked(seconds));
                }
                Admission::Busy => {
                    tracing::warn!(
                        event = "login",
                        username = key.username,
                        source_ip = key.source,
                        outcome = "refused_busy"
                    );
                    return Err(AuthError::Locked(FIRST_LOCK.whole_seconds()));
                }
            }
        };
        let account = match Username::parse(key.username) {
            Some(username) => self.accounts.account(&username).await?,
            None => None,
        };
        Ok((account, attempt))
    }

    /// A failed `attempt`: from the fifth on, the lock it earns (never shortening a longer one).
    async fn fail(&self, key: LoginKey<'_>, attempt: u32, now: Timestamp) -> Result<(), AuthError> {
        if key.username.is_empty() {
            return Ok(());
        }
        match lock_duration(attempt) {
            Some(lock) => {
                self.attempts.lock(key, attempt, now.plus(lock)).await?;
                tracing::warn!(
                    event = "login",
                    username = key.username,
                    source_ip = key.source,
                    failures = attempt,
                    outcome = "locked",
                    "login locked after consecutive failures"
                );
            }
            None => tracing::info!(
                event = "login",
                username = key.username,
                source_ip = key.source,
                failures = attempt,
                outcome = "failed"
            ),
        }
        Ok(())
    }

    async fn change_required(&self, account: &Account, now: Timestamp) -> Result<ChangeRequired, AuthError> {
        let token = SecretToken::generate().map_err(|e| InfraError::unexpected("no randomness", e))?;
        let grant = ChangeGrant {
            username: account.username().clone(),
            purpose: GrantPurpose::Change,
            pending_secret: None,
            credential: account.credential(),
            expires_at: now.plus(CHANGE_TOKEN_TTL),
        };
        self.grants.store_grant(&token.hash(), &grant).await?;
        Ok(ChangeRequired {
            status: "password_change_required",
            change_token: token.expose().to_string(),
            expires_in: CHANGE_TOKEN_TTL.whole_seconds(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(value: serde_json::Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap()
    }

    #[test]
    fn a_login_needs_both_fields_as_text() {
        let login = Login::read(&body(serde_json::json!({"username": "maria", "password": " p w "})), Language::En);
        let login = login.unwrap();
        assert_eq!(
            (login.username.as_str(), secrecy::ExposeSecret::expose_secret(&login.password)),
            ("maria", " p w ")
        );
        let invalid = Login::read(&body(serde_json::json!({"username": 7})), Language::It).err().expect("refused");
        let messages = invalid.errors.messages(invalid.language);
        assert_eq!(messages["password"], "Campo obbligatorio.");
        assert_eq!(messages["username"], "Valore non valido: atteso un testo.");
    }

    #[test]
    fn a_password_change_names_its_authority() {
        let by_token =
            PasswordChange::read(&body(serde_json::json!({"change_token": "t", "new_password": "n"})), Language::En);
        assert!(matches!(by_token.unwrap().by, ChangeBy::Token(token) if token == "t"));
        let by_session = PasswordChange::read(
            &body(serde_json::json!({"current_password": "c", "new_password": "n"})),
            Language::En,
        );
        assert!(matches!(by_session.unwrap().by, ChangeBy::CurrentPassword(_)));
        let neither = PasswordChange::read(&Map::new(), Language::En).err().expect("refused");
        assert_eq!(neither.errors.messages(Language::En).keys().collect::<Vec<_>>(), ["change_token", "new_password"]);
    }

    #[test]
    fn locks_start_at_the_fifth_failure_double_and_cap_at_15_minutes() {
        let minutes: Vec<Option<i64>> = (1..=12).map(|f| lock_duration(f).map(|d| d.whole_minutes())).collect();
        assert_eq!(
            minutes,
            [None, None, None, None, Some(1), Some(2), Some(4), Some(8), Some(15), Some(15), Some(15), Some(15)]
        );
        assert_eq!(lock_duration(u32::MAX), Some(MAX_LOCK));
    }
}
