//! The capabilities the services need, one small trait each; `adapters` implements them on AWS,
//! and `fakes` (tests only) in memory.

use std::collections::BTreeMap;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::domain::{
    Account, AccreditationRequest, AdminAction, AuditEntry, DocumentType, Email, Language, Reference, RelyingParty,
    RequestId, Timestamp, TokenHash, Username,
    oidc::{AccessToken, AuthorizationCode, Grant, PendingAuthorization, RefreshToken, SsoSession},
};
use crate::workflow::Status;

/// A failure of the infrastructure, not of the caller.
#[derive(Debug, thiserror::Error)]
pub enum InfraError {
    /// AWS is throttling us: the caller may retry shortly.
    #[error("throttled by {0}")]
    Throttled(&'static str),
    /// A dependency is unreachable or failing.
    #[error("{0} is unavailable")]
    Unavailable(&'static str, #[source] Box<dyn std::error::Error + Send + Sync>),
    /// Anything else: a bug or a misconfiguration.
    #[error("unexpected failure: {0}")]
    Unexpected(String, #[source] Option<Box<dyn std::error::Error + Send + Sync>>),
}

impl InfraError {
    /// An unexpected failure described by `context`, caused by `source`.
    pub fn unexpected(context: impl Into<String>, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::Unexpected(context.into(), Some(Box::new(source)))
    }
}

/// The stored response of a request made with an `Idempotency-Key`, sealed with that key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdempotencyRecord {
    /// SHA-256 of the key (the key itself is never stored).
    pub key_hash: String,
    /// SHA-256 of the request body it answered.
    pub fingerprint: String,
    /// The response, encrypted with a key derived from the idempotency key.
    pub sealed_response: String,
    /// When the record may be forgotten.
    pub expires_at: Timestamp,
}

/// A new request, with what must be written in the same transaction.
#[derive(Debug, Clone)]
pub struct NewRequest {
    /// The request, `awaiting_document`.
    pub request: AccreditationRequest,
    /// Its first audit entry.
    pub audit: AuditEntry,
    /// The idempotency record, when the client sent a key.
    pub idempotency: Option<IdempotencyRecord>,
}

/// Why a request could not be created.
#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    /// The same person (citizenship + identification code, or email) has an active request.
    #[error("the person already has an active request")]
    PersonHasActiveRequest,
    /// A concurrent request with the same idempotency key won.
    #[error("the idempotency key was used concurrently")]
    IdempotencyKeyUsed,
    /// Infrastructure failure.
    #[error(transparent)]
    Infra(#[from] InfraError),
}

/// A change of status, written only if the request is still at `expected_version`.
#[derive(Debug, Clone)]
pub struct Transition {
    /// The request as it must become (its `version` already incremented).
    pub request: AccreditationRequest,
    /// The version read before the change.
    pub expected_version: u64,
    /// The audit entry of the change.
    pub audit: AuditEntry,
    /// The email the change owes, if any.
    pub email: Option<OutboxEmail>,
    /// An account created by the change (approval), unless its username is taken.
    pub account: Option<Account>,
}

/// Why a transition was not written.
#[derive(Debug, thiserror::Error)]
pub enum TransitionError {
    /// Someone else changed the request first.
    #[error("the request changed concurrently")]
    Conflict,
    /// The username of the account to create is taken.
    #[error("the username is taken")]
    UsernameTaken,
    /// Infrastructure failure.
    #[error(transparent)]
    Infra(#[from] InfraError),
}

/// Requests, their audit trails, person locks and idempotency records.
#[async_trait]
pub trait RequestStore: Send + Sync {
    /// The next number of `year`'s reference counter (1, 2, ...).
    async fn next_reference_number(&self, year: i32) -> Result<u64, InfraError>;
    /// Writes the request, its person and email locks, its audit entry and its idempotency record
    /// together, or nothing (locks lapsed at `now` may be taken over).
    async fn create(&self, new: &NewRequest, now: Timestamp) -> Result<(), CreateError>;
    /// The active request holding the person or email of `request` at `now`, if any.
    async fn active_request_of(
        &self,
        request: &AccreditationRequest,
        now: Timestamp,
    ) -> Result<Option<RequestId>, InfraError>;
    /// The request with this id, if stored.
    async fn find(&self, id: RequestId) -> Result<Option<AccreditationRequest>, InfraError>;
    /// The idempotency record of a key hash, if stored and not expired at `now`.
    async fn idempotency_record(&self, key_hash: &str, now: Timestamp)
    -> Result<Option<IdempotencyRecord>, InfraError>;
    /// Writes a status change with its audit entry and email, conditionally on the version.
    async fn transition(&self, change: &Transition) -> Result<(), TransitionError>;
    /// Saves a change that is not a status change (e.g. a new document slot), conditionally on
    /// the version.
    async fn update(&self, request: &AccreditationRequest, expected_version: u64) -> Result<(), TransitionError>;
    /// The audit trail, oldest first.
    async fn audit_trail(&self, id: RequestId) -> Result<Vec<AuditEntry>, InfraError>;
    /// Up to `limit` requests in `status`, oldest submission first, after `after`; with the
    /// position to continue from when more remain.
    async fn queue(
        &self,
        status: Status,
        limit: i32,
        after: Option<QueuePosition>,
    ) -> Result<(Vec<AccreditationRequest>, Option<QueuePosition>), InfraError>;
}

/// Why a request's personal data were erased.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum ErasureReason {
    /// Its retention period ended (the scheduled `retention` function).
    Retention,
    /// The person asked (GDPR art. 17; `admin erase`), with the administrators' ticket, if given.
    Request {
        /// The request's ticket or case number.
        ticket: Option<String>,
    },
}

/// What is kept of a request whose personal data were erased: the decision, not the person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErasureRecord {
    /// The request.
    pub id: RequestId,
    /// Its reference.
    pub reference: Reference,
    /// Its status when erased (the outcome, once decided).
    pub status: Status,
    /// When it was decided, if it was.
    pub decided_at: Option<Timestamp>,
    /// Who decided it (`operator:<username>`), if anyone did.
    pub decided_by: Option<String>,
    /// When it was erased.
    pub erased_at: Timestamp,
    /// Why.
    pub reason: ErasureReason,
}

/// The erasure of requests' personal data.
#[async_trait]
pub trait ErasureStore: Send + Sync {
    /// The request with this reference, if stored (a scan of the table: an administrator's rare
    /// lookup, never a function's).
    async fn request_with_reference(&self, reference: &str) -> Result<Option<RequestId>, InfraError>;
    /// In one transaction, if the request is still at its version: deletes the request (its
    /// personal data), the notes of its audit trail (operators' reasons and messages), its account
    /// if it was approved, and the duplicate-check locks it holds; stores `record` in its place.
    async fn erase(&self, request: &AccreditationRequest, record: &ErasureRecord) -> Result<(), TransitionError>;
    /// The record of an erased request.
    async fn erasure(&self, id: RequestId) -> Result<Option<ErasureRecord>, InfraError>;
}

/// Where a page of the queue ended (the index keys of its last item).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueuePosition(pub BTreeMap<String, String>);

/// The kinds of email the service sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EmailKind {
    /// "We received your request": the reference and what happens next.
    Confirmation,
    /// Username and temporary password (or activation link) of an account.
    Credentials,
    /// The request was rejected, with the reason.
    Rejection,
    /// An operator asks for more documents, with the message (and the configured PDF form).
    InfoRequest,
    /// "Your password was changed".
    PasswordChanged,
    /// A password reset link (its token made at send time, replacing earlier ones).
    PasswordReset,
    /// Someone submitted a new request with the details of this active one (the owner is told;
    /// the submitter learns nothing).
    DuplicateAttempt,
}

