//! [`AccountStore`], [`LoginAttemptStore`], [`GrantStore`] and [`LegacyAccountStore`] on the
//! table: accounts, login failures, password change grants and username counters.

use async_trait::async_trait;
use aws_sdk_dynamodb::{
    error::ProvideErrorMetadata,
    operation::put_item::PutItemError,
    types::{ReturnValue, ReturnValuesOnConditionCheckFailure},
};

use super::{
    DynamoStore, Writes, classify, from_item,
    items::{
        AccountAuditItem, AccountItem, GrantItem, LEGACY_ACCOUNTS, LoginItem, OutboxItem, ResetItem, account_email_key,
        account_pk, grant_pk, login_pk, login_sk, reset_pk,
    },
    key, n, s, to_item,
};
use crate::{
    domain::{Account, ChangeGrant, Email, OutboxEmail, Timestamp, TokenHash, Username},
    ports::{
        AccountAuditEntry, AccountStore, Admission, CreateAccountError, GrantStore, InfraError, LegacyAccountStore,
        LoginAttemptStore, LoginKey, TransitionError,
    },
    schema::{GSI2, GSI2PK, PK, SK, TTL_ATTRIBUTE},
};

/// Attempts are forgotten a day after the last one.
const LOGIN_MEMORY: time::Duration = time::Duration::days(1);

/// Milliseconds since the Unix epoch: how lock ends are compared in conditions.
fn millis(at: Timestamp) -> i64 {
    i64::try_from(at.datetime().unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

/// The writes of a new account.
#[derive(Debug, Clone, Copy, PartialEq)]
enum NewAccount {
    Account,
    Email,
}

/// The writes of an administrator's action.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Administered {
    Account,
    Audit,
}

/// The writes of a password reset's link.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Reset {
    Grant,
    Latest,
    Previous,
}

/// The writes of a password change.
#[derive(Debug, Clone, Copy, PartialEq)]
enum PasswordChange {
    Account,
    Email,
    Grant,
}

impl DynamoStore {
    /// Creates `account` unless its username is taken: `None`, or the account already there.
    /// A conditional `PutItem` per account (one write unit, a per-item answer) rather than a
    /// transaction per batch, which would cost double and fail whole on one taken username.
    async fn import_one(&self, account: &Account) -> Result<Option<Account>, InfraError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(&AccountItem::of(account))?))
            .condition_expression("attribute_not_exists(PK)")
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(_) => Ok(None),
            Err(e) if e.code() == Some("ConditionalCheckFailedException") => {
                let returned = match e.as_service_error() {
                    Some(PutItemError::ConditionalCheckFailedException(failed)) => failed.item().cloned(),
                    _ => None,
                };
                let existing = match returned {
                    Some(item) => Some(from_item::<AccountItem>(item)?.account),
                    None => self.account(account.username()).await?,
                };
                Ok(Some(existing.unwrap_or_else(|| account.clone())))
            }
            Err(e) => Err(classify("DynamoDB", "PutItem", e)),
        }
    }
}

#[async_trait]
impl AccountStore for DynamoStore {
    async fn account(&self, username: &Username) -> Result<Option<Account>, InfraError> {
        let item: Option<AccountItem> = self.get(account_pk(username.as_str()), "ACCOUNT").await?;
        Ok(item.map(|i| i.account))
    }

    async fn create_account(&self, account: &Account, email: &OutboxEmail) -> Result<(), CreateAccountError> {
        let mut writes = Writes::on(&self.table);
        writes.put_new(NewAccount::Account, to_item(&AccountItem::of(account))?)?;
        writes.put_new(NewAccount::Email, to_item(&OutboxItem::of(email))?)?;
        match self.transact(writes).await {
            Ok(()) => Ok(()),
            Err(cancelled) if cancelled.failed(NewAccount::Account) => Err(CreateAccountError::UsernameTaken),
            Err(cancelled) => Err(cancelled.into_infra().into()),
        }
    }

    async fn save_account(&self, account: &Account, expected_version: u64) -> Result<(), TransitionError> {
        self.put_if_version(to_item(&AccountItem::of(account))?, expected_version).await
    }

    async fn change_password(
        &self,
        account: &Account,
        expected_version: u64,
        grant: Option<&TokenHash>,
        email: &OutboxEmail,
    ) -> Result<(), TransitionError> {
        let mut writes = Writes::on(&self.table);
        writes.put_versioned(PasswordChange::Account, to_item(&AccountItem::of(account))?, expected_version)?;
        writes.put_new(PasswordChange::Email, to_item(&OutboxItem::of(email))?)?;
        if let Some(token) = grant {
            writes.delete(PasswordChange::Grant, key(grant_pk(token), "GRANT"), |delete| {
                delete.condition_expression("attribute_exists(PK)")
            })?;
        }
        match self.transact(writes).await {
            Ok(()) => Ok(()),
            Err(cancelled) if cancelled.failed(PasswordChange::Account) || cancelled.failed(PasswordChange::Grant) => {
                Err(TransitionError::Conflict)
            }
            Err(cancelled) => Err(cancelled.into_infra().into()),
        }
    }

