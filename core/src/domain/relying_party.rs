//! Relying parties: the sites (the portal, other ministry services) that sign foreign users in
//! through this service's OpenID Connect provider, registered by an administrator.

use serde::{Deserialize, Serialize};

use super::{Timestamp, TokenHash};

/// A registered relying party.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RelyingParty {
    /// The `client_id` (random, public).
    pub client_id: String,
    /// Its name, for administrators.
    pub name: String,
    /// The redirect URIs it may receive codes at (compared exactly, OIDC Core 3.1.2.1).
    pub redirect_uris: Vec<String>,
    /// Where it may send a person after a logout.
    #[serde(default)]
    pub post_logout_redirect_uris: Vec<String>,
    /// The SHA-256 of its secret (confidential clients); `None` for a public client, which
    /// authenticates with PKCE alone.
    pub secret: Option<TokenHash>,
    /// The sector of its pairwise subject identifiers: the host of its first redirect URI.
    pub sector: String,
    /// Set by an administrator: no new authorization, no token.
    #[serde(default)]
    pub disabled: bool,
    /// When it was registered.
    pub created_at: Timestamp,
}

impl RelyingParty {
    /// True when `uri` is one of its redirect URIs, character for character.
    pub fn redirects_to(&self, uri: &str) -> bool {
        self.redirect_uris.iter().any(|registered| registered == uri)
    }

    /// True when `uri` is one of its post-logout redirect URIs, character for character.
    pub fn returns_after_logout_to(&self, uri: &str) -> bool {
        self.post_logout_redirect_uris.iter().any(|registered| registered == uri)
    }

    /// Whether `presented` authenticates it: its secret for a confidential client (compared in
    /// constant time), nothing for a public one.
    pub fn authenticated_by(&self, presented: Option<&str>) -> bool {
        match (&self.secret, presented) {
            (Some(secret), Some(presented)) => secret.matches(presented),
            (None, None) => true,
            _ => false,
        }
    }

    /// The sector identifier of `redirect_uri`: its host (`https://portal.example.it/cb` →
    /// `portal.example.it`), `None` when it is not an absolute `http(s)` URI with a host.
    pub fn sector_of(redirect_uri: &str) -> Option<String> {
        let rest = redirect_uri.strip_prefix("https://").or_else(|| redirect_uri.strip_prefix("http://"))?;
        let authority = rest.split(['/', '?', '#']).next()?;
        let host = authority.rsplit('@').next()?;
        let host =
            host.rsplit_once(':').filter(|(_, port)| port.chars().all(|c| c.is_ascii_digit())).map_or(host, |(h, _)| h);
        (!host.is_empty()).then(|| host.to_ascii_lowercase())
    }

    /// Whether `uri` may be registered as a redirect URI: absolute, `https` (or `http` on a
    /// loopback host, for development), no fragment (RFC 6749 §3.1.2).
    pub fn acceptable_redirect(uri: &str) -> bool {
        let Some(host) = Self::sector_of(uri) else { return false };
        let loopback = matches!(host.as_str(), "127.0.0.1" | "localhost" | "[::1]");
        !uri.contains('#') && !uri.chars().any(char::is_whitespace) && (uri.starts_with("https://") || loopback)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(secret: Option<&str>) -> RelyingParty {
        RelyingParty {
            client_id: "portal".into(),
            name: "Portale".into(),
            redirect_uris: vec!["https://portal.example.it/callback".into()],
            post_logout_redirect_uris: vec![],
            secret: secret.map(TokenHash::of),
            sector: "portal.example.it".into(),
            disabled: false,
            created_at: Timestamp::now(),
        }
    }

    #[test]
    fn redirect_uris_match_exactly() {
        let client = client(None);
        assert!(client.redirects_to("https://portal.example.it/callback"));
        for other in [
            "https://portal.example.it/callback/",
            "https://portal.example.it/callback?x=1",
            "HTTPS://portal.example.it/callback",
            "https://portal.example.it/Callback",
        ] {
            assert!(!client.redirects_to(other), "{other}");
        }
    }

    #[test]
    fn confidential_clients_need_their_secret_and_public_ones_none() {
        assert!(client(Some("s3cret")).authenticated_by(Some("s3cret")));
        assert!(!client(Some("s3cret")).authenticated_by(Some("s3cres")));
        assert!(!client(Some("s3cret")).authenticated_by(None));
        assert!(client(None).authenticated_by(None));
        assert!(!client(None).authenticated_by(Some("anything")));
    }

    #[test]
    fn sectors_are_hosts_and_redirects_https_or_loopback() {
        assert_eq!(
            RelyingParty::sector_of("https://Portal.example.it:8443/cb?x").as_deref(),
            Some("portal.example.it")
        );
        assert_eq!(RelyingParty::sector_of("ftp://x"), None);
        assert!(RelyingParty::acceptable_redirect("https://portal.example.it/cb"));
        assert!(RelyingParty::acceptable_redirect("http://127.0.0.1:9000/demo-portal/callback"));
        assert!(!RelyingParty::acceptable_redirect("http://portal.example.it/cb"));
        assert!(!RelyingParty::acceptable_redirect("https://portal.example.it/cb#frag"));
    }
}
