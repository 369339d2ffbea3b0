//! The bucket of identity documents.

use std::collections::BTreeMap;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::InfraError;
use crate::domain::{DocumentType, Timestamp};

/// A browser-ready upload: POST these form fields, then the file as the last field `file`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadForm {
    /// Always `POST`.
    pub method: String,
    /// The bucket URL.
    pub url: String,
    /// The signed form fields, in order.
    pub fields: BTreeMap<String, String>,
    /// When S3 stops accepting it.
    pub expires_at: Timestamp,
}

/// An object as stored: its size and the version (S3's ETag) a later read or copy can insist on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredObject {
    /// Bytes.
    pub size: u64,
    /// The ETag of this version.
    pub etag: String,
}

/// The bucket of identity documents.
#[async_trait]
pub trait DocumentStore: Send + Sync {
    /// A pre-signed POST for exactly `key`, `content_type` and 1 byte to 3 MiB, valid until `expires_at`.
    async fn upload_form(
        &self,
        key: &str,
        content_type: DocumentType,
        expires_at: Timestamp,
    ) -> Result<UploadForm, InfraError>;
    /// The size and version of the object, or `None` when nothing was uploaded.
    async fn head(&self, key: &str) -> Result<Option<StoredObject>, InfraError>;
    /// Up to `count` bytes from the start of the object; with `version`, of that version only
    /// (`None` when the object was replaced or deleted since).
    async fn first_bytes(&self, key: &str, count: u64, version: Option<&str>) -> Result<Option<Vec<u8>>, InfraError>;
    /// Copies the upload, only if it is still the `version` that was checked, to its permanent
    /// `key` (tagged accepted, so the lifecycle rule for abandoned uploads spares it); `false` when
    /// another upload replaced it meanwhile (nothing copied). The upload stays: the acceptance
    /// deletes it once its write landed, so that the retry of a failed write still finds it.
    async fn promote(&self, upload_key: &str, version: &str, key: &str) -> Result<bool, InfraError>;
    /// A pre-signed GET of `key`, valid `validity`, served as an attachment of `content_type`.
    async fn download_url(
        &self,
        key: &str,
        content_type: DocumentType,
        file_name: &str,
        validity: std::time::Duration,
    ) -> Result<String, InfraError>;
    /// Starts the retention period of a decided request's document: re-copied in place (restarting
    /// its age) and tagged decided, so the bucket's lifecycle deletes it when the period ends.
    async fn schedule_deletion(&self, key: &str, content_type: DocumentType) -> Result<(), InfraError>;
    /// Deletes the object.
    async fn delete(&self, key: &str) -> Result<(), InfraError>;
}