/// State of an outbox email.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutboxStatus {
    /// Waiting to be sent (or retried at `due_at`).
    Pending,
    /// Accepted by SES.
    Sent,
    /// Given up after the maximum attempts: operators must look at it.
    Failed,
}

/// An email owed to an applicant, written in the same transaction as the change that owes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxEmail {
    /// Identifier (random UUID).
    pub id: String,
    /// What to send.
    pub kind: EmailKind,
    /// The request it is about (recipient and content are read from it at send time).
    pub request_id: Option<RequestId>,
    /// The account it is about (credentials, password changes).
    pub username: Option<Username>,
    /// The operator's reason or message, for rejections and requests for information.
    pub note: Option<String>,
    /// Where it stands.
    pub status: OutboxStatus,
    /// Attempts so far.
    pub attempts: u32,
    /// When it may next be attempted.
    pub due_at: Timestamp,
    /// When it was written.
    pub created_at: Timestamp,
    /// The last error, for operators.
    pub last_error: Option<String>,
    /// SES message id once sent.
    pub message_id: Option<String>,
}

impl OutboxEmail {
    /// A new pending email of `kind` about a request, due at once.
    pub fn about_request(kind: EmailKind, request_id: RequestId, note: Option<String>, now: Timestamp) -> Self {
        Self { request_id: Some(request_id), note, ..Self::pending(kind, now) }
    }

