//! The token endpoint (a code's exchange, a refresh's rotation) and what the tokens open:
//! userinfo.

use super::*;

impl OpenIdProvider {
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

    pub(super) async fn exchange_code(
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

    pub(super) async fn refresh(
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

    /// The single sign-on session of an authorization and its account, while both last with the
    /// credential the authorization was given for.
    pub(super) async fn live_authorization(
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

    pub(super) fn tokens_of(
        &self,
        grant: Grant,
        now: Timestamp,
    ) -> Result<(IssuedTokens, SecretToken, SecretToken), InfraError> {
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

    pub(super) async fn answer(
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

    pub(super) async fn add_profile(&self, claims: &mut Value, account: &Account) -> Result<(), ProviderError> {
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
}
