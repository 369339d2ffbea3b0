//! [`ProviderStore`] on the table: `CLIENT#<id>` (in `GSI1` under `CLIENTS`, for the list),
//! `AUTHZ#`, `CODE#`, `REFRESH#` and `ACCESS#` under the SHA-256 of their secret, `SSO#<sid>` and
//! `GRANT#<id>`; each with a TTL once it lapses. A code's redemption and a refresh token's rotation
//! are one transaction each, conditional on the code (or token) not having been used.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{ConditionCheck, ReturnValue, TransactWriteItem};
use serde::{Deserialize, Serialize, de::DeserializeOwned};

use super::{Cancelled, DynamoStore, Writes, built, classify, from_item, items::Keys, key, s, to_item};
use crate::{
    domain::{
        RelyingParty, Timestamp, TokenHash,
        oidc::{AccessToken, AuthorizationCode, Grant, PendingAuthorization, RefreshToken, SsoSession},
    },
    ports::{InfraError, IssuedTokens, ProviderStore},
    schema::{PK, SK},
};

/// An item of the provider: its keys, its TTL, its record.
#[derive(Serialize, Deserialize)]
struct Stored<T> {
    #[serde(flatten)]
    keys: Keys,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ttl: Option<i64>,
    #[serde(flatten)]
    record: T,
}

fn stored<T: Serialize>(
    pk: String,
    sk: &str,
    expires_at: Option<Timestamp>,
    record: &T,
) -> Result<super::Item, InfraError> {
    to_item(&Stored { keys: Keys::new(pk, sk), ttl: expires_at.map(Timestamp::unix), record })
}

fn client_pk(id: &str) -> String {
    format!("CLIENT#{id}")
}
fn authorization_pk(id: &TokenHash) -> String {
    format!("AUTHZ#{}", id.as_str())
}
fn sso_pk(sid: &str) -> String {
    format!("SSO#{sid}")
}
fn code_pk(code: &TokenHash) -> String {
    format!("CODE#{}", code.as_str())
}
fn grant_pk(id: &str) -> String {
    format!("GRANT#{id}")
}
fn refresh_pk(token: &TokenHash) -> String {
    format!("REFRESH#{}", token.as_str())
}
fn access_pk(token: &TokenHash) -> String {
    format!("ACCESS#{}", token.as_str())
}

/// The names of a redemption's or rotation's writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Write {
    Used,
    GrantLive,
    Grant,
    Access,
    Refresh,
}

impl DynamoStore {
    async fn record<T: DeserializeOwned>(&self, pk: String, sk: &str) -> Result<Option<T>, InfraError> {
        Ok(self.get::<Stored<T>>(pk, sk).await?.map(|item| item.record))
    }

    /// The tokens of an exchange, added to `writes`.
    fn add_tokens(writes: &mut Writes<Write>, tokens: &IssuedTokens, new_grant: bool) -> Result<(), InfraError> {
        let grant = &tokens.grant;
        if new_grant {
            writes.put_new(Write::Grant, stored(grant_pk(&grant.id), "GRANT", Some(grant.expires_at), grant)?)?;
        }
        let (access_hash, access) = &tokens.access;
        writes.put_new(Write::Access, stored(access_pk(access_hash), "ACCESS", Some(access.expires_at), access)?)?;
        let (refresh_hash, refresh) = &tokens.refresh;
        writes.put_new(Write::Refresh, stored(refresh_pk(refresh_hash), "REFRESH", Some(refresh.expires_at), refresh)?)
    }

    /// Whether a redemption's or rotation's transaction went through; `false` when the code or
    /// token had been used (or its grant revoked).
    fn conditional(result: Result<(), Cancelled<Write>>) -> Result<bool, InfraError> {
        match result {
            Ok(()) => Ok(true),
            Err(cancelled) if cancelled.failed(Write::Used) || cancelled.failed(Write::GrantLive) => Ok(false),
            Err(cancelled) => Err(cancelled.into_infra()),
        }
    }
}

#[async_trait]
impl ProviderStore for DynamoStore {
    async fn client(&self, client_id: &str) -> Result<Option<RelyingParty>, InfraError> {
        if client_id.is_empty() || client_id.len() > 128 {
            return Ok(None);
        }
        self.record(client_pk(client_id), "CLIENT").await
    }

    async fn save_client(&self, client: &RelyingParty) -> Result<(), InfraError> {
        let keys =
            Keys::indexed(client_pk(&client.client_id), "CLIENT", Some(("CLIENTS".into(), client.client_id.clone())));
        self.put(to_item(&Stored { keys, ttl: None, record: client })?).await
    }

    async fn clients(&self) -> Result<Vec<RelyingParty>, InfraError> {
        let items = self.query_gsi1_all("#pk = :clients", &[(":clients", s("CLIENTS"))]).await?;
        items.into_iter().map(|item| Ok(from_item::<Stored<RelyingParty>>(item)?.record)).collect()
    }

