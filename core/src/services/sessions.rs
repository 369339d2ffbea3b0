//! Session tokens: JWTs signed with HS256 and a key from configuration, valid 15 minutes; the same
//! key (through HMAC) signs the operators' paging cursors. [`LiveSessions`] keeps each session on
//! the server too, so that a session can end before its token expires.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use time::Duration;

use std::sync::Arc;

use super::policy::SESSION_TTL;
use crate::{
    domain::{Account, Authentication, Role, Timestamp, TokenHash, Username, random_bytes},
    ports::{AccountStore, InfraError, SessionRecord, SessionStore},
};

/// How far in the future a token's `iat` may be (clocks of two functions differ a little).
const CLOCK_SKEW: Duration = Duration::seconds(60);

/// What a session token says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// Username.
    pub sub: String,
    /// Role.
    pub role: Role,
    /// Issued at (Unix seconds).
    pub iat: i64,
    /// Expires at (Unix seconds).
    pub exp: i64,
    /// Issuer.
    pub iss: String,
    /// Audience.
    pub aud: String,
    /// The session's id (16 random bytes, hex).
    pub jti: String,
    /// How the person authenticated for it (at `iat`).
    #[serde(default)]
    pub authentication: Authentication,
}

/// A session token as handed to the client.
#[derive(Debug, Serialize)]
pub struct Session {
    /// Always `authenticated`.
    pub status: &'static str,
    /// The bearer token.
    pub token: String,
    /// Seconds until it expires.
    pub expires_in: i64,
    /// The account's role.
    pub role: Role,
    /// The login before this one, when there was one (shown to the person, ASVS 2.2.x).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_login: Option<PreviousLogin>,
}

/// When and where the previous login came from.
#[derive(Debug, Clone, Serialize)]
pub struct PreviousLogin {
    /// When.
    pub at: Timestamp,
    /// The client's address, when known.
    pub ip: Option<String>,
}

/// Issues and checks session tokens.
#[derive(Clone)]
pub struct Sessions {
    encoding: EncodingKey,
    decoding: DecodingKey,
    key: SecretString,
    issuer: String,
    audience: String,
}

impl Sessions {
    /// Sessions signed with `key` (at least 32 bytes of secret), issued by `issuer` for
    /// `audience` (`SESSION_ISSUER` / `SESSION_AUDIENCE`: one stage's tokens are refused by another).
    pub fn new(key: SecretString, issuer: &str, audience: &str) -> Self {
        let bytes = key.expose_secret().as_bytes();
        let (encoding, decoding) = (EncodingKey::from_secret(bytes), DecodingKey::from_secret(bytes));
        Self { encoding, decoding, key, issuer: issuer.into(), audience: audience.into() }
    }

    /// A 15-minute session token for `username`, who authenticated by `authentication`, with its
    /// claims.
    pub fn issue(
        &self,
        username: &Username,
        role: Role,
        authentication: Authentication,
        now: Timestamp,
    ) -> Result<(Session, Claims), InfraError> {
        let id = random_bytes::<16>().map_err(|e| InfraError::unexpected("no randomness for a session id", e))?;
        let claims = Claims {
            sub: username.to_string(),
            role,
            iat: now.unix(),
            exp: now.plus(SESSION_TTL).unix(),
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            jti: hex::encode(id),
            authentication,
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| InfraError::unexpected("signing a session token", e))?;
        let session = Session {
            status: "authenticated",
            token,
            expires_in: SESSION_TTL.whole_seconds(),
            role,
            previous_login: None,
        };
        Ok((session, claims))
    }

