//! The login with a password, in the order it runs: the limits, the lockout counted before the
//! check, the password, then a session or the next step it needs.

use super::*;

impl AuthService {
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

    /// The account of `key` and the number of this attempt, counted before any password check
    /// (429 when the username is locked, or when the attempts the lockout allows are all being
    /// checked by parallel calls). An empty key (nothing usable typed) is not counted.
    pub(super) async fn load(&self, key: LoginKey<'_>, now: Timestamp) -> Result<(Option<Account>, u32), AuthError> {
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
    pub(super) async fn fail(&self, key: LoginKey<'_>, attempt: u32, now: Timestamp) -> Result<(), AuthError> {
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

    pub(super) async fn change_required(&self, account: &Account, now: Timestamp) -> Result<ChangeRequired, AuthError> {
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

    /// A complete login (its failures already forgotten): the time and address recorded, a
    /// session opened that tells the previous login's.
    pub(super) async fn finish_login(
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
}
