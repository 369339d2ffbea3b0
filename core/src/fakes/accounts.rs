//! The table's accounts, login attempts, grants, rate-limit counters and sessions.

use async_trait::async_trait;

use super::*;

#[async_trait]
impl AccountStore for FakeStore {
    async fn account(&self, username: &Username) -> Result<Option<Account>, InfraError> {
        Ok(self.enter("account")?.accounts.get(username).cloned())
    }

    async fn create_account(&self, account: &Account, email: &OutboxEmail) -> Result<(), CreateAccountError> {
        let mut tables = self.enter("create_account")?;
        if tables.accounts.contains_key(account.username()) {
            return Err(CreateAccountError::UsernameTaken);
        }
        tables.accounts.insert(account.username().clone(), account.clone());
        tables.outbox.insert(email.id.clone(), email.clone());
        Ok(())
    }

    async fn save_account(&self, account: &Account, expected_version: u64) -> Result<(), TransitionError> {
        let mut tables = self.enter("save_account")?;
        match tables.accounts.get(account.username()) {
            Some(stored) if stored.version() == expected_version => {}
            _ => return Err(TransitionError::Conflict),
        }
        tables.accounts.insert(account.username().clone(), account.clone());
        Ok(())
    }

    async fn change_password(
        &self,
        account: &Account,
        expected_version: u64,
        grant: Option<&TokenHash>,
        email: &OutboxEmail,
    ) -> Result<(), TransitionError> {
        let mut tables = self.enter("change_password")?;
        let current = tables.accounts.get(account.username()).is_some_and(|a| a.version() == expected_version);
        if !current || grant.is_some_and(|g| !tables.grants.contains_key(g.as_str())) {
            return Err(TransitionError::Conflict);
        }
        if let Some(grant) = grant {
            tables.grants.remove(grant.as_str());
        }
        tables.accounts.insert(account.username().clone(), account.clone());
        tables.outbox.insert(email.id.clone(), email.clone());
        Ok(())
    }

    async fn save_account_audited(
        &self,
        account: &Account,
        expected_version: u64,
        entry: &AccountAuditEntry,
    ) -> Result<(), TransitionError> {
        let mut tables = self.enter("save_account_audited")?;
        match tables.accounts.get(account.username()) {
            Some(stored) if stored.version() == expected_version => {}
            _ => return Err(TransitionError::Conflict),
        }
        tables.accounts.insert(account.username().clone(), account.clone());
        tables.account_audit.entry(account.username().clone()).or_default().push(entry.clone());
        Ok(())
    }

    async fn account_audit(&self, username: &Username) -> Result<Vec<AccountAuditEntry>, InfraError> {
        Ok(self.enter("account_audit")?.account_audit.get(username).cloned().unwrap_or_default())
    }

    async fn accounts_with_email(&self, email: &Email) -> Result<Vec<Account>, InfraError> {
        let tables = self.enter("accounts_with_email")?;
        let mut found: Vec<Account> =
            tables.accounts.values().filter(|a| a.email().normalized() == email.normalized()).cloned().collect();
        found.sort_by(|a, b| a.username().as_str().cmp(b.username().as_str()));
        Ok(found)
    }

    async fn next_username_number(&self, base: &str) -> Result<u64, InfraError> {
        let mut tables = self.enter("next_username_number")?;
        let counter = tables.counters.entry(format!("USERNAME#{base}")).or_default();
        *counter += 1;
        Ok(*counter)
    }
}

#[async_trait]
impl LoginAttemptStore for FakeStore {
    async fn admit(&self, key: LoginKey<'_>, now: Timestamp, first_allowance: u32) -> Result<Admission, InfraError> {
        let mut tables = self.enter("admit")?;
        let attempts = tables.logins.entry((key.username.to_string(), key.source.to_string())).or_insert(Attempts {
            counted: 0,
            allowance: first_allowance,
            locked_until: None,
        });
        if let Some(until) = attempts.locked_until.filter(|until| *until > now) {
            return Ok(Admission::Locked(until));
        }
        if attempts.counted >= attempts.allowance {
            return Ok(Admission::Busy);
        }
        attempts.counted += 1;
        Ok(Admission::Check(attempts.counted))
    }

    async fn lock(&self, key: LoginKey<'_>, attempt: u32, until: Timestamp) -> Result<(), InfraError> {
        let mut tables = self.enter("lock")?;
        if let Some(attempts) = tables.logins.get_mut(&(key.username.to_string(), key.source.to_string()))
            && attempts.locked_until.is_none_or(|current| current < until)
        {
            attempts.locked_until = Some(until);
            attempts.allowance = attempt + 1;
        }
        Ok(())
    }

    async fn clear_login_failures(&self, username: &str, source: Option<&str>) -> Result<(), InfraError> {
        let mut tables = self.enter("clear_login_failures")?;
        tables.logins.retain(|(name, from), _| name != username || source.is_some_and(|source| source != from));
        Ok(())
    }
}

#[async_trait]
impl GrantStore for FakeStore {
    async fn store_grant(&self, token: &TokenHash, grant: &ChangeGrant) -> Result<(), InfraError> {
        self.enter("store_grant")?.grants.insert(token.as_str().to_string(), grant.clone());
        Ok(())
    }

    async fn grant(&self, token: &TokenHash, now: Timestamp) -> Result<Option<ChangeGrant>, InfraError> {
        Ok(self.enter("grant")?.grants.get(token.as_str()).filter(|g| g.expires_at > now).cloned())
    }

    async fn consume_grant(&self, token: &TokenHash) -> Result<bool, InfraError> {
        Ok(self.enter("consume_grant")?.grants.remove(token.as_str()).is_some())
    }

    async fn store_reset(&self, token: &TokenHash, grant: &ChangeGrant) -> Result<(), InfraError> {
        let mut tables = self.enter("store_reset")?;
        if let Some(previous) = tables.resets.insert(grant.username.clone(), token.clone()) {
            tables.grants.remove(previous.as_str());
        }
        tables.grants.insert(token.as_str().to_string(), grant.clone());
        Ok(())
    }

    async fn latest_reset(&self, username: &Username, now: Timestamp) -> Result<Option<TokenHash>, InfraError> {
        let tables = self.enter("latest_reset")?;
        let latest =
            tables.resets.get(username).filter(|t| tables.grants.get(t.as_str()).is_some_and(|g| g.expires_at > now));
        Ok(latest.cloned())
    }
}

#[async_trait]
impl RateLimiter for FakeStore {
    async fn hit(&self, scope: &str, window: i64, limit: u32, now: Timestamp) -> Result<Option<i64>, InfraError> {
        let mut tables = self.enter("hit")?;
        let start = now.unix() - now.unix().rem_euclid(window.max(1));
        let count = tables.rates.entry((scope.to_string(), start)).or_default();
        *count += 1;
        Ok((*count > limit).then(|| (start + window - now.unix()).max(1)))
    }
}

#[async_trait]
impl SessionStore for FakeStore {
    async fn open_session(&self, id: &TokenHash, session: &SessionRecord) -> Result<(), InfraError> {
        self.enter("open_session")?.sessions.insert(id.as_str().to_string(), session.clone());
        Ok(())
    }

    async fn session(&self, id: &TokenHash, now: Timestamp) -> Result<Option<SessionRecord>, InfraError> {
        Ok(self.enter("session")?.sessions.get(id.as_str()).filter(|s| s.expires_at > now).cloned())
    }

    async fn end_session(&self, id: &TokenHash) -> Result<(), InfraError> {
        self.enter("end_session")?.sessions.remove(id.as_str());
        Ok(())
    }
}
