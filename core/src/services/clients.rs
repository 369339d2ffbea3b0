//! Registering relying parties (`admin client`): their id, redirect URIs and, for confidential
//! clients, a secret shown once and stored as its SHA-256.

use crate::{
    domain::{RelyingParty, SecretToken, Timestamp, random_bytes},
    ports::{InfraError, ProviderStore},
};

/// What a registration or a secret rotation refuses.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// A redirect URI that is not absolute `https` (or loopback `http`), or holds a fragment.
    #[error("{0:?} is not an acceptable redirect URI (absolute https, or http on 127.0.0.1/localhost; no fragment)")]
    BadRedirect(String),
    /// No redirect URI or no name.
    #[error("a client needs a name and at least one redirect URI")]
    Incomplete,
    /// No such client.
    #[error("no client {0}")]
    Unknown(String),
    /// A public client has no secret to rotate.
    #[error("client {0} is public: it has no secret")]
    Public(String),
    /// The infrastructure failed.
    #[error(transparent)]
    Infra(#[from] InfraError),
}

/// A new relying party.
pub struct NewClient<'a> {
    /// Its name.
    pub name: &'a str,
    /// Its redirect URIs.
    pub redirect_uris: Vec<String>,
    /// Its post-logout redirect URIs.
    pub post_logout_redirect_uris: Vec<String>,
    /// A public client (PKCE only, no secret).
    pub public: bool,
}

/// Registers `new`: the client and, for a confidential one, its secret (to show once).
pub async fn register_client(
    store: &dyn ProviderStore,
    new: NewClient<'_>,
    now: Timestamp,
) -> Result<(RelyingParty, Option<SecretToken>), ClientError> {
    if new.name.trim().is_empty() || new.redirect_uris.is_empty() {
        return Err(ClientError::Incomplete);
    }
    if let Some(bad) = new
        .redirect_uris
        .iter()
        .chain(&new.post_logout_redirect_uris)
        .find(|uri| !RelyingParty::acceptable_redirect(uri))
    {
        return Err(ClientError::BadRedirect(bad.clone()));
    }
    let sector = RelyingParty::sector_of(&new.redirect_uris[0])
        .ok_or_else(|| ClientError::BadRedirect(new.redirect_uris[0].clone()))?;
    let secret = if new.public { None } else { Some(secret()?) };
    let id = random_bytes::<12>().map_err(|e| InfraError::unexpected("no randomness for a client id", e))?;
    let client = RelyingParty {
        client_id: format!("rp-{}", hex::encode(id)),
        name: new.name.trim().to_string(),
        redirect_uris: new.redirect_uris,
        post_logout_redirect_uris: new.post_logout_redirect_uris,
        secret: secret.as_ref().map(SecretToken::hash),
        sector,
        disabled: false,
        created_at: now,
    };
    store.save_client(&client).await?;
    Ok((client, secret))
}

/// Gives the confidential client `client_id` a new secret (to show once); the old one stops working.
pub async fn rotate_secret(store: &dyn ProviderStore, client_id: &str) -> Result<SecretToken, ClientError> {
    let mut client = store.client(client_id).await?.ok_or_else(|| ClientError::Unknown(client_id.into()))?;
    if client.secret.is_none() {
        return Err(ClientError::Public(client_id.into()));
    }
    let secret = secret()?;
    client.secret = Some(secret.hash());
    store.save_client(&client).await?;
    Ok(secret)
}

/// Disables (or, with `disabled` false, enables again) the client `client_id`.
pub async fn set_disabled(
    store: &dyn ProviderStore,
    client_id: &str,
    disabled: bool,
) -> Result<RelyingParty, ClientError> {
    let mut client = store.client(client_id).await?.ok_or_else(|| ClientError::Unknown(client_id.into()))?;
    client.disabled = disabled;
    store.save_client(&client).await?;
    Ok(client)
}

fn secret() -> Result<SecretToken, InfraError> {
    SecretToken::generate().map_err(|e| InfraError::unexpected("no randomness for a client secret", e))
}