    async fn save_account_audited(
        &self,
        account: &Account,
        expected_version: u64,
        entry: &AccountAuditEntry,
    ) -> Result<(), TransitionError> {
        let mut writes = Writes::on(&self.table);
        writes.put_versioned(Administered::Account, to_item(&AccountItem::of(account))?, expected_version)?;
        let audit = AccountAuditItem::of(account.username().as_str(), entry, account.version());
        writes.put_new(Administered::Audit, to_item(&audit)?)?;
        match self.transact(writes).await {
            Ok(()) => Ok(()),
            Err(cancelled) if cancelled.failed(Administered::Account) => Err(TransitionError::Conflict),
            Err(cancelled) => Err(cancelled.into_infra().into()),
        }
    }

    async fn account_audit(&self, username: &Username) -> Result<Vec<AccountAuditEntry>, InfraError> {
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("#pk = :pk AND begins_with(#sk, :audit)")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#sk", SK)
            .expression_attribute_values(":pk", s(account_pk(username.as_str())))
            .expression_attribute_values(":audit", s("AUDIT#"))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| classify("DynamoDB", "Query", e))?;
        let items: Vec<AccountAuditItem> =
            output.items.unwrap_or_default().into_iter().map(from_item).collect::<Result<_, _>>()?;
        Ok(items.into_iter().map(|i| i.entry).collect())
    }

    async fn accounts_with_email(&self, email: &Email) -> Result<Vec<Account>, InfraError> {
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(GSI2)
            .key_condition_expression("#pk = :email")
            .expression_attribute_names("#pk", GSI2PK)
            .expression_attribute_values(":email", s(account_email_key(email)))
            .limit(20)
            .send()
            .await
            .map_err(|e| classify("DynamoDB", "Query", e))?;
        let items: Vec<AccountItem> =
            output.items.unwrap_or_default().into_iter().map(from_item).collect::<Result<_, _>>()?;
        Ok(items.into_iter().map(|i| i.account).collect())
    }

    async fn next_username_number(&self, base: &str) -> Result<u64, InfraError> {
        self.increment(format!("USERNAME#{base}")).await
    }
}

#[async_trait]
impl LoginAttemptStore for DynamoStore {
    async fn admit(&self, key: LoginKey<'_>, now: Timestamp, first_allowance: u32) -> Result<Admission, InfraError> {
        for _ in 0..3 {
            // Counted in one conditional write, so that parallel attempts get distinct numbers and
            // none past the allowance; the count lapses a day after the last attempt (`#ttl`).
            let counted = self
                .client
                .update_item()
                .table_name(&self.table)
                .key(PK, s(login_pk(key.username)))
                .key(SK, s(login_sk(key.source)))
                .update_expression("SET allowance = if_not_exists(allowance, :first), #ttl = :ttl ADD failures :one")
                .condition_expression(
                    "attribute_not_exists(PK) OR (#ttl >= :now_s AND failures < allowance \
                     AND (attribute_not_exists(lock_ends) OR lock_ends <= :now_ms))",
                )
                .expression_attribute_names("#ttl", TTL_ATTRIBUTE)
                .expression_attribute_values(":first", n(first_allowance))
                .expression_attribute_values(":ttl", n(now.plus(LOGIN_MEMORY).unix()))
                .expression_attribute_values(":one", n(1))
                .expression_attribute_values(":now_s", n(now.unix()))
                .expression_attribute_values(":now_ms", n(millis(now)))
                .return_values(ReturnValue::UpdatedNew)
                .send()
                .await;
            match counted {
                Ok(output) => {
                    let attempt = output
                        .attributes()
                        .and_then(|a| a.get("failures"))
                        .and_then(|v| v.as_n().ok())
                        .and_then(|v| v.parse().ok())
                        .ok_or_else(|| InfraError::Unexpected("a login count returned no number".into(), None))?;
                    return Ok(Admission::Check(attempt));
                }
                Err(e) if e.code() == Some("ConditionalCheckFailedException") => {}
                Err(e) => return Err(classify("DynamoDB", "UpdateItem", e)),
            }
            let Some(item) = self.get::<LoginItem>(login_pk(key.username), &login_sk(key.source)).await? else {
                continue;
            };
            if item.ttl.is_some_and(|ttl| ttl < now.unix()) {
                // Lapsed but not yet deleted by TTL: start again from one, unless another attempt did.
                let fresh = LoginItem::first(key, first_allowance, now.plus(LOGIN_MEMORY).unix());
                let started = self
                    .client
                    .put_item()
                    .table_name(&self.table)
                    .set_item(Some(to_item(&fresh)?))
                    .condition_expression("#ttl < :now_s")
                    .expression_attribute_names("#ttl", TTL_ATTRIBUTE)
                    .expression_attribute_values(":now_s", n(now.unix()))
                    .send()
                    .await;
                match started {
                    Ok(_) => return Ok(Admission::Check(1)),
                    Err(e) if e.code() == Some("ConditionalCheckFailedException") => continue,
                    Err(e) => return Err(classify("DynamoDB", "PutItem", e)),
                }
            }
            return Ok(match item.locked_until {
                Some(until) if item.lock_ends.is_some_and(|ends| ends > millis(now)) => Admission::Locked(until),
                _ => Admission::Busy,
            });
        }
        Ok(Admission::Busy)
    }