    /// A new pending email of `kind` about an account, due at once.
    pub fn about_account(kind: EmailKind, username: &Username, now: Timestamp) -> Self {
        Self { username: Some(username.clone()), ..Self::pending(kind, now) }
    }

    fn pending(kind: EmailKind, now: Timestamp) -> Self {
        Self {
            id: uuid::Uuid::new_v4().to_string(),
            kind,
            request_id: None,
            username: None,
            note: None,
            status: OutboxStatus::Pending,
            attempts: 0,
            due_at: now,
            created_at: now,
            last_error: None,
            message_id: None,
        }
    }
}

/// The emails still to send.
#[async_trait]
pub trait Outbox: Send + Sync {
    /// Adds an email that no other write owes (its sender, the mailer, sends it from the table's
    /// stream or its sweep).
    async fn enqueue(&self, email: &OutboxEmail) -> Result<(), InfraError>;
    /// Pending emails due at `now`, oldest first.
    async fn due(&self, now: Timestamp, limit: i32) -> Result<Vec<OutboxEmail>, InfraError>;
    /// Takes the email for sending until `lease_until` if it is pending and due; `None` when
    /// another sender holds it or it is already sent.
    async fn claim(&self, id: &str, now: Timestamp, lease_until: Timestamp) -> Result<Option<OutboxEmail>, InfraError>;
    /// Records the successful send.
    async fn sent(&self, id: &str, message_id: &str, at: Timestamp) -> Result<(), InfraError>;
    /// Records a failed attempt: retried at `retry_at`, or given up when `None`.
    async fn failed(&self, id: &str, error: &str, retry_at: Option<Timestamp>) -> Result<(), InfraError>;
}

/// A browser-ready upload: POST these form fields, then the file as the last field `file`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadForm {
    /// Always `POST`.
    pub method: String,
    /// The bucket URL.
    pub url: String,
    /// The signed form fields, in order.
    pub fields: BTreeMap<String, String>,
    /// When S3 stops accepting it.
    pub expires_at: Timestamp,
}

/// An object as stored: its size and the version (S3's ETag) a later read or copy can insist on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredObject {
    /// Bytes.
    pub size: u64,
    /// The ETag of this version.
    pub etag: String,
}

/// The bucket of identity documents.
#[async_trait]
pub trait DocumentStore: Send + Sync {
    /// A pre-signed POST for exactly `key`, `content_type` and 1 byte to 3 MiB, valid until `expires_at`.
    async fn upload_form(
        &self,
        key: &str,
        content_type: DocumentType,
        expires_at: Timestamp,
    ) -> Result<UploadForm, InfraError>;
    /// The size and version of the object, or `None` when nothing was uploaded.
    async fn head(&self, key: &str) -> Result<Option<StoredObject>, InfraError>;
    /// Up to `count` bytes from the start of the object; with `version`, of that version only
    /// (`None` when the object was replaced or deleted since).
    async fn first_bytes(&self, key: &str, count: u64, version: Option<&str>) -> Result<Option<Vec<u8>>, InfraError>;
    /// Copies the upload, only if it is still the `version` that was checked, to its permanent
    /// `key` (tagged accepted, so the lifecycle rule for abandoned uploads spares it); `false` when
    /// another upload replaced it meanwhile (nothing copied). The upload stays: the acceptance
    /// deletes it once its write landed, so that the retry of a failed write still finds it.
    async fn promote(&self, upload_key: &str, version: &str, key: &str) -> Result<bool, InfraError>;
    /// A pre-signed GET of `key`, valid `validity`, served as an attachment of `content_type`.
    async fn download_url(
        &self,
        key: &str,
        content_type: DocumentType,
        file_name: &str,
        validity: std::time::Duration,
    ) -> Result<String, InfraError>;
    /// Starts the retention period of a decided request's document: re-copied in place (restarting
    /// its age) and tagged decided, so the bucket's lifecycle deletes it when the period ends.
    async fn schedule_deletion(&self, key: &str, content_type: DocumentType) -> Result<(), InfraError>;
    /// Deletes the object.
    async fn delete(&self, key: &str) -> Result<(), InfraError>;
}

