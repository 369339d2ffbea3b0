//! [`TokenSigner`] on AWS KMS: an `RSA_2048` `SIGN_VERIFY` key signs with
//! `RSASSA_PKCS1_V1_5_SHA_256` (JWS `RS256`); its private half never leaves KMS. The public keys
//! (the current one, and the previous one during a rotation) are read once per cold start with
//! `GetPublicKey` and published as JWKs whose `kid` is their RFC 7638 thumbprint.

use async_trait::async_trait;
use aws_sdk_kms::{
    Client,
    primitives::Blob,
    types::{MessageType, SigningAlgorithmSpec},
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use der::Decode;
use sha2::{Digest, Sha256};
use tokio::sync::OnceCell;

use super::classify;
use crate::ports::{InfraError, PublicJwk, TokenSigner};

/// The KMS signing keys of ID tokens.
pub struct KmsSigner {
    client: Client,
    current: String,
    previous: Option<String>,
    keys: OnceCell<Vec<PublicJwk>>,
}

impl KmsSigner {
    /// Signs with the key `current` (id, ARN or alias) and publishes `previous` beside it.
    pub fn new(client: Client, current: &str, previous: Option<&str>) -> Self {
        let previous = previous.map(str::trim).filter(|p| !p.is_empty() && *p != current).map(str::to_string);
        Self { client, current: current.into(), previous, keys: OnceCell::new() }
    }

    async fn public_key(&self, key_id: &str) -> Result<PublicJwk, InfraError> {
        let output =
            self.client.get_public_key().key_id(key_id).send().await.map_err(|e| classify("KMS", "GetPublicKey", e))?;
        let der =
            output.public_key().ok_or_else(|| InfraError::Unexpected("KMS returned no public key".into(), None))?;
        jwk_of_spki(der.as_ref())
    }
}

/// The JWK of an RSA public key in DER `SubjectPublicKeyInfo` (what `GetPublicKey` returns).
pub fn jwk_of_spki(der: &[u8]) -> Result<PublicJwk, InfraError> {
    let bad = |what: &str| InfraError::Unexpected(format!("the signing key's public key is not RSA: {what}"), None);
    let info = spki::SubjectPublicKeyInfoRef::from_der(der).map_err(|_| bad("no SubjectPublicKeyInfo"))?;
    let bits = info.subject_public_key.as_bytes().ok_or_else(|| bad("unaligned key bits"))?;
    let key = pkcs1::RsaPublicKey::from_der(bits).map_err(|_| bad("no RSAPublicKey"))?;
    let (n, e) =
        (URL_SAFE_NO_PAD.encode(key.modulus.as_bytes()), URL_SAFE_NO_PAD.encode(key.public_exponent.as_bytes()));
    // RFC 7638 §3: the required members, lexicographic order, no whitespace.
    let thumbprint = Sha256::digest(format!(r#"{{"e":"{e}","kty":"RSA","n":"{n}"}}"#).as_bytes());
    Ok(PublicJwk { kty: "RSA", usage: "sig", alg: "RS256", kid: URL_SAFE_NO_PAD.encode(thumbprint), n, e })
}

#[async_trait]
impl TokenSigner for KmsSigner {
    async fn public_keys(&self) -> Result<Vec<PublicJwk>, InfraError> {
        let keys = self
            .keys
            .get_or_try_init(|| async {
                let mut keys = vec![self.public_key(&self.current).await?];
                if let Some(previous) = &self.previous {
                    keys.push(self.public_key(previous).await?);
                }
                Ok::<_, InfraError>(keys)
            })
            .await?;
        Ok(keys.clone())
    }

    async fn sign(&self, message: &[u8]) -> Result<Vec<u8>, InfraError> {
        let output = self
            .client
            .sign()
            .key_id(&self.current)
            .message(Blob::new(message))
            .message_type(MessageType::Raw)
            .signing_algorithm(SigningAlgorithmSpec::RsassaPkcs1V15Sha256)
            .send()
            .await
            .map_err(|e| classify("KMS", "Sign", e))?;
        let signature =
            output.signature().ok_or_else(|| InfraError::Unexpected("KMS returned no signature".into(), None))?;
        Ok(signature.as_ref().to_vec())
    }
}
