//! ID tokens (OIDC Core 2): their claims, signed `RS256` by the [`TokenSigner`] (a KMS key whose
//! private half never leaves KMS), and the pairwise subject identifiers they carry (OIDC Core 8.1).

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::{
    domain::Username,
    ports::{InfraError, PublicJwk, TokenSigner},
};

/// The claims of an ID token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdTokenClaims {
    /// The provider's issuer URL.
    pub iss: String,
    /// The pairwise subject.
    pub sub: String,
    /// The client.
    pub aud: String,
    /// The client it was issued to.
    pub azp: String,
    /// Expiry (Unix seconds).
    pub exp: i64,
    /// Issued at (Unix seconds).
    pub iat: i64,
    /// When the person logged in (Unix seconds).
    pub auth_time: i64,
    /// The authorization request's `nonce` (not in the ID tokens of a refresh).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    /// The level of the login.
    pub acr: String,
    /// How the person logged in (RFC 8176).
    pub amr: Vec<String>,
    /// The hash of the access token issued with it.
    pub at_hash: String,
    /// The provider's session.
    pub sid: String,
}

/// Signs ID tokens with the provider's key.
#[derive(Clone)]
pub struct IdTokens {
    signer: std::sync::Arc<dyn TokenSigner>,
}

impl IdTokens {
    /// ID tokens signed by `signer`.
    pub fn new(signer: std::sync::Arc<dyn TokenSigner>) -> Self {
        Self { signer }
    }

    /// The published keys (the JWKS's `keys`).
    pub async fn public_keys(&self) -> Result<Vec<PublicJwk>, InfraError> {
        self.signer.public_keys().await
    }

    /// The compact JWS of `claims`: `{"alg":"RS256","typ":"JWT","kid":...}`, signed by the current
    /// key.
    pub async fn sign(&self, claims: &IdTokenClaims) -> Result<String, InfraError> {
        let keys = self.signer.public_keys().await?;
        let current = keys.first().ok_or_else(|| InfraError::Unexpected("no signing key".into(), None))?;
        let header = serde_json::json!({ "alg": "RS256", "typ": "JWT", "kid": current.kid });
        let encode = |value: &serde_json::Value| URL_SAFE_NO_PAD.encode(value.to_string());
        let claims = serde_json::to_value(claims).map_err(|e| InfraError::unexpected("encoding ID token claims", e))?;
        let signing_input = format!("{}.{}", encode(&header), encode(&claims));
        let signature = self.signer.sign(signing_input.as_bytes()).await?;
        Ok(format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature)))
    }

    /// The claims of an ID token this provider signed with one of its published keys, expired or
    /// not (a logout's `id_token_hint` may have expired); `None` for anything else.
    pub async fn verify_hint(&self, token: &str, issuer: &str) -> Result<Option<IdTokenClaims>, InfraError> {
        let Ok(header) = jsonwebtoken::decode_header(token) else { return Ok(None) };
        let keys = self.signer.public_keys().await?;
        let Some(key) = keys.iter().find(|key| header.kid.as_deref() == Some(key.kid.as_str())) else {
            return Ok(None);
        };
        let Ok(decoding) = DecodingKey::from_rsa_components(&key.n, &key.e) else { return Ok(None) };
        let mut validation = Validation::new(Algorithm::RS256);
        validation.validate_exp = false;
        validation.validate_aud = false;
        validation.set_issuer(&[issuer]);
        validation.set_required_spec_claims(&["iss", "sub", "aud"]);
        Ok(jsonwebtoken::decode::<IdTokenClaims>(token, &decoding, &validation).ok().map(|data| data.claims))
    }
}

/// Pairwise subject identifiers: `base64url(HMAC-SHA256(key, sector ‖ 0 ‖ username))`, stable
/// for one person and one sector, unrelated across sectors, never the username or email.
#[derive(Clone)]
pub struct PairwiseSubjects {
    key: SecretString,
}

impl PairwiseSubjects {
    /// Subjects keyed by `key` (`SUBJECT_KEY`, SSM in AWS: changing it changes every subject).
    pub fn new(key: SecretString) -> Self {
        Self { key }
    }

    /// The subject of `username` for the relying parties of `sector`.
    pub fn subject(&self, sector: &str, username: &Username) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(self.key.expose_secret().as_bytes())
            .expect("HMAC takes keys of any size");
        mac.update(sector.as_bytes());
        mac.update(&[0]);
        mac.update(username.as_str().as_bytes());
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_are_stable_per_sector_and_opaque() {
        let subjects = PairwiseSubjects::new(SecretString::from("a subject key of at least 32 bytes!!"));
        let maria = Username::parse("maria.silva").unwrap();
        let portal = subjects.subject("portal.example.it", &maria);
        assert_eq!(portal, subjects.subject("portal.example.it", &maria));
        assert_ne!(portal, subjects.subject("other.example.it", &maria));
        assert_ne!(portal, subjects.subject("portal.example.it", &Username::parse("maria.silva2").unwrap()));
        assert_eq!(portal.len(), 43);
        assert!(!portal.contains("maria"));
    }
}
