//! What an administrator does to an operator's account (`admin operator disable|enable|unlock|
//! reset-mfa`), each written with an audit entry in the same transaction. Disabling ends every
//! session of the account at once (the session readers check `disabled`) and renews its credential,
//! so enabling it again revives none of them; resetting the second factor does the same and makes
//! the next login enrol a new authenticator.

use crate::{
    domain::{Account, AccountEvent, AdminAction, Role, Timestamp, Username},
    ports::{AccountAuditEntry, AccountStore, Clock, InfraError, LoginAttemptStore, TransitionError},
};

/// Why an action was not taken.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// No such account.
    #[error("there is no account {0}")]
    NoAccount(Username),
    /// The account is an applicant's.
    #[error("{0} is not an operator")]
    NotAnOperator(Username),
    /// The account changed meanwhile: run the command again.
    #[error("the account changed meanwhile: run the command again")]
    Conflict,
    /// Infrastructure failure.
    #[error(transparent)]
    Infra(#[from] InfraError),
}

/// Takes `action` on the operator `username` on behalf of `actor`, with its audit entry.
pub async fn administer(
    accounts: &dyn AccountStore,
    attempts: &dyn LoginAttemptStore,
    clock: &dyn Clock,
    username: &Username,
    action: AdminAction,
    actor: &str,
) -> Result<Account, AdminError> {
    let account = accounts.account(username).await?.ok_or_else(|| AdminError::NoAccount(username.clone()))?;
    if account.role() != Role::Operator {
        return Err(AdminError::NotAnOperator(username.clone()));
    }
    let now: Timestamp = clock.now();
    let entry = AccountAuditEntry { at: now, actor: actor.to_string(), action };
    let expected = account.version();
    if action == AdminAction::Unlock {
        attempts.clear_login_failures(username.as_str(), None).await?;
    }
    let account = account.apply(AccountEvent::Administered(action), now);
    match accounts.save_account_audited(&account, expected, &entry).await {
        Ok(()) => {}
        Err(TransitionError::Infra(e)) => return Err(e.into()),
        Err(_) => return Err(AdminError::Conflict),
    }
    tracing::info!(event = "account_administered", username = %username, action = ?action, actor, outcome = "done");
    Ok(account)
}
