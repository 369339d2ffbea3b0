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

/// What answers an authorization request.
pub enum AuthorizeOutcome {
    /// Send the browser here (a code or an error for the client).
    Redirect(String),
    /// Send the browser to the login page at `location`, holding `browser` in a cookie.
    Login {
        /// The login page with the login in progress.
        location: String,
        /// The secret binding the login in progress to this browser.
        browser: SecretToken,
    },
}

/// A finished login: where the browser goes, and its single sign-on cookie.
#[derive(Debug)]
pub struct LoginCompleted {
    /// The client's redirect URI with the code (or an error) and `state`.
    pub redirect_to: String,
    /// The value of the single sign-on cookie (`<sid>.<secret>`), when a session was opened.
    pub sso_cookie: Option<String>,
    /// How long the cookie lasts, in seconds.
    pub sso_max_age: i64,
}

/// A request of the token endpoint as it came (form fields and HTTP Basic credentials).
#[derive(Debug, Default)]
pub struct TokenRequest {
    /// The form's fields.
    pub form: BTreeMap<String, String>,
    /// The client id and secret of an `Authorization: Basic` header.
    pub basic: Option<(String, String)>,
}

impl TokenRequest {
    /// The non-empty form field `name`.
    fn field(&self, name: &str) -> Option<&str> {
        self.form.get(name).map(String::as_str).filter(|v| !v.is_empty())
    }
}

/// The token endpoint's answer (RFC 6749 §5.1, OIDC Core 3.1.3.3).
#[derive(Debug, Serialize)]
pub struct TokenResponse {
    /// The access token for userinfo.
    pub access_token: String,
    /// `Bearer`.
    pub token_type: &'static str,
    /// Seconds the access token works.
    pub expires_in: i64,
    /// The signed ID token.
    pub id_token: String,
    /// The next refresh token.
    pub refresh_token: String,
    /// The granted scopes.
    pub scope: String,
}

/// The answer of a logout.
#[derive(Debug)]
pub struct LogoutOutcome {
    /// The client's registered post-logout URI with `state`, or `None` for the provider's page.
    pub redirect_to: Option<String>,
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

    /// An authorization request (`GET /oidc/authorize`) from a browser holding `sso_cookie`.
    pub async fn authorize(
        &self,
        query: &BTreeMap<String, String>,
        sso_cookie: Option<&str>,
    ) -> Result<AuthorizeOutcome, ProviderError> {
        let now = self.ports.clock.now();
        let client_id = query.get("client_id").filter(|id| !id.is_empty());
        let client_id =
            client_id.ok_or_else(|| ProviderError::Page(OAuthError::invalid_request("client_id is required")))?;
        let client = self.ports.store.client(client_id).await?.filter(|client| !client.disabled);
        let client = client.ok_or_else(|| ProviderError::Page(OAuthError::invalid_request("unknown client_id")))?;
        let redirect_uri = query.get("redirect_uri").map(String::as_str).unwrap_or_default();
        if !client.redirects_to(redirect_uri) {
            let description = "redirect_uri is missing or not registered for this client";
            return Err(ProviderError::Page(OAuthError::invalid_request(description)));
        }
        let request = match AuthorizationRequest::read(client_id, redirect_uri, query) {
            Ok(request) => request,
            Err(error) => {
                let state = query.get("state").filter(|s| !s.is_empty() && s.len() <= 512).cloned();
                return Ok(AuthorizeOutcome::Redirect(error_redirect(
                    &self.settings.issuer,
                    redirect_uri,
                    &error,
                    state.as_deref(),
                )));
            }
        };
        if let Some(session) = self.sso_of(sso_cookie, now).await?
            && request.accepts_login_at(session.0.auth_time, now)
        {
            let (session, account) = session;
            return Ok(AuthorizeOutcome::Redirect(self.code_for(&request, &session, &account, now).await?));
        }
        if request.prompt == Prompt::None {
            let error = OAuthError::new("login_required", "the person is not logged in at the provider");
            return Ok(AuthorizeOutcome::Redirect(error_redirect(
                &self.settings.issuer,
                redirect_uri,
                &error,
                request.state.as_deref(),
            )));
        }
        let (id, browser) = (secret()?, secret()?);
        let language = request.language.map(|language| format!("&lang={}", language.tag())).unwrap_or_default();
        let pending = PendingAuthorization { request, browser: browser.hash(), expires_at: now.plus(LOGIN_TTL) };
        self.ports.store.start_authorization(&id.hash(), &pending).await?;
        let location = format!("{}?authorization={}{language}", self.settings.login_url, id.expose());
        Ok(AuthorizeOutcome::Login { location, browser })
    }

