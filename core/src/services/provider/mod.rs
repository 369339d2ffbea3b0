//! The OpenID Connect provider: the portal (and any registered relying party) signs foreign users
//! in with the authorization code flow and PKCE. The login itself is the service's own (the auth
//! function's login, forced change and second factor); this service turns the session it ends
//! with into a single sign-on session, codes, ID tokens, access and refresh tokens.

use std::{collections::BTreeMap, sync::Arc};

use serde::Serialize;
use serde_json::{Value, json};
use time::Duration;

use super::policy::{CODE_TTL, LOGIN_TTL};
use crate::{
    domain::{
        Account, Role, SecretToken, Timestamp, TokenHash, Username,
        oidc::{
            AccessToken, Authorization, AuthorizationCode, AuthorizationRequest, Grant, OAuthError,
            PendingAuthorization, Prompt, RefreshToken, SsoSession, at_hash, pkce_matches,
        },
        random_bytes,
    },
    ports::{AccountStore, Clock, InfraError, IssuedTokens, ProviderStore, PublicJwk, RequestStore},
    services::{
        id_tokens::{IdTokenClaims, IdTokens, PairwiseSubjects},
        sessions::LiveSessions,
    },
};

/// The namespaced claim holding the accreditation's own attributes (`profile` scope).
pub const ACCREDITATION_CLAIM: &str = "urn:it:lavoro:utente-estero:accreditation";

mod login;
mod outcomes;
mod tokens;

pub use outcomes::{AuthorizeOutcome, LoginCompleted, LogoutOutcome, TokenRequest, TokenResponse};

/// The provider's settings.
#[derive(Debug, Clone)]
pub struct ProviderSettings {
    /// The issuer (`ISSUER_URL`, no trailing slash): the base URL of every endpoint.
    pub issuer: String,
    /// The login page an authorization request sends the person to (`LOGIN_URL`).
    pub login_url: String,
    /// How long access tokens work (`OIDC_ACCESS_TOKEN_SECONDS`).
    pub access_token_ttl: Duration,
    /// How long ID tokens are valid (`OIDC_ID_TOKEN_SECONDS`).
    pub id_token_ttl: Duration,
    /// How long a single sign-on session lasts, and with it the refresh tokens it gave (`OIDC_SSO_HOURS`).
    pub sso_ttl: Duration,
}

/// What the provider works with.
#[derive(Clone)]
pub struct ProviderPorts {
    /// Clients, logins in progress, sessions, codes, grants and tokens.
    pub store: Arc<dyn ProviderStore>,
    /// Accounts.
    pub accounts: Arc<dyn AccountStore>,
    /// The approved requests (the profile's attributes).
    pub requests: Arc<dyn RequestStore>,
    /// The time.
    pub clock: Arc<dyn Clock>,
}

/// Why the provider refuses; the function maps each to its HTTP answer.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// An authorization request that cannot be sent back to a client (unknown client, redirect
    /// URI not registered): an error page, never a redirect.
    #[error("{}: {}", .0.code, .0.description)]
    Page(OAuthError),
    /// The token endpoint could not authenticate the client (`401 invalid_client`).
    #[error("invalid_client: {0}")]
    InvalidClient(String),
    /// Any other error of the token endpoint (`400`, RFC 6749 §5.2).
    #[error("{}: {}", .0.code, .0.description)]
    Token(OAuthError),
    /// The bearer token of a userinfo request is missing, unknown, expired or revoked (`401`).
    #[error("invalid_token")]
    InvalidToken,
    /// The login in progress is unknown, expired, finished or not this browser's.
    #[error("the login in progress has expired")]
    LoginExpired,
    /// The session the login page handed over is not a live one.
    #[error("no valid session")]
    InvalidSession,
    /// The infrastructure failed.
    #[error(transparent)]
    Infra(#[from] InfraError),
}

/// The provider.
pub struct OpenIdProvider {
    ports: ProviderPorts,
    sessions: LiveSessions,
    id_tokens: IdTokens,
    subjects: PairwiseSubjects,
    settings: ProviderSettings,
}

impl OpenIdProvider {
    /// A provider on `ports`, taking over the logins of `sessions`, signing with `id_tokens`.
    pub fn new(
        ports: ProviderPorts,
        sessions: LiveSessions,
        id_tokens: IdTokens,
        subjects: PairwiseSubjects,
        settings: ProviderSettings,
    ) -> Self {
        Self { ports, sessions, id_tokens, subjects, settings }
    }

    /// The issuer.
    pub fn issuer(&self) -> &str {
        &self.settings.issuer
    }

    /// The provider metadata (OpenID Connect Discovery 1.0 §3).
    pub fn discovery(&self) -> Value {
        let issuer = &self.settings.issuer;
        json!({
            "issuer": issuer,
            "authorization_endpoint": format!("{issuer}/oidc/authorize"),
            "token_endpoint": format!("{issuer}/oidc/token"),
            "userinfo_endpoint": format!("{issuer}/oidc/userinfo"),
            "jwks_uri": format!("{issuer}/oidc/jwks"),
            "end_session_endpoint": format!("{issuer}/oidc/logout"),
            "scopes_supported": crate::domain::oidc::SCOPES,
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "authorization_response_iss_parameter_supported": true,
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "code_challenge_methods_supported": ["S256"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
            "claims_supported": [
                "iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "at_hash", "sid", "azp",
                "given_name", "family_name", "birthdate", "gender", "email", "email_verified", ACCREDITATION_CLAIM,
            ],
            "acr_values_supported": [crate::domain::ACR_PASSWORD, crate::domain::ACR_TWO_FACTORS],
            "prompt_values_supported": ["none", "login"],
            "ui_locales_supported": ["it", "en"],
            "claims_parameter_supported": false,
            "request_parameter_supported": false,
            "request_uri_parameter_supported": false,
            "frontchannel_logout_supported": false,
            "backchannel_logout_supported": false,
        })
    }

    /// The published signing keys (`/oidc/jwks`).
    pub async fn jwks(&self) -> Result<Vec<PublicJwk>, ProviderError> {
        Ok(self.id_tokens.public_keys().await?)
    }
}

/// An account whose credential is still `credential` and that may log in.
fn live(account: &Account, credential: u64) -> bool {
    account.credential() == credential && !account.is_disabled() && account.role() == Role::Applicant
}

fn invalid_grant(description: &str) -> ProviderError {
    ProviderError::Token(OAuthError::invalid_grant(description))
}

fn secret() -> Result<SecretToken, InfraError> {
    SecretToken::generate().map_err(|e| InfraError::unexpected("no randomness for a token", e))
}

fn random_id() -> Result<String, InfraError> {
    Ok(hex::encode(random_bytes::<16>().map_err(|e| InfraError::unexpected("no randomness for an id", e))?))
}

fn with_query(uri: &str, query: &str) -> String {
    format!("{uri}{}{query}", if uri.contains('?') { '&' } else { '?' })
}

/// The redirect of an error to a client (RFC 6749 §4.1.2.1), with the issuer (RFC 9207).
fn error_redirect(issuer: &str, redirect_uri: &str, error: &OAuthError, state: Option<&str>) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    query.append_pair("error", error.code).append_pair("error_description", &error.description);
    if let Some(state) = state {
        query.append_pair("state", state);
    }
    query.append_pair("iss", issuer);
    with_query(redirect_uri, &query.finish())
}
