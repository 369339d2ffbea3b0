//! The OpenID Connect protocol's own rules (OIDC Core 1.0, RFC 6749, RFC 7636): what a valid
//! authorization request is, what a code, a grant and its tokens are bound to, and the errors'
//! codes. The provider service applies them; the function only moves them over HTTP.

use std::collections::BTreeMap;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::{Authentication, Language, Timestamp, TokenHash, Username};

/// The scopes this provider knows; others in a request are ignored (RFC 6749 §3.3).
pub const SCOPES: [&str; 3] = ["openid", "profile", "email"];
/// Longest `state`, `nonce` or other free text accepted in a request.
const MAX_TEXT: usize = 512;

/// An OAuth 2.0 / OpenID Connect error: its registered code and a description for developers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthError {
    /// `invalid_request`, `login_required`, `invalid_grant`, ... (RFC 6749 §4.1.2.1, §5.2; OIDC
    /// Core 3.1.2.6).
    pub code: &'static str,
    /// What was wrong, in English.
    pub description: String,
}

impl OAuthError {
    /// An error with `code`.
    pub fn new(code: &'static str, description: impl Into<String>) -> Self {
        Self { code, description: description.into() }
    }

    /// `invalid_request`.
    pub fn invalid_request(description: impl Into<String>) -> Self {
        Self::new("invalid_request", description)
    }

    /// `invalid_grant`.
    pub fn invalid_grant(description: impl Into<String>) -> Self {
        Self::new("invalid_grant", description)
    }
}

/// What `prompt` asks (OIDC Core 3.1.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Prompt {
    /// No prompt: an existing single sign-on session is used.
    Default,
    /// `prompt=none`: no page may be shown; `login_required` without a session.
    None,
    /// `prompt=login`: the person logs in again whatever the session.
    Login,
}

/// A valid authorization request of a known client to one of its redirect URIs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizationRequest {
    /// The client.
    pub client_id: String,
    /// The redirect URI, registered by the client.
    pub redirect_uri: String,
    /// The granted scopes (`openid` always first), space-separated on the wire.
    pub scopes: Vec<String>,
    /// Passed back unchanged.
    pub state: Option<String>,
    /// Put in the ID token unchanged.
    pub nonce: Option<String>,
    /// The PKCE `S256` challenge.
    pub code_challenge: String,
    /// What the client asked of the login.
    pub prompt: Prompt,
    /// The oldest login the client accepts, in seconds (`max_age`).
    pub max_age: Option<i64>,
    /// The language of the login page (`ui_locales`: the first of ours).
    pub language: Option<Language>,
}

/// Why an authorization request is refused: before the redirect URI is trusted (an error page),
/// or after (an error sent back to the client, RFC 6749 §4.1.2.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthorizationError {
    /// Unknown or disabled client, missing or unregistered redirect URI: never redirected.
    Page(OAuthError),
    /// Sent to the redirect URI with the request's `state`.
    Redirect {
        /// The client's redirect URI.
        redirect_uri: String,
        /// The error.
        error: OAuthError,
        /// The request's `state`, if any.
        state: Option<String>,
    },
}