/// A file attached to an email.
#[derive(Clone, PartialEq, Eq)]
pub struct Attachment {
    /// File name shown to the recipient.
    pub file_name: String,
    /// MIME type.
    pub content_type: String,
    /// The bytes.
    pub content: Vec<u8>,
}

/// A rendered email. Its `Debug` form leaves the content out: credentials travel in it.
#[derive(Clone, PartialEq, Eq)]
pub struct OutgoingEmail {
    /// Recipient address.
    pub to: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text part.
    pub text: String,
    /// HTML part.
    pub html: String,
    /// Language of the content.
    pub language: Language,
    /// Attached files.
    pub attachments: Vec<Attachment>,
    /// The request it concerns: tagged on the message, so a bounce or complaint finds its way back.
    pub request_id: Option<RequestId>,
}

impl std::fmt::Debug for OutgoingEmail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutgoingEmail").field("subject", &self.subject).finish_non_exhaustive()
    }
}

/// Sends email.
#[async_trait]
pub trait Mailer: Send + Sync {
    /// Sends `email`, returning the provider's message id.
    async fn send(&self, email: &OutgoingEmail) -> Result<String, InfraError>;
}

/// The outcome of a CAPTCHA check.
#[derive(Debug, Clone, PartialEq)]
pub enum CaptchaVerdict {
    /// A human, probably.
    Passed,
    /// Refused, with the reason for the logs (never shown in detail to the client).
    Failed(String),
}

/// Checks CAPTCHA answers.
#[async_trait]
pub trait CaptchaVerifier: Send + Sync {
    /// Verifies `token`, answered from `remote_ip`.
    async fn verify(&self, token: &str, remote_ip: Option<&str>) -> Result<CaptchaVerdict, InfraError>;
}

/// Whether a login attempt may check its password, decided (and counted) before the check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// It may: the `n`-th attempt counted since the last success.
    Check(u32),
    /// Refused: the username is locked until then.
    Locked(Timestamp),
    /// Refused: the attempts the lockout allows are already being checked (a burst in parallel).
    Busy,
}

/// What a grant allows: each token works only where it was issued for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GrantPurpose {
    /// `POST /auth/password` (a temporary or legacy password's login, an activation link).
    #[default]
    Change,
    /// `POST /auth/password-reset/confirm` (a forgotten password's emailed link).
    Reset,
    /// `POST /auth/mfa` after a correct password (the account's second factor).
    SecondFactor,
    /// `POST /auth/mfa` completing the enrolment of a new second factor.
    Enrolment,
}

/// A single-use permission to choose a password (after a temporary password, an activation link
/// or a reset link), stored under the hash of its token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeGrant {
    /// Whose password.
    pub username: Username,
    /// Where the token works.
    #[serde(default)]
    pub purpose: GrantPurpose,
    /// The sealed TOTP secret being enrolled ([`GrantPurpose::Enrolment`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_secret: Option<String>,
    /// The account's credential it was issued for ([`Account::credential`]): a grant of an older
    /// one is void.
    #[serde(default)]
    pub credential: u64,
    /// When it lapses.
    pub expires_at: Timestamp,
}

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

/// Whose login attempts are counted together: one username (known or not) from one source
/// address, so that a stranger's failures lock the stranger out, not the account's owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginKey<'a> {
    /// The username as typed, lower-cased.
    pub username: &'a str,
    /// The client's address (`-` when the API does not tell it).
    pub source: &'a str,
}

