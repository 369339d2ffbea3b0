//! [`SessionStore`] on the table: one item per open session, deleted when it ends, forgotten by
//! the table's TTL once its token has expired anyway.

use async_trait::async_trait;

use super::{
    DynamoStore, classify,
    items::{SessionItem, session_pk},
    s, to_item,
};
use crate::{
    domain::{Timestamp, TokenHash},
    ports::{InfraError, SessionRecord, SessionStore},
    schema::{PK, SK},
};

#[async_trait]
impl SessionStore for DynamoStore {
    async fn open_session(&self, id: &TokenHash, session: &SessionRecord) -> Result<(), InfraError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(&SessionItem::of(id, session))?))
            .send()
            .await
            .map_err(|e| classify("DynamoDB", "PutItem", e))?;
        Ok(())
    }

    async fn session(&self, id: &TokenHash, now: Timestamp) -> Result<Option<SessionRecord>, InfraError> {
        let item: Option<SessionItem> = self.get(session_pk(id), "SESSION").await?;
        Ok(item.map(|i| i.session).filter(|session| session.expires_at > now))
    }

    async fn end_session(&self, id: &TokenHash) -> Result<(), InfraError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .key(PK, s(session_pk(id)))
            .key(SK, s("SESSION"))
            .send()
            .await
            .map_err(|e| classify("DynamoDB", "DeleteItem", e))?;
        Ok(())
    }
}