    /// The end of a login started by [`Self::authorize`] (`POST /oidc/login`): the login page hands
    /// over the session it got, from the browser holding the login's cookie. The session ends; a
    /// single sign-on session opens; the client gets its code.
    pub async fn complete_login(
        &self,
        authorization: &str,
        browser: Option<&str>,
        session_token: Option<&str>,
    ) -> Result<LoginCompleted, ProviderError> {
        let now = self.ports.clock.now();
        let pending = self.ports.store.take_authorization(&TokenHash::of(authorization), now).await?;
        let pending = pending.filter(|p| browser.is_some_and(|browser| p.browser.matches(browser)));
        let pending = pending.ok_or(ProviderError::LoginExpired)?;
        let claims = self.sessions.live(session_token, now).await?.ok_or(ProviderError::InvalidSession)?;
        let username = Username::parse(&claims.sub).ok_or(ProviderError::InvalidSession)?;
        let account = self.ports.accounts.account(&username).await?.ok_or(ProviderError::InvalidSession)?;
        self.sessions.end(session_token, now).await?;
        let request = pending.request;
        if account.role() != Role::Applicant {
            let error = OAuthError::new("access_denied", "operators' accounts do not sign in to other services");
            let redirect_to =
                error_redirect(&self.settings.issuer, &request.redirect_uri, &error, request.state.as_deref());
            return Ok(LoginCompleted { redirect_to, sso_cookie: None, sso_max_age: 0 });
        }
        let cookie = secret()?;
        let sid = hex::encode(random_bytes::<16>().map_err(|e| InfraError::unexpected("no randomness for a sid", e))?);
        let session = SsoSession {
            sid: sid.clone(),
            cookie: cookie.hash(),
            username: account.username().clone(),
            credential: account.credential(),
            auth_time: time::OffsetDateTime::from_unix_timestamp(claims.iat).map_or(now, Timestamp::from),
            authentication: claims.authentication,
            expires_at: now.plus(self.settings.sso_ttl),
        };
        self.ports.store.open_sso(&session).await?;
        tracing::info!(event = "oidc_login", username = %account.username(), client_id = %request.client_id, sid = %sid, "single sign-on session opened");
        let redirect_to = self.code_for(&request, &session, &account, now).await?;
        Ok(LoginCompleted {
            redirect_to,
            sso_cookie: Some(format!("{sid}.{}", cookie.expose())),
            sso_max_age: self.settings.sso_ttl.whole_seconds(),
        })
    }

    /// The token endpoint (`POST /oidc/token`).
    pub async fn token(&self, request: &TokenRequest) -> Result<TokenResponse, ProviderError> {
        let now = self.ports.clock.now();
        let (client_id, secret) = match (&request.basic, request.field("client_id"), request.field("client_secret")) {
            (Some(_), _, Some(_)) => {
                return Err(ProviderError::Token(OAuthError::invalid_request("one client authentication method only")));
            }
            (Some((id, secret)), body_id, None) if body_id.is_none_or(|body_id| body_id == id) => {
                (id.as_str(), Some(secret.as_str()))
            }
            (Some(_), _, None) => {
                return Err(ProviderError::Token(OAuthError::invalid_request(
                    "client_id differs from the Basic credentials",
                )));
            }
            (None, Some(id), secret) => (id, secret),
            (None, None, _) => return Err(ProviderError::InvalidClient("client authentication is required".into())),
        };
        let client = self.ports.store.client(client_id).await?.filter(|client| !client.disabled);
        let client = client.filter(|client| client.authenticated_by(secret));
        let client = client.ok_or_else(|| ProviderError::InvalidClient("unknown client or wrong secret".into()))?;
        match request.field("grant_type") {
            Some("authorization_code") => self.exchange_code(&client.client_id, &client.sector, request, now).await,
            Some("refresh_token") => self.refresh(&client.client_id, &client.sector, request, now).await,
            Some(_) => Err(ProviderError::Token(OAuthError::new(
                "unsupported_grant_type",
                "authorization_code or refresh_token",
            ))),
            None => Err(ProviderError::Token(OAuthError::invalid_request("grant_type is required"))),
        }
    }

