//! The login at the provider, in the order it runs: the authorization request, the hand-over of
//! the login page's session, the code; the single sign-on session and its end (logout).

use super::*;

impl OpenIdProvider {
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

    pub(super) async fn code_for(
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

    /// The live single sign-on session of a cookie, with its account.
    pub(super) async fn sso_of(
        &self,
        cookie: Option<&str>,
        now: Timestamp,
    ) -> Result<Option<(SsoSession, Account)>, InfraError> {
        let Some((sid, secret)) = cookie.and_then(|cookie| cookie.split_once('.')) else { return Ok(None) };
        let Some(session) = self.ports.store.sso(sid, now).await? else { return Ok(None) };
        if !session.cookie.matches(secret) {
            return Ok(None);
        }
        let account = self.ports.accounts.account(&session.username).await?;
        Ok(account.filter(|account| live(account, session.credential)).map(|account| (session, account)))
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
}
