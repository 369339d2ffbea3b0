//! Session tokens: JWTs signed with HS256 and a key from configuration, valid 15 minutes; the same
//! key (through HMAC) signs the operators' paging cursors.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use time::Duration;

use crate::domain::{Role, Timestamp, Username};

/// How long a session lasts.
pub const SESSION_TTL: Duration = Duration::minutes(15);
/// Issuer and audience of the tokens.
const ISSUER: &str = "foreign-user-accreditation";

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
}

/// Issues and checks session tokens.
#[derive(Clone)]
pub struct Sessions {
    encoding: EncodingKey,
    decoding: DecodingKey,
    key: SecretString,
}

impl Sessions {
    /// Sessions signed with `key` (at least 32 bytes of secret).
    pub fn new(key: SecretString) -> Self {
        let bytes = key.expose_secret().as_bytes();
        Self { encoding: EncodingKey::from_secret(bytes), decoding: DecodingKey::from_secret(bytes), key }
    }

    /// A 15-minute session for `username`.
    pub fn issue(
        &self,
        username: &Username,
        role: Role,
        now: Timestamp,
    ) -> Result<Session, jsonwebtoken::errors::Error> {
        let claims = Claims {
            sub: username.to_string(),
            role,
            iat: now.unix(),
            exp: now.plus(SESSION_TTL).unix(),
            iss: ISSUER.into(),
            aud: ISSUER.into(),
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)?;
        Ok(Session { status: "authenticated", token, expires_in: SESSION_TTL.whole_seconds(), role })
    }

    /// The claims of a valid, unexpired token (the clock is the service's, not the system's).
    pub fn verify(&self, token: &str, now: Timestamp) -> Option<Claims> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.validate_exp = false;
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[ISSUER]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        let claims = jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation).ok()?.claims;
        (claims.exp > now.unix()).then_some(claims)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn sessions() -> Sessions {
        Sessions::new(SecretString::from("a test signing key of at least 32 bytes"))
    }

    #[test]
    fn tokens_carry_the_user_and_role_and_expire_after_15_minutes() {
        let now = Timestamp::now();
        let user = Username::parse("maria.dangelo").unwrap();
        let session = sessions().issue(&user, Role::Operator, now).unwrap();
        assert_eq!(session.expires_in, 900);
        let claims = sessions().verify(&session.token, now).unwrap();
        assert_eq!((claims.sub.as_str(), claims.role), ("maria.dangelo", Role::Operator));
        assert!(sessions().verify(&session.token, now.plus(Duration::minutes(15))).is_none());
    }

    #[test]
    fn tokens_signed_with_another_key_or_altered_are_refused() {
        let now = Timestamp::now();
        let user = Username::parse("maria.dangelo").unwrap();
        let other = Sessions::new(SecretString::from("another key, also long enough, 32+ bytes"));
        let token = other.issue(&user, Role::Operator, now).unwrap().token;
        assert!(sessions().verify(&token, now).is_none());
        let mut altered = sessions().issue(&user, Role::Applicant, now).unwrap().token;
        altered.push('x');
        assert!(sessions().verify(&altered, now).is_none());
        assert!(sessions().verify("not.a.jwt", now).is_none());
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
