//! The OpenID Connect provider's records and the key that signs its ID tokens.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::InfraError;
use crate::domain::{
    RelyingParty, Timestamp, TokenHash,
    oidc::{AccessToken, AuthorizationCode, Grant, PendingAuthorization, RefreshToken, SsoSession},
};

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