impl AuthorizationRequest {
    /// Reads the query of an authorization request once the client and redirect URI are known to
    /// be good: `response_type=code`, `openid` among the scopes, a PKCE `S256` challenge, and the
    /// optional `prompt`, `max_age`, `ui_locales`, `nonce`, `state`.
    pub fn read(client_id: &str, redirect_uri: &str, query: &BTreeMap<String, String>) -> Result<Self, OAuthError> {
        let text = |name: &str| query.get(name).map(String::as_str).filter(|v| !v.is_empty());
        let bounded = |name: &'static str| -> Result<Option<String>, OAuthError> {
            match text(name) {
                Some(value) if value.len() > MAX_TEXT || value.chars().any(char::is_control) => {
                    Err(OAuthError::invalid_request(format!("{name} is too long or holds control characters")))
                }
                value => Ok(value.map(str::to_string)),
            }
        };
        if query.contains_key("request") || query.contains_key("request_uri") {
            return Err(OAuthError::new("request_not_supported", "request objects are not supported"));
        }
        match text("response_type") {
            Some("code") => {}
            Some(_) => {
                return Err(OAuthError::new("unsupported_response_type", "only response_type=code is supported"));
            }
            None => return Err(OAuthError::invalid_request("response_type is required")),
        }
        let asked: Vec<&str> = text("scope").unwrap_or_default().split(' ').filter(|s| !s.is_empty()).collect();
        if !asked.contains(&"openid") {
            return Err(OAuthError::new("invalid_scope", "scope must include openid"));
        }
        let scopes = SCOPES.iter().filter(|known| asked.contains(known)).map(|s| s.to_string()).collect();
        let code_challenge = match (text("code_challenge"), text("code_challenge_method")) {
            (None, _) => return Err(OAuthError::invalid_request("code_challenge is required (PKCE S256)")),
            (Some(_), method) if method != Some("S256") => {
                return Err(OAuthError::invalid_request("code_challenge_method must be S256"));
            }
            (Some(challenge), _) if !is_challenge(challenge) => {
                return Err(OAuthError::invalid_request("code_challenge must be 43 base64url characters"));
            }
            (Some(challenge), _) => challenge.to_string(),
        };
        let prompts: Vec<&str> = text("prompt").unwrap_or_default().split(' ').filter(|p| !p.is_empty()).collect();
        let prompt = match prompts.as_slice() {
            [] => Prompt::Default,
            ["none"] => Prompt::None,
            several if several.contains(&"none") => {
                return Err(OAuthError::invalid_request("prompt=none cannot be combined with other values"));
            }
            several if several.contains(&"login") => Prompt::Login,
            several if several.iter().all(|p| matches!(*p, "consent" | "select_account")) => Prompt::Default,
            _ => return Err(OAuthError::invalid_request("prompt holds an unknown value")),
        };
        let max_age = match text("max_age") {
            None => None,
            Some(value) => Some(
                value
                    .parse::<i64>()
                    .ok()
                    .filter(|age| *age >= 0)
                    .ok_or_else(|| OAuthError::invalid_request("max_age must be a number of seconds"))?,
            ),
        };
        let language = Language::from_ui_locales(text("ui_locales").unwrap_or_default());
        Ok(Self {
            client_id: client_id.into(),
            redirect_uri: redirect_uri.into(),
            scopes,
            state: bounded("state")?,
            nonce: bounded("nonce")?,
            code_challenge,
            prompt,
            max_age,
            language,
        })
    }

    /// Whether a login at `auth_time` is recent enough for this request at `now`.
    pub fn accepts_login_at(&self, auth_time: Timestamp, now: Timestamp) -> bool {
        self.prompt != Prompt::Login && self.max_age.is_none_or(|age| now.unix() - auth_time.unix() <= age)
    }

    /// The granted scopes as the wire says them.
    pub fn scope(&self) -> String {
        self.scopes.join(" ")
    }
}

fn is_challenge(value: &str) -> bool {
    value.len() == 43 && value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Whether `verifier` is the one of `challenge` (RFC 7636 §4.6: `BASE64URL(SHA256(verifier))`),
/// compared in constant time; a verifier outside 43–128 unreserved characters never is.
pub fn pkce_matches(challenge: &str, verifier: &str) -> bool {
    let unreserved = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~');
    if !(43..=128).contains(&verifier.len()) || !verifier.bytes().all(unreserved) {
        return false;
    }
    let computed = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    computed.as_bytes().ct_eq(challenge.as_bytes()).into()
}

/// A login in progress for an authorization request, bound to the browser that started it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingAuthorization {
    /// The request.
    pub request: AuthorizationRequest,
    /// The SHA-256 of the browser's secret (its cookie).
    pub browser: TokenHash,
    /// When the login has to be done by.
    pub expires_at: Timestamp,
}

/// A single sign-on session at the provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SsoSession {
    /// Its id (`sid` in ID tokens, the key of the item).
    pub sid: String,
    /// The SHA-256 of the browser's cookie secret.
    pub cookie: TokenHash,
    /// Whose session it is.
    pub username: Username,
    /// The account's credential number at login: a password change, reset, re-issue or disable
    /// renews it and so ends this session.
    pub credential: u64,
    /// When the person logged in.
    pub auth_time: Timestamp,
    /// How.
    pub authentication: Authentication,
    /// When it ends.
    pub expires_at: Timestamp,
}

/// What a code, a grant and its tokens are issued for: one login of one person for one client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Authorization {
    /// The client.
    pub client_id: String,
    /// The person.
    pub username: Username,
    /// Their account's credential number at login.
    pub credential: u64,
    /// The granted scopes.
    pub scopes: Vec<String>,
    /// The single sign-on session it came from.
    pub sid: String,
    /// When the person logged in.
    pub auth_time: Timestamp,
    /// How.
    pub authentication: Authentication,
    /// The request's `nonce`.
    pub nonce: Option<String>,
}

