//! Choosing a password: after a temporary password or an activation link, from a session, and
//! (through [`PasswordSetter`]) after a reset link.

use super::*;

/// Why a password could not be set.
pub(crate) enum SetError {
    /// Refused (policy, or the store failing).
    Refused(AuthError),
    /// The grant that allowed it was used (or replaced) meanwhile.
    GrantUsed,
}

/// Sets a chosen password: the policy, the permanent argon2id hash, a new credential (so every
/// other session and grant of the account ends), and the "password changed" email, all in one
/// transaction that consumes the grant allowing it. Shared by the change and the reset.
pub(crate) struct PasswordSetter<'a> {
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

impl AuthService {
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
}