    async fn exchange_code(
        &self,
        client_id: &str,
        sector: &str,
        request: &TokenRequest,
        now: Timestamp,
    ) -> Result<TokenResponse, ProviderError> {
        let code = request
            .field("code")
            .ok_or_else(|| ProviderError::Token(OAuthError::invalid_request("code is required")))?;
        let hash = TokenHash::of(code);
        let record = self.ports.store.code(&hash).await?.ok_or_else(|| invalid_grant("unknown code"))?;
        if let Some(grant) = &record.grant {
            self.ports.store.revoke_grant(grant).await?;
            tracing::warn!(event = "oidc_code_replayed", client_id, grant = %grant, "a used code was presented again: its grant is revoked");
            return Err(invalid_grant("the code was already used"));
        }
        let authorization = &record.authorization;
        if record.expires_at <= now {
            return Err(invalid_grant("the code has expired"));
        }
        if authorization.client_id != client_id {
            return Err(invalid_grant("the code was issued to another client"));
        }
        if request.field("redirect_uri") != Some(record.redirect_uri.as_str()) {
            return Err(invalid_grant("redirect_uri differs from the authorization request's"));
        }
        let verifier = request
            .field("code_verifier")
            .ok_or_else(|| ProviderError::Token(OAuthError::invalid_request("code_verifier is required (PKCE)")))?;
        if !pkce_matches(&record.code_challenge, verifier) {
            return Err(invalid_grant("code_verifier does not match the code_challenge"));
        }
        let (sso, _) =
            self.live_authorization(authorization, now).await?.ok_or_else(|| invalid_grant("the login has ended"))?;
        let grant = Grant {
            id: random_id()?,
            authorization: authorization.clone(),
            revoked: false,
            expires_at: sso.expires_at,
        };
        let (tokens, access, refresh) = self.tokens_of(grant, now)?;
        if !self.ports.store.redeem_code(&hash, &tokens).await? {
            if let Some(grant) = self.ports.store.code(&hash).await?.and_then(|code| code.grant) {
                self.ports.store.revoke_grant(&grant).await?;
            }
            return Err(invalid_grant("the code was already used"));
        }
        self.answer(&tokens.grant, sector, access, refresh, authorization.nonce.clone(), now).await
    }

    async fn refresh(
        &self,
        client_id: &str,
        sector: &str,
        request: &TokenRequest,
        now: Timestamp,
    ) -> Result<TokenResponse, ProviderError> {
        let token = request
            .field("refresh_token")
            .ok_or_else(|| ProviderError::Token(OAuthError::invalid_request("refresh_token is required")))?;
        let hash = TokenHash::of(token);
        let record =
            self.ports.store.refresh_token(&hash).await?.ok_or_else(|| invalid_grant("unknown refresh token"))?;
        let grant =
            self.ports.store.grant_record(&record.grant).await?.ok_or_else(|| invalid_grant("unknown grant"))?;
        if grant.authorization.client_id != client_id {
            return Err(invalid_grant("the refresh token was issued to another client"));
        }
        if record.used {
            self.ports.store.revoke_grant(&grant.id).await?;
            tracing::warn!(event = "oidc_refresh_reused", client_id, grant = %grant.id, "a rotated refresh token was presented again: its grant is revoked");
            return Err(invalid_grant("the refresh token was already used"));
        }
        if grant.revoked || record.expires_at <= now {
            return Err(invalid_grant("the refresh token has expired or was revoked"));
        }
        if let Some(scope) = request.field("scope")
            && !scope.split(' ').filter(|s| !s.is_empty()).all(|s| grant.authorization.scopes.iter().any(|g| g == s))
        {
            return Err(ProviderError::Token(OAuthError::new("invalid_scope", "more than the original grant")));
        }
        if self.live_authorization(&grant.authorization, now).await?.is_none() {
            return Err(invalid_grant("the login has ended (logout, password change, disabled account)"));
        }
        let (tokens, access, refresh) = self.tokens_of(grant, now)?;
        if !self.ports.store.rotate_refresh(&hash, &tokens).await? {
            self.ports.store.revoke_grant(&tokens.grant.id).await?;
            return Err(invalid_grant("the refresh token was already used"));
        }
        self.answer(&tokens.grant, sector, access, refresh, None, now).await
    }

