//! Accounts of applicants and operators, and those imported from the old portal.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::{InfraError, TransitionError};
use crate::domain::{Account, AdminAction, Email, OutboxEmail, Timestamp, TokenHash, Username};

/// Why an account could not be created.
#[derive(Debug, thiserror::Error)]
pub enum CreateAccountError {
    /// The username is taken.
    #[error("the username is taken")]
    UsernameTaken,
    /// Infrastructure failure.
    #[error(transparent)]
    Infra(#[from] InfraError),
}

/// An administrator's action on an account, as its audit trail keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountAuditEntry {
    /// When.
    pub at: Timestamp,
    /// Who (the administrator running the command).
    pub actor: String,
    /// What.
    pub action: AdminAction,
}

/// Accounts of applicants and operators.
#[async_trait]
pub trait AccountStore: Send + Sync {
    /// The account, if it exists.
    async fn account(&self, username: &Username) -> Result<Option<Account>, InfraError>;
    /// Creates an account (an operator) with the email issuing its credentials.
    async fn create_account(&self, account: &Account, email: &OutboxEmail) -> Result<(), CreateAccountError>;
    /// Saves the account if still at `expected_version`.
    async fn save_account(&self, account: &Account, expected_version: u64) -> Result<(), TransitionError>;
    /// Saves a new password with the email announcing it, consuming the grant that allowed it:
    /// all or nothing.
    async fn change_password(
        &self,
        account: &Account,
        expected_version: u64,
        grant: Option<&TokenHash>,
        email: &OutboxEmail,
    ) -> Result<(), TransitionError>;
    /// The next number for usernames built on `base` (1, 2, ...).
    async fn next_username_number(&self, base: &str) -> Result<u64, InfraError>;
    /// Saves the account if still at `expected_version`, with the audit entry of the
    /// administrator's action that changed it: all or nothing.
    async fn save_account_audited(
        &self,
        account: &Account,
        expected_version: u64,
        entry: &AccountAuditEntry,
    ) -> Result<(), TransitionError>;
    /// The administrators' actions on the account, oldest first.
    async fn account_audit(&self, username: &Username) -> Result<Vec<AccountAuditEntry>, InfraError>;
    /// Every account whose email address is `email` (whatever its case), by username.
    async fn accounts_with_email(&self, email: &Email) -> Result<Vec<Account>, InfraError>;
}

/// Most accounts [`LegacyAccountStore::import`] takes at once (written concurrently).
pub const IMPORT_BATCH: usize = 25;

/// Accounts imported from the old portal (Cliclavoro).
#[async_trait]
pub trait LegacyAccountStore: Send + Sync {
    /// Creates every account of `batch` (at most [`IMPORT_BATCH`], distinct usernames) whose
    /// username is free, each by a conditional write; for each, in order: `None` when created, or
    /// the account already there (never overwritten).
    async fn import(&self, batch: &[Account]) -> Result<Vec<Option<Account>>, InfraError>;
    /// The accounts still [`crate::domain::PasswordState::Legacy`] (their owner never completed
    /// a first login) imported before `before`, oldest first.
    async fn dormant(&self, before: Timestamp) -> Result<Vec<Account>, InfraError>;
}