    /// The claims of a valid, unexpired token of this issuer and audience (the clock is the
    /// service's, not the system's): issued no later than now (give or take a minute's skew), for
    /// no longer than a session lasts.
    pub fn verify(&self, token: &str, now: Timestamp) -> Option<Claims> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.validate_exp = false;
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        let claims = jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation).ok()?.claims;
        let issued_in_time = claims.iat <= now.plus(CLOCK_SKEW).unix();
        let lifetime_issued = claims.exp - claims.iat <= SESSION_TTL.whole_seconds();
        (claims.exp > now.unix() && issued_in_time && lifetime_issued).then_some(claims)
    }

    /// `payload` with an HMAC, base64url: an opaque value clients cannot forge.
    pub fn seal(&self, payload: &[u8]) -> String {
        let mut sealed = payload.to_vec();
        sealed.extend_from_slice(&self.mac(payload));
        URL_SAFE_NO_PAD.encode(sealed)
    }

    /// The payload of a value made by [`Sessions::seal`], if untouched.
    pub fn open(&self, sealed: &str) -> Option<Vec<u8>> {
        let bytes = URL_SAFE_NO_PAD.decode(sealed).ok()?;
        let (payload, tag) = bytes.split_at_checked(bytes.len().checked_sub(32)?)?;
        let mut mac = self.hmac();
        mac.update(payload);
        mac.verify_slice(tag).ok()?;
        Some(payload.to_vec())
    }

    fn hmac(&self) -> Hmac<Sha256> {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(self.key.expose_secret().as_bytes())
            .expect("HMAC takes keys of any size");
        mac.update(b"cursor:");
        mac
    }

    fn mac(&self, payload: &[u8]) -> Vec<u8> {
        let mut mac = self.hmac();
        mac.update(payload);
        mac.finalize().into_bytes().to_vec()
    }
}

/// Sessions as the server knows them: a token works while its session is open, its account
/// enabled and the account's credential unchanged since it opened. Every reader of a session (the
/// authorizer, the auth and operator functions) asks here, reading consistently, so that an ended
/// session is refused at once.
#[derive(Clone)]
pub struct LiveSessions {
    tokens: Sessions,
    store: Arc<dyn SessionStore>,
    accounts: Arc<dyn AccountStore>,
}

impl LiveSessions {
    /// Sessions signed by `tokens`, kept in `store`, checked against `accounts`.
    pub fn new(tokens: Sessions, store: Arc<dyn SessionStore>, accounts: Arc<dyn AccountStore>) -> Self {
        Self { tokens, store, accounts }
    }

    /// The token signer (also the sealer of paging cursors).
    pub fn tokens(&self) -> &Sessions {
        &self.tokens
    }

    /// Opens a session for `account`, who authenticated by `authentication`, and answers its token.
    pub async fn open(
        &self,
        account: &Account,
        authentication: Authentication,
        now: Timestamp,
    ) -> Result<Session, InfraError> {
        let (session, claims) = self.tokens.issue(account.username(), account.role(), authentication, now)?;
        let record = SessionRecord {
            username: account.username().clone(),
            credential: account.credential(),
            expires_at: now.plus(SESSION_TTL),
        };
        self.store.open_session(&TokenHash::of(&claims.jti), &record).await?;
        Ok(session)
    }

    /// The claims of `token` if it is valid and its session still open.
    pub async fn live(&self, token: Option<&str>, now: Timestamp) -> Result<Option<Claims>, InfraError> {
        let Some(claims) = token.and_then(|token| self.tokens.verify(token, now)) else { return Ok(None) };
        let Some(username) = Username::parse(&claims.sub) else { return Ok(None) };
        let id = TokenHash::of(&claims.jti);
        let (session, account) = futures::try_join!(self.store.session(&id, now), self.accounts.account(&username))?;
        let open = match (session, account) {
            (Some(session), Some(account)) => {
                session.username == *account.username()
                    && session.credential == account.credential()
                    && !account.is_disabled()
            }
            _ => false,
        };
        Ok(open.then_some(claims))
    }