    /// The claims of the person an access token speaks for (`/oidc/userinfo`), by its scopes.
    pub async fn userinfo(&self, access_token: Option<&str>) -> Result<Value, ProviderError> {
        let now = self.ports.clock.now();
        let token = access_token.ok_or(ProviderError::InvalidToken)?;
        let record = self.ports.store.access_token(&TokenHash::of(token), now).await?;
        let record = record.ok_or(ProviderError::InvalidToken)?;
        let grant = self.ports.store.grant_record(&record.grant).await?.filter(|grant| !grant.revoked);
        let grant = grant.ok_or(ProviderError::InvalidToken)?;
        let authorization = &grant.authorization;
        let (_, account) = self.live_authorization(authorization, now).await?.ok_or(ProviderError::InvalidToken)?;
        let client = self.ports.store.client(&authorization.client_id).await?.ok_or(ProviderError::InvalidToken)?;
        let mut claims = json!({ "sub": self.subjects.subject(&client.sector, account.username()) });
        let scoped = |scope: &str| authorization.scopes.iter().any(|s| s == scope);
        if scoped("profile") {
            self.add_profile(&mut claims, &account).await?;
        }
        if scoped("email") {
            claims["email"] = json!(account.email().as_str());
            // The credentials were delivered to this address and used to log in.
            claims["email_verified"] = json!(true);
        }
        Ok(claims)
    }

    async fn add_profile(&self, claims: &mut Value, account: &Account) -> Result<(), ProviderError> {
        let Some(request_id) = account.request_id() else { return Ok(()) };
        let Some(request) = self.ports.requests.find(request_id).await? else { return Ok(()) };
        let applicant = &request.applicant;
        claims["given_name"] = json!(applicant.name.as_str());
        claims["family_name"] = json!(applicant.surname.as_str());
        claims["birthdate"] = json!(String::from(applicant.birth_date));
        claims["gender"] = json!(match applicant.gender {
            crate::domain::Gender::F => "female",
            crate::domain::Gender::M => "male",
            crate::domain::Gender::X => "unspecified",
        });
        claims[ACCREDITATION_CLAIM] = json!({
            "citizenship": applicant.citizenship.alpha2(),
            "state_of_birth": applicant.birth_country.alpha2(),
            "state_of_residence": applicant.residence_country.alpha2(),
            "identification_code": applicant.identification_code.as_str(),
            "reference": request.reference.as_str(),
            "approved_at": account.created_at().to_string(),
        });
        Ok(())
    }

    /// RP-initiated logout (`GET /oidc/logout`): ends the browser's single sign-on session (and the
    /// one an `id_token_hint` names), then returns to a registered `post_logout_redirect_uri`.
    pub async fn logout(
        &self,
        query: &BTreeMap<String, String>,
        sso_cookie: Option<&str>,
    ) -> Result<LogoutOutcome, ProviderError> {
        let now = self.ports.clock.now();
        let text = |name: &str| query.get(name).map(String::as_str).filter(|v| !v.is_empty());
        let hint = match text("id_token_hint") {
            Some(token) => Some(self.id_tokens.verify_hint(token, &self.settings.issuer).await?.ok_or_else(|| {
                ProviderError::Page(OAuthError::invalid_request("id_token_hint is not an ID token of this provider"))
            })?),
            None => None,
        };
        let client_id = match (text("client_id"), &hint) {
            (Some(id), Some(hint)) if id != hint.aud => {
                return Err(ProviderError::Page(OAuthError::invalid_request(
                    "client_id differs from the id_token_hint's",
                )));
            }
            (Some(id), _) => Some(id.to_string()),
            (None, hint) => hint.as_ref().map(|hint| hint.aud.clone()),
        };
        let redirect_to = match text("post_logout_redirect_uri") {
            None => None,
            Some(uri) => {
                let client = match &client_id {
                    Some(id) => self.ports.store.client(id).await?,
                    None => None,
                };
                if !client.is_some_and(|client| client.returns_after_logout_to(uri)) {
                    let description = "post_logout_redirect_uri is not registered for the client (or no client named)";
                    return Err(ProviderError::Page(OAuthError::invalid_request(description)));
                }
                let mut target = uri.to_string();
                if let Some(state) = text("state") {
                    target.push(if uri.contains('?') { '&' } else { '?' });
                    target.push_str(
                        &form_urlencoded::Serializer::new(String::new()).append_pair("state", state).finish(),
                    );
                }
                Some(target)
            }
        };
        if let Some((session, _)) = self.sso_of(sso_cookie, now).await? {
            self.ports.store.end_sso(&session.sid).await?;
            tracing::info!(event = "oidc_logout", username = %session.username, sid = %session.sid, "single sign-on session ended");
        }
        if let Some(hint) = &hint {
            self.ports.store.end_sso(&hint.sid).await?;
        }
        Ok(LogoutOutcome { redirect_to })
    }