    async fn lock(&self, key: LoginKey<'_>, attempt: u32, until: Timestamp) -> Result<(), InfraError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(PK, s(login_pk(key.username)))
            .key(SK, s(login_sk(key.source)))
            .update_expression("SET locked_until = :until, lock_ends = :ends, allowance = :next")
            .condition_expression("attribute_exists(PK) AND (attribute_not_exists(lock_ends) OR lock_ends < :ends)")
            .expression_attribute_values(":until", s(until.to_string()))
            .expression_attribute_values(":ends", n(millis(until)))
            .expression_attribute_values(":next", n(attempt + 1))
            .send()
            .await;
        match result {
            // A longer lock, from a later attempt, stays.
            Ok(_) => Ok(()),
            Err(e) if e.code() == Some("ConditionalCheckFailedException") => Ok(()),
            Err(e) => Err(classify("DynamoDB", "UpdateItem", e)),
        }
    }

    async fn clear_login_failures(&self, username: &str, source: Option<&str>) -> Result<(), InfraError> {
        if let Some(source) = source {
            return self.delete(login_pk(username), &login_sk(source)).await;
        }
        // Every source's count: the username's items.
        for item in self.items_of(login_pk(username)).await? {
            if let Some(sk) = item.get(SK).and_then(|v| v.as_s().ok()) {
                self.delete(login_pk(username), sk).await?;
            }
        }
        Ok(())
    }
}

#[async_trait]
impl GrantStore for DynamoStore {
    async fn store_grant(&self, token: &TokenHash, grant: &ChangeGrant) -> Result<(), InfraError> {
        self.put(to_item(&GrantItem::of(token, grant))?).await
    }

    async fn grant(&self, token: &TokenHash, now: Timestamp) -> Result<Option<ChangeGrant>, InfraError> {
        let item: Option<GrantItem> = self.get(grant_pk(token), "GRANT").await?;
        Ok(item.map(|i| i.grant).filter(|g| g.expires_at > now))
    }

    async fn consume_grant(&self, token: &TokenHash) -> Result<bool, InfraError> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key(PK, s(grant_pk(token)))
            .key(SK, s("GRANT"))
            .condition_expression("attribute_exists(PK)")
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) if e.as_service_error().is_some_and(|e| e.is_conditional_check_failed_exception()) => Ok(false),
            Err(e) => Err(classify("DynamoDB", "DeleteItem", e)),
        }
    }

    /// The new grant and the pointer to it in one transaction, deleting the grant the pointer
    /// named: an older link is then refused by the change's own condition on its grant.
    async fn store_reset(&self, token: &TokenHash, grant: &ChangeGrant) -> Result<(), InfraError> {
        let previous: Option<ResetItem> = self.get(reset_pk(grant.username.as_str()), "RESET").await?;
        let mut writes = Writes::on(&self.table);
        writes.put(Reset::Grant, to_item(&GrantItem::of(token, grant))?)?;
        let latest = ResetItem::of(grant.username.as_str(), token, grant.expires_at);
        writes.put(Reset::Latest, to_item(&latest)?)?;
        if let Some(previous) = previous.filter(|p| p.token != *token) {
            writes.delete(Reset::Previous, key(grant_pk(&previous.token), "GRANT"), |delete| delete)?;
        }
        self.transact(writes).await.map_err(|cancelled| cancelled.into_infra())
    }

    async fn latest_reset(&self, username: &Username, now: Timestamp) -> Result<Option<TokenHash>, InfraError> {
        let item: Option<ResetItem> = self.get(reset_pk(username.as_str()), "RESET").await?;
        Ok(item.filter(|i| i.ttl > now.unix()).map(|i| i.token))
    }
}

#[async_trait]
impl LegacyAccountStore for DynamoStore {
    async fn import(&self, batch: &[Account]) -> Result<Vec<Option<Account>>, InfraError> {
        futures::future::try_join_all(batch.iter().map(|account| self.import_one(account))).await
    }

    async fn dormant(&self, before: Timestamp) -> Result<Vec<Account>, InfraError> {
        let values = [(":legacy", s(LEGACY_ACCOUNTS)), (":before", s(before.to_string()))];
        let items = self.query_gsi1_all("#pk = :legacy AND #sk < :before", &values).await?;
        items.into_iter().map(|item| Ok(from_item::<AccountItem>(item)?.account)).collect()
    }
}
