//! What the provider's endpoints are asked and answer, as the function's handlers exchange them.

use super::*;

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
    pub(super) fn field(&self, name: &str) -> Option<&str> {
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