/// An authorization code, valid once and for a minute at most.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizationCode {
    /// What it authorizes.
    pub authorization: Authorization,
    /// The redirect URI it was sent to.
    pub redirect_uri: String,
    /// The PKCE challenge its exchange must answer.
    pub code_challenge: String,
    /// When it lapses.
    pub expires_at: Timestamp,
    /// The grant its exchange created: set once, so that a replay finds it and revokes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grant: Option<String>,
}

/// A grant: the tokens of one code exchange and their refreshes, revoked together.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    /// Its id (random).
    pub id: String,
    /// What it authorizes.
    pub authorization: Authorization,
    /// Set when a code replay or a refresh token reuse revoked it.
    #[serde(default)]
    pub revoked: bool,
    /// When its last refresh token lapses.
    pub expires_at: Timestamp,
}

/// A refresh token of a grant; used once, then replaced by the next one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefreshToken {
    /// The grant.
    pub grant: String,
    /// When it lapses.
    pub expires_at: Timestamp,
    /// Set by its use: presented again, it revokes the grant.
    #[serde(default)]
    pub used: bool,
}

/// An access token of a grant (opaque; the userinfo endpoint looks it up).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessToken {
    /// The grant.
    pub grant: String,
    /// When it lapses.
    pub expires_at: Timestamp,
}

/// The `at_hash` of an access token (OIDC Core 3.1.3.6): the left half of its SHA-256, base64url.
pub fn at_hash(access_token: &str) -> String {
    URL_SAFE_NO_PAD.encode(&Sha256::digest(access_token.as_bytes())[..16])
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

    fn query(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        let mut query: BTreeMap<String, String> = [
            ("response_type", "code"),
            ("scope", "openid profile"),
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        for (k, v) in pairs {
            if v.is_empty() {
                query.remove(*k);
            } else {
                query.insert(k.to_string(), v.to_string());
            }
        }
        query
    }

    fn read(pairs: &[(&str, &str)]) -> Result<AuthorizationRequest, OAuthError> {
        AuthorizationRequest::read("portal", "https://portal.example.it/cb", &query(pairs))
    }

    #[test]
    fn the_rfc_7636_example_verifier_matches_its_challenge() {
        assert!(pkce_matches(CHALLENGE, VERIFIER));
        assert!(!pkce_matches(CHALLENGE, &VERIFIER.replace('d', "e")));
        assert!(!pkce_matches(CHALLENGE, "short"));
        assert!(!pkce_matches(CHALLENGE, ""));
    }

    #[test]
    fn a_request_needs_code_openid_and_s256() {
        let request = read(&[("state", "xyz"), ("nonce", "n-1"), ("scope", "openid email offline_access")]).unwrap();
        assert_eq!((request.scope().as_str(), request.state.as_deref()), ("openid email", Some("xyz")));
        assert_eq!(read(&[("response_type", "token")]).unwrap_err().code, "unsupported_response_type");
        assert_eq!(read(&[("response_type", "")]).unwrap_err().code, "invalid_request");
        assert_eq!(read(&[("scope", "profile")]).unwrap_err().code, "invalid_scope");
        assert_eq!(read(&[("code_challenge", "")]).unwrap_err().code, "invalid_request");
        assert_eq!(read(&[("code_challenge_method", "plain")]).unwrap_err().code, "invalid_request");
        assert_eq!(read(&[("code_challenge_method", "")]).unwrap_err().code, "invalid_request");
        assert_eq!(read(&[("request", "eyJ")]).unwrap_err().code, "request_not_supported");
    }

    #[test]
    fn prompt_max_age_and_locales_are_read() {
        assert_eq!(read(&[("prompt", "none")]).unwrap().prompt, Prompt::None);
        assert_eq!(read(&[("prompt", "login consent")]).unwrap().prompt, Prompt::Login);
        assert_eq!(read(&[("prompt", "none login")]).unwrap_err().code, "invalid_request");
        assert_eq!(read(&[("max_age", "-1")]).unwrap_err().code, "invalid_request");
        assert_eq!(read(&[("ui_locales", "fr en-GB it")]).unwrap().language, Some(Language::En));
        let now = Timestamp::now();
        let request = read(&[("max_age", "60")]).unwrap();
        assert!(request.accepts_login_at(now.plus(time::Duration::seconds(-60)), now));
        assert!(!request.accepts_login_at(now.plus(time::Duration::seconds(-61)), now));
        assert!(!read(&[("prompt", "login")]).unwrap().accepts_login_at(now, now));
    }

    #[test]
    fn at_hash_is_the_left_half_of_the_sha256() {
        // OIDC Core A.3's access token and at_hash.
        assert_eq!(at_hash("jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"), "77QmUPtjPfzWtF2AnpK9RQ");
    }
}