    /// Ends the session of `token` (a logout): its username, or `None` when the token is not a
    /// valid one of this service; an already ended session ends again without complaint.
    pub async fn end(&self, token: Option<&str>, now: Timestamp) -> Result<Option<String>, InfraError> {
        let Some(claims) = token.and_then(|token| self.tokens.verify(token, now)) else { return Ok(None) };
        self.store.end_session(&TokenHash::of(&claims.jti)).await?;
        Ok(Some(claims.sub))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "a test signing key of at least 32 bytes";

    fn sessions() -> Sessions {
        Sessions::new(SecretString::from(KEY), "accreditation-test", "accreditation-test-api")
    }

    #[test]
    fn tokens_carry_the_user_and_role_and_expire_after_15_minutes() {
        let now = Timestamp::now();
        let user = Username::parse("maria.dangelo").unwrap();
        let session = sessions().issue(&user, Role::Operator, Authentication::Password, now).unwrap().0;
        assert_eq!(session.expires_in, 900);
        let claims = sessions().verify(&session.token, now).unwrap();
        assert_eq!((claims.sub.as_str(), claims.role), ("maria.dangelo", Role::Operator));
        assert!(sessions().verify(&session.token, now.plus(Duration::minutes(15))).is_none());
    }

    #[test]
    fn tokens_signed_with_another_key_or_altered_are_refused() {
        let now = Timestamp::now();
        let user = Username::parse("maria.dangelo").unwrap();
        let other = Sessions::new(
            SecretString::from("another key, also long enough, 32+ bytes"),
            "accreditation-test",
            "accreditation-test-api",
        );
        let token = other.issue(&user, Role::Operator, Authentication::Password, now).unwrap().0.token;
        assert!(sessions().verify(&token, now).is_none());
        let mut altered = sessions().issue(&user, Role::Applicant, Authentication::Password, now).unwrap().0.token;
        altered.push('x');
        assert!(sessions().verify(&altered, now).is_none());
        assert!(sessions().verify("not.a.jwt", now).is_none());
    }

    #[test]
    fn another_stages_tokens_and_tokens_from_the_future_are_refused() {
        let now = Timestamp::now();
        let user = Username::parse("maria.dangelo").unwrap();
        for other in [
            Sessions::new(SecretString::from(KEY), "accreditation-prod", "accreditation-test-api"),
            Sessions::new(SecretString::from(KEY), "accreditation-test", "accreditation-prod-api"),
        ] {
            let token = other.issue(&user, Role::Operator, Authentication::Password, now).unwrap().0.token;
            assert!(sessions().verify(&token, now).is_none(), "another issuer or audience");
        }
        let early = sessions()
            .issue(&user, Role::Operator, Authentication::Password, now.plus(Duration::minutes(5)))
            .unwrap()
            .0
            .token;
        assert!(sessions().verify(&early, now).is_none(), "issued in the future");
        let skewed = sessions()
            .issue(&user, Role::Operator, Authentication::Password, now.plus(Duration::seconds(30)))
            .unwrap()
            .0
            .token;
        assert!(sessions().verify(&skewed, now).is_some(), "a little clock skew is fine");
    }

    #[test]
    fn every_session_has_its_own_id() {
        let now = Timestamp::now();
        let user = Username::parse("maria.dangelo").unwrap();
        let ids: std::collections::BTreeSet<String> = (0..20)
            .map(|_| {
                sessions()
                    .verify(
                        &sessions().issue(&user, Role::Applicant, Authentication::Password, now).unwrap().0.token,
                        now,
                    )
                    .unwrap()
                    .jti
            })
            .collect();
        assert_eq!(ids.len(), 20);
        assert!(ids.iter().all(|id| id.len() == 32));
    }

    #[test]
    fn sealed_values_open_only_untouched() {
        let sealed = sessions().seal(b"{\"PK\":\"x\"}");
        assert_eq!(sessions().open(&sealed).unwrap(), b"{\"PK\":\"x\"}");
        let mut bytes = URL_SAFE_NO_PAD.decode(&sealed).unwrap();
        bytes[0] ^= 1;
        assert!(sessions().open(&URL_SAFE_NO_PAD.encode(bytes)).is_none());
        assert!(sessions().open("short").is_none());
    }
}
