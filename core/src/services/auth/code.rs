//! The second factor after a correct password, and the enrolment of an authenticator.

use super::*;

impl AuthService {
    /// `POST /auth/mfa`: the code of the account's authenticator (or one of its recovery codes)
    /// after a correct password, or the first code of the authenticator being enrolled. A wrong
    /// or replayed code counts as a failed login.
    pub async fn second_factor(&self, answer: MfaAnswer) -> Result<MfaCompleted, AuthError> {
        let now = self.clock.now();
        let hash = TokenHash::of(&answer.mfa_token);
        let grant = self.grants.grant(&hash, now).await?;
        let grant = grant
            .filter(|g| matches!(g.purpose, GrantPurpose::SecondFactor | GrantPurpose::Enrolment))
            .ok_or(AuthError::InvalidMfaToken)?;
        let key = grant.username.as_str().to_string();
        let source = answer.source_ip.as_deref().unwrap_or(UNKNOWN_SOURCE);
        let attempts = LoginKey { username: &key, source };
        let (account, attempt) = self.load(attempts, now).await?;
        let account = account
            .filter(|a| a.credential() == grant.credential && !a.is_disabled())
            .ok_or(AuthError::InvalidMfaToken)?;
        let username = account.username().clone();
        let mut recovery_codes = None;
        let accepted = match (&grant.purpose, account.second_factor(), &grant.pending_secret) {
            (GrantPurpose::Enrolment, None, Some(sealed)) => {
                match self.authenticators.check(sealed, &username, &answer.code, now, None) {
                    Some(step) => {
                        let (codes, hashes) = second_factor::recovery_codes()?;
                        recovery_codes = Some(codes);
                        Some(AccountEvent::SecondFactorEnrolled(SecondFactor {
                            sealed_secret: sealed.clone(),
                            last_step: step,
                            recovery_codes: hashes,
                            enrolled_at: now,
                        }))
                    }
                    None => None,
                }
            }
            (GrantPurpose::SecondFactor, Some(factor), _) if second_factor::is_totp_code(&answer.code) => self
                .authenticators
                .check(&factor.sealed_secret, &username, &answer.code, now, Some(factor.last_step))
                .map(|step| AccountEvent::TotpCodeAccepted { step }),
            (GrantPurpose::SecondFactor, Some(factor), _) => {
                second_factor::kept_recovery_code(factor, &answer.code).map(AccountEvent::RecoveryCodeUsed)
            }
            _ => return Err(AuthError::InvalidMfaToken),
        };
        let Some(accepted) = accepted else {
            self.fail(attempts, attempt, now).await?;
            tracing::warn!(event = "second_factor", username = %username, outcome = "invalid_code", "wrong or replayed code");
            return Err(AuthError::InvalidCode);
        };
        // One acceptance per code: the account's version (its last step, its codes) and the
        // grant are both conditions; a parallel use of the same code loses here.
        let expected = account.version();
        let account = account.apply(accepted, now);
        match self.accounts.save_account(&account, expected).await {
            Ok(()) => {}
            Err(TransitionError::Infra(e)) => return Err(e.into()),
            Err(_) => return Err(AuthError::InvalidCode),
        }
        if !self.grants.consume_grant(&hash).await? {
            return Err(AuthError::InvalidMfaToken);
        }
        let event = if recovery_codes.is_some() { "mfa_enrolled" } else { "second_factor" };
        tracing::info!(event, username = %username, outcome = "accepted", "second factor accepted");
        self.attempts.clear_login_failures(&key, Some(source)).await?;
        let session =
            self.finish_login(account, now, answer.source_ip.clone(), Authentication::PasswordAndCode).await?;
        Ok(MfaCompleted { session, recovery_codes })
    }

    /// The challenge that must follow a correct password: the account's second factor, or, for an
    /// operator without one, its enrolment; `None` when a session may open at once.
    pub(super) async fn second_factor_step(
        &self,
        account: &Account,
        now: Timestamp,
    ) -> Result<Option<LoginOutcome>, AuthError> {
        match (&account.second_factor(), account.role()) {
            (Some(_), _) => Ok(Some(self.challenge(account, None, now).await?)),
            (None, Role::Operator) => {
                let enrolment = self.authenticators.enrol(account.username())?;
                Ok(Some(self.challenge(account, Some(enrolment), now).await?))
            }
            (None, Role::Applicant) => Ok(None),
        }
    }

    /// `POST /auth/mfa/enrol`: the holder of a session without a second factor (an applicant
    /// opting in), logged in within [`FRESH_LOGIN`], starts enrolling one; `POST /auth/mfa` with
    /// its first code completes it, and every later login then asks for a code.
    pub async fn start_enrolment(&self, token: Option<&str>) -> Result<LoginOutcome, AuthError> {
        let claims = self.session(token).await?;
        let username = Username::parse(&claims.sub).ok_or(AuthError::Unauthenticated)?;
        let account = self.accounts.account(&username).await?.ok_or(AuthError::Unauthenticated)?;
        if account.second_factor().is_some() {
            return Err(AuthError::AlreadyEnrolled);
        }
        let now = self.clock.now();
        if now.unix() - claims.iat > FRESH_LOGIN.whole_seconds() {
            tracing::warn!(event = "mfa_enrolment", username = %username, outcome = "reauthentication_required");
            return Err(AuthError::ReauthenticationRequired);
        }
        let enrolment = self.authenticators.enrol(account.username())?;
        self.challenge(&account, Some(enrolment), now).await
    }

    /// The token between a correct password (or a session) and the code, with the enrolment
    /// shown when one is being made.
    pub(super) async fn challenge(
        &self,
        account: &Account,
        enrolment: Option<second_factor::Enrolment>,
        now: Timestamp,
    ) -> Result<LoginOutcome, AuthError> {
        let token = SecretToken::generate().map_err(|e| InfraError::unexpected("no randomness", e))?;
        let grant = ChangeGrant {
            username: account.username().clone(),
            purpose: if enrolment.is_some() { GrantPurpose::Enrolment } else { GrantPurpose::SecondFactor },
            pending_secret: enrolment.as_ref().map(|e| e.sealed_secret.clone()),
            credential: account.credential(),
            expires_at: now.plus(MFA_TOKEN_TTL),
        };
        self.grants.store_grant(&token.hash(), &grant).await?;
        let outcome = if enrolment.is_some() { "mfa_enrolment_required" } else { "second_factor_required" };
        tracing::info!(event = "login", username = %account.username(), outcome);
        let mfa_token = token.expose().to_string();
        let expires_in = MFA_TOKEN_TTL.whole_seconds();
        Ok(match enrolment {
            None => LoginOutcome::SecondFactorRequired(MfaChallenge {
                status: "second_factor_required",
                mfa_token,
                expires_in,
            }),
            Some(enrolment) => LoginOutcome::MfaEnrolmentRequired(MfaEnrolment {
                status: "mfa_enrolment_required",
                mfa_token,
                secret: enrolment.secret,
                otpauth_uri: enrolment.otpauth_uri,
                qr_svg: enrolment.qr_svg,
                expires_in,
            }),
        })
    }
}