    async fn start_authorization(&self, id: &TokenHash, pending: &PendingAuthorization) -> Result<(), InfraError> {
        self.put(stored(authorization_pk(id), "AUTHZ", Some(pending.expires_at), pending)?).await
    }

    async fn take_authorization(
        &self,
        id: &TokenHash,
        now: Timestamp,
    ) -> Result<Option<PendingAuthorization>, InfraError> {
        let output = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key(PK, s(authorization_pk(id)))
            .key(SK, s("AUTHZ"))
            .return_values(ReturnValue::AllOld)
            .send()
            .await
            .map_err(|e| classify("DynamoDB", "DeleteItem", e))?;
        let pending = output.attributes.map(from_item::<Stored<PendingAuthorization>>).transpose()?;
        Ok(pending.map(|item| item.record).filter(|pending| pending.expires_at > now))
    }

    async fn open_sso(&self, session: &SsoSession) -> Result<(), InfraError> {
        self.put(stored(sso_pk(&session.sid), "SSO", Some(session.expires_at), session)?).await
    }

    async fn sso(&self, sid: &str, now: Timestamp) -> Result<Option<SsoSession>, InfraError> {
        if sid.is_empty() || sid.len() > 64 {
            return Ok(None);
        }
        let session: Option<SsoSession> = self.record(sso_pk(sid), "SSO").await?;
        Ok(session.filter(|session| session.expires_at > now))
    }

    async fn end_sso(&self, sid: &str) -> Result<(), InfraError> {
        self.delete(sso_pk(sid), "SSO").await
    }

    async fn store_code(&self, code: &TokenHash, record: &AuthorizationCode) -> Result<(), InfraError> {
        self.put(stored(code_pk(code), "CODE", Some(record.expires_at), record)?).await
    }

    async fn redeem_code(&self, code: &TokenHash, tokens: &IssuedTokens) -> Result<bool, InfraError> {
        let mut writes = Writes::on(&self.table);
        writes.update(Write::Used, key(code_pk(code), "CODE"), |update| {
            update
                .update_expression("SET #grant = :grant")
                .condition_expression("attribute_exists(PK) AND attribute_not_exists(#grant)")
                .expression_attribute_names("#grant", "grant")
                .expression_attribute_values(":grant", s(tokens.grant.id.clone()))
        })?;
        Self::add_tokens(&mut writes, tokens, true)?;
        Self::conditional(self.transact(writes).await)
    }

    async fn code(&self, code: &TokenHash) -> Result<Option<AuthorizationCode>, InfraError> {
        self.record(code_pk(code), "CODE").await
    }

    async fn rotate_refresh(&self, used: &TokenHash, tokens: &IssuedTokens) -> Result<bool, InfraError> {
        let mut writes = Writes::on(&self.table);
        writes.update(Write::Used, key(refresh_pk(used), "REFRESH"), |update| {
            update
                .update_expression("SET #used = :true")
                .condition_expression("attribute_exists(PK) AND #used = :false")
                .expression_attribute_names("#used", "used")
                .expression_attribute_values(":true", aws_sdk_dynamodb::types::AttributeValue::Bool(true))
                .expression_attribute_values(":false", aws_sdk_dynamodb::types::AttributeValue::Bool(false))
        })?;
        let check = ConditionCheck::builder()
            .table_name(&self.table)
            .set_key(Some(key(grant_pk(&tokens.grant.id), "GRANT")))
            .condition_expression("#revoked = :false")
            .expression_attribute_names("#revoked", "revoked")
            .expression_attribute_values(":false", aws_sdk_dynamodb::types::AttributeValue::Bool(false));
        writes.add(Write::GrantLive, TransactWriteItem::builder().condition_check(built(check.build())?).build());
        Self::add_tokens(&mut writes, tokens, false)?;
        Self::conditional(self.transact(writes).await)
    }

    async fn refresh_token(&self, token: &TokenHash) -> Result<Option<RefreshToken>, InfraError> {
        self.record(refresh_pk(token), "REFRESH").await
    }

    async fn grant_record(&self, id: &str) -> Result<Option<Grant>, InfraError> {
        self.record(grant_pk(id), "GRANT").await
    }

    async fn revoke_grant(&self, id: &str) -> Result<(), InfraError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(PK, s(grant_pk(id)))
            .key(SK, s("GRANT"))
            .update_expression("SET #revoked = :true")
            .condition_expression("attribute_exists(PK)")
            .expression_attribute_names("#revoked", "revoked")
            .expression_attribute_values(":true", aws_sdk_dynamodb::types::AttributeValue::Bool(true))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e)
                if aws_sdk_dynamodb::error::ProvideErrorMetadata::code(&e)
                    == Some("ConditionalCheckFailedException") =>
            {
                Ok(())
            }
            Err(e) => Err(classify("DynamoDB", "UpdateItem", e)),
        }
    }

    async fn access_token(&self, token: &TokenHash, now: Timestamp) -> Result<Option<AccessToken>, InfraError> {
        let record: Option<AccessToken> = self.record(access_pk(token), "ACCESS").await?;
        Ok(record.filter(|record| record.expires_at > now))
    }
}
