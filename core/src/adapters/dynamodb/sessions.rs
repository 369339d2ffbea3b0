//! [`SessionStore`] on the table: one item per open session, deleted when it ends, forgotten by
//! the table's TTL once its token has expired anyway.

use async_trait::async_trait;

use super::{
    DynamoStore,
    items::{SessionItem, session_pk},
    to_item,
};
use crate::{
    domain::{Timestamp, TokenHash},
    ports::{InfraError, SessionRecord, SessionStore},
};

#[async_trait]
impl SessionStore for DynamoStore {
    async fn open_session(&self, id: &TokenHash, session: &SessionRecord) -> Result<(), InfraError> {
        self.put(to_item(&SessionItem::of(id, session))?).await
    }

    async fn session(&self, id: &TokenHash, now: Timestamp) -> Result<Option<SessionRecord>, InfraError> {
        let item: Option<SessionItem> = self.get(session_pk(id), "SESSION").await?;
        Ok(item.map(|i| i.session).filter(|session| session.expires_at > now))
    }

    async fn end_session(&self, id: &TokenHash) -> Result<(), InfraError> {
        self.delete(session_pk(id), "SESSION").await
    }
}