/// Login attempts per username and source address, known or not (so that a lockout reveals
/// nothing), counted atomically before the password is checked, so that parallel guesses cannot
/// pass the lockout.
#[async_trait]
pub trait LoginAttemptStore: Send + Sync {
    /// Counts an attempt of `key` if it may check its password at `now`: no lock holds and
    /// fewer attempts were counted than allowed (`first_allowance` until a lock raises it; the
    /// count is forgotten a day after the last attempt).
    async fn admit(&self, key: LoginKey<'_>, now: Timestamp, first_allowance: u32) -> Result<Admission, InfraError>;
    /// Records that `attempt` failed and earned a lock until `until` (a longer lock already set is
    /// kept): one more attempt is allowed once it lapses.
    async fn lock(&self, key: LoginKey<'_>, attempt: u32, until: Timestamp) -> Result<(), InfraError>;
    /// Forgets the attempts at `username` from `source` (after a success there), or from every
    /// source with `None` (a password set or reset, an administrator's unlock).
    async fn clear_login_failures(&self, username: &str, source: Option<&str>) -> Result<(), InfraError>;
}

/// Single-use password-change grants, stored under their token's hash.
#[async_trait]
pub trait GrantStore: Send + Sync {
    /// Stores a password-change grant under its token's hash.
    async fn store_grant(&self, token: &TokenHash, grant: &ChangeGrant) -> Result<(), InfraError>;
    /// The grant of a token, if stored and not lapsed at `now`.
    async fn grant(&self, token: &TokenHash, now: Timestamp) -> Result<Option<ChangeGrant>, InfraError>;
    /// Deletes the grant of a token: false when it was already gone (used by another call).
    async fn consume_grant(&self, token: &TokenHash) -> Result<bool, InfraError>;
    /// Stores a reset grant as the account's latest: every earlier reset token stops working.
    async fn store_reset(&self, token: &TokenHash, grant: &ChangeGrant) -> Result<(), InfraError>;
    /// The hash of the account's latest reset token, if not lapsed at `now`.
    async fn latest_reset(&self, username: &Username, now: Timestamp) -> Result<Option<TokenHash>, InfraError>;
}

/// Counters of requests per window, for rate limits (forgotten by the table after the window).
#[async_trait]
pub trait RateLimiter: Send + Sync {
    /// Counts one request of `scope` in the window of `window` seconds holding `now`: `None` while
    /// at most `limit` were counted, or the seconds until the window ends.
    async fn hit(&self, scope: &str, window: i64, limit: u32, now: Timestamp) -> Result<Option<i64>, InfraError>;
}

/// A session as the server knows it: it lives while its item exists, its account is enabled and
/// the account's credential is still the one the session was opened with (a password set,
/// reset or re-issue renews the credential, so every older session ends with it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionRecord {
    /// The account.
    pub username: Username,
    /// The account's credential when the session opened ([`Account::credential`]).
    pub credential: u64,
    /// When the session's token expires (the item's TTL).
    pub expires_at: Timestamp,
}

/// Open sessions, stored under the hash of their token's id (`jti`).
#[async_trait]
pub trait SessionStore: Send + Sync {
    /// Records an open session.
    async fn open_session(&self, id: &TokenHash, session: &SessionRecord) -> Result<(), InfraError>;
    /// The session, if open and not expired at `now` (read consistently: an ended one is never seen).
    async fn session(&self, id: &TokenHash, now: Timestamp) -> Result<Option<SessionRecord>, InfraError>;
    /// Ends the session (nothing when already ended).
    async fn end_session(&self, id: &TokenHash) -> Result<(), InfraError>;
}

/// The OpenID Connect provider's records: relying parties, logins in progress, single sign-on
/// sessions, codes, grants and their tokens, each under the SHA-256 of its secret where it has one.
#[async_trait]
pub trait ProviderStore: Send + Sync {
    /// The relying party `client_id`.
    async fn client(&self, client_id: &str) -> Result<Option<RelyingParty>, InfraError>;
    /// Registers or updates a relying party.
    async fn save_client(&self, client: &RelyingParty) -> Result<(), InfraError>;
    /// Every relying party, by `client_id`.
    async fn clients(&self) -> Result<Vec<RelyingParty>, InfraError>;
    /// Records a login in progress under the hash of its id.
    async fn start_authorization(&self, id: &TokenHash, pending: &PendingAuthorization) -> Result<(), InfraError>;
    /// Takes the login in progress `id` (removed: it completes once), if not expired at `now`.
    async fn take_authorization(
        &self,
        id: &TokenHash,
        now: Timestamp,
    ) -> Result<Option<PendingAuthorization>, InfraError>;
    /// Opens a single sign-on session.
    async fn open_sso(&self, session: &SsoSession) -> Result<(), InfraError>;
    /// The single sign-on session `sid`, if not expired at `now` (read consistently).
    async fn sso(&self, sid: &str, now: Timestamp) -> Result<Option<SsoSession>, InfraError>;
    /// Ends the single sign-on session `sid` (nothing when already ended).
    async fn end_sso(&self, sid: &str) -> Result<(), InfraError>;
    /// Records an authorization code under its hash.
    async fn store_code(&self, code: &TokenHash, record: &AuthorizationCode) -> Result<(), InfraError>;
    /// Redeems the code: in one transaction, marks it redeemed by `tokens.grant` (only if it was
    /// not yet), and stores the grant with its tokens. `Ok(false)` when the code was already
    /// redeemed or does not exist.
    async fn redeem_code(&self, code: &TokenHash, tokens: &IssuedTokens) -> Result<bool, InfraError>;
    /// The code stored under `code`, redeemed or not.
    async fn code(&self, code: &TokenHash) -> Result<Option<AuthorizationCode>, InfraError>;
    /// Rotates a refresh token: in one transaction, marks `used` used (only if it was not yet and
    /// its grant is not revoked), and stores the new tokens of the same grant. `Ok(false)` when it
    /// was already used or its grant revoked.
    async fn rotate_refresh(&self, used: &TokenHash, tokens: &IssuedTokens) -> Result<bool, InfraError>;
    /// The refresh token stored under `token`, used or not.
    async fn refresh_token(&self, token: &TokenHash) -> Result<Option<RefreshToken>, InfraError>;
    /// The grant `id`.
    async fn grant_record(&self, id: &str) -> Result<Option<Grant>, InfraError>;
    /// Revokes the grant `id`: its tokens stop working.
    async fn revoke_grant(&self, id: &str) -> Result<(), InfraError>;
    /// The access token stored under `token`, if not expired at `now`.
    async fn access_token(&self, token: &TokenHash, now: Timestamp) -> Result<Option<AccessToken>, InfraError>;
}

/// The tokens of one exchange (a code's or a refresh token's), stored together.
#[derive(Debug, Clone)]
pub struct IssuedTokens {
    /// The grant (created by a code's exchange, unchanged by a refresh).
    pub grant: Grant,
    /// The hash of the new access token and its record.
    pub access: (TokenHash, AccessToken),
    /// The hash of the new refresh token and its record.
    pub refresh: (TokenHash, RefreshToken),
}

/// A public signing key, as a JWK (RFC 7517) of `kty` `RSA`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicJwk {
    /// `RSA`.
    pub kty: &'static str,
    /// `sig`.
    #[serde(rename = "use")]
    pub usage: &'static str,
    /// `RS256`.
    pub alg: &'static str,
    /// Its RFC 7638 thumbprint.
    pub kid: String,
    /// The modulus, base64url.
    pub n: String,
    /// The public exponent, base64url.
    pub e: String,
}

/// The key that signs ID tokens (`RS256`), whose private half this service never holds.
#[async_trait]
pub trait TokenSigner: Send + Sync {
    /// The published keys: the current one first, then the previous one during a rotation.
    async fn public_keys(&self) -> Result<Vec<PublicJwk>, InfraError>;
    /// The `RSASSA-PKCS1-v1_5 SHA-256` signature of `message` by the current key.
    async fn sign(&self, message: &[u8]) -> Result<Vec<u8>, InfraError>;
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

/// The time, injectable so that tests can move it.
pub trait Clock: Send + Sync {
    /// The current instant.
    fn now(&self) -> Timestamp;
}

/// The system clock.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}