    /// The live single sign-on session of a cookie, with its account.
    async fn sso_of(&self, cookie: Option<&str>, now: Timestamp) -> Result<Option<(SsoSession, Account)>, InfraError> {
        let Some((sid, secret)) = cookie.and_then(|cookie| cookie.split_once('.')) else { return Ok(None) };
        let Some(session) = self.ports.store.sso(sid, now).await? else { return Ok(None) };
        if !session.cookie.matches(secret) {
            return Ok(None);
        }
        let account = self.ports.accounts.account(&session.username).await?;
        Ok(account.filter(|account| live(account, session.credential)).map(|account| (session, account)))
    }

    /// The single sign-on session of an authorization and its account, while both last with the
    /// credential the authorization was given for.
    async fn live_authorization(
        &self,
        authorization: &Authorization,
        now: Timestamp,
    ) -> Result<Option<(SsoSession, Account)>, InfraError> {
        let (session, account) = futures::try_join!(
            self.ports.store.sso(&authorization.sid, now),
            self.ports.accounts.account(&authorization.username)
        )?;
        let account = account.filter(|account| live(account, authorization.credential));
        let session = session.filter(|session| session.credential == authorization.credential);
        Ok(session.zip(account))
    }

    async fn code_for(
        &self,
        request: &AuthorizationRequest,
        session: &SsoSession,
        account: &Account,
        now: Timestamp,
    ) -> Result<String, InfraError> {
        let code = secret()?;
        let record = AuthorizationCode {
            authorization: Authorization {
                client_id: request.client_id.clone(),
                username: account.username().clone(),
                credential: session.credential,
                scopes: request.scopes.clone(),
                sid: session.sid.clone(),
                auth_time: session.auth_time,
                authentication: session.authentication,
                nonce: request.nonce.clone(),
            },
            redirect_uri: request.redirect_uri.clone(),
            code_challenge: request.code_challenge.clone(),
            expires_at: now.plus(CODE_TTL),
            grant: None,
        };
        self.ports.store.store_code(&code.hash(), &record).await?;
        let mut query = form_urlencoded::Serializer::new(String::new());
        query.append_pair("code", code.expose());
        if let Some(state) = &request.state {
            query.append_pair("state", state);
        }
        query.append_pair("iss", &self.settings.issuer);
        Ok(with_query(&request.redirect_uri, &query.finish()))
    }

    fn tokens_of(&self, grant: Grant, now: Timestamp) -> Result<(IssuedTokens, SecretToken, SecretToken), InfraError> {
        let (access, refresh) = (secret()?, secret()?);
        let tokens = IssuedTokens {
            access: (
                access.hash(),
                AccessToken { grant: grant.id.clone(), expires_at: now.plus(self.settings.access_token_ttl) },
            ),
            refresh: (
                refresh.hash(),
                RefreshToken { grant: grant.id.clone(), expires_at: grant.expires_at, used: false },
            ),
            grant,
        };
        Ok((tokens, access, refresh))
    }

    async fn answer(
        &self,
        grant: &Grant,
        sector: &str,
        access: SecretToken,
        refresh: SecretToken,
        nonce: Option<String>,
        now: Timestamp,
    ) -> Result<TokenResponse, ProviderError> {
        let authorization = &grant.authorization;
        let claims = IdTokenClaims {
            iss: self.settings.issuer.clone(),
            sub: self.subjects.subject(sector, &authorization.username),
            aud: authorization.client_id.clone(),
            azp: authorization.client_id.clone(),
            exp: now.plus(self.settings.id_token_ttl).unix(),
            iat: now.unix(),
            auth_time: authorization.auth_time.unix(),
            nonce,
            acr: authorization.authentication.acr().into(),
            amr: authorization.authentication.amr().into_iter().map(String::from).collect(),
            at_hash: at_hash(access.expose()),
            sid: authorization.sid.clone(),
        };
        Ok(TokenResponse {
            id_token: self.id_tokens.sign(&claims).await?,
            access_token: access.expose().to_string(),
            token_type: "Bearer",
            expires_in: self.settings.access_token_ttl.whole_seconds(),
            refresh_token: refresh.expose().to_string(),
            scope: authorization.scopes.join(" "),
        })
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
