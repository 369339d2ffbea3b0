//! The document bucket on S3.

use async_trait::async_trait;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use std::time::Duration;

use aws_sdk_s3::{
    Client,
    error::ProvideErrorMetadata,
    presigning::PresigningConfig,
    types::{MetadataDirective, TaggingDirective},
};
use time::OffsetDateTime;

use super::{classify, post_policy};
use crate::{
    domain::{DocumentType, Timestamp},
    ports::{DocumentStore, InfraError, StoredObject, UploadForm},
    schema::{UPLOAD_ACCEPTED, UPLOAD_DECIDED, UPLOAD_PENDING, UPLOAD_STATE_TAG},
};

/// Whether S3 refused a read or copy because the object is no longer the version insisted on
/// (`412 PreconditionFailed`) or is gone (`404`).
fn replaced(code: Option<&str>, status: Option<u16>) -> bool {
    matches!(code, Some("PreconditionFailed" | "NoSuchKey")) || matches!(status, Some(412 | 404))
}

/// Identity documents in one S3 bucket.
#[derive(Clone)]
pub struct S3DocumentStore {
    client: Client,
    bucket: String,
    region: String,
    credentials: SharedCredentialsProvider,
    upload_url: String,
}

impl S3DocumentStore {
    /// The store of `bucket`; uploads go to the emulator's path-style URL when `endpoint_url` is
    /// set, otherwise to the bucket's regional virtual-host URL.
    pub fn new(
        client: Client,
        credentials: SharedCredentialsProvider,
        bucket: &str,
        region: &str,
        endpoint_url: Option<&str>,
    ) -> Self {
        let upload_url = match endpoint_url {
            Some(endpoint) => format!("{}/{bucket}", endpoint.trim_end_matches('/')),
            None => format!("https://{bucket}.s3.{region}.amazonaws.com/"),
        };
        Self { client, bucket: bucket.into(), region: region.into(), credentials, upload_url }
    }
}

fn tagging_xml(state: &str) -> String {
    format!("<Tagging><TagSet><Tag><Key>{UPLOAD_STATE_TAG}</Key><Value>{state}</Value></Tag></TagSet></Tagging>")
}

impl S3DocumentStore {
    /// A copy of `from` to `to` whose only tag is the upload state `state`.
    fn copy_object(
        &self,
        from: &str,
        to: &str,
        state: &str,
    ) -> aws_sdk_s3::operation::copy_object::builders::CopyObjectFluentBuilder {
        self.client
            .copy_object()
            .bucket(&self.bucket)
            .copy_source(format!("{}/{from}", self.bucket))
            .key(to)
            .tagging_directive(TaggingDirective::Replace)
            .tagging(format!("{UPLOAD_STATE_TAG}={state}"))
    }
}

#[async_trait]
impl DocumentStore for S3DocumentStore {
    async fn upload_form(
        &self,
        key: &str,
        content_type: DocumentType,
        expires_at: Timestamp,
    ) -> Result<UploadForm, InfraError> {
        let credentials = self
            .credentials
            .provide_credentials()
            .await
            .map_err(|e| InfraError::unexpected("no AWS credentials to sign the upload", e))?;
        let rules = post_policy::UploadRules {
            bucket: &self.bucket,
            key,
            content_type,
            tagging: &tagging_xml(UPLOAD_PENDING),
            expires_at: expires_at.datetime(),
            now: OffsetDateTime::now_utc(),
            region: &self.region,
        };
        let signing = post_policy::SigningCredentials {
            access_key_id: credentials.access_key_id(),
            secret_access_key: credentials.secret_access_key(),
            session_token: credentials.session_token(),
        };
        Ok(UploadForm {
            method: "POST".into(),
            url: self.upload_url.clone(),
            fields: post_policy::signed_fields(&rules, &signing),
            expires_at,
        })
    }

    async fn head(&self, key: &str) -> Result<Option<StoredObject>, InfraError> {
        match self.client.head_object().bucket(&self.bucket).key(key).send().await {
            Ok(head) => Ok(Some(StoredObject {
                size: head.content_length().unwrap_or(0).max(0) as u64,
                etag: head.e_tag().unwrap_or_default().to_string(),
            })),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found()) => Ok(None),
            // A HEAD's error has no body, so no code to classify by: a bare 5xx is S3 failing.
            Err(e) if e.raw_response().is_some_and(|r| r.status().is_server_error()) => {
                Err(InfraError::Unavailable("S3", Box::new(e)))
            }
            Err(e) => Err(classify("S3", "HeadObject", e)),
        }
    }

    async fn first_bytes(&self, key: &str, count: u64, version: Option<&str>) -> Result<Option<Vec<u8>>, InfraError> {
        let read = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .range(format!("bytes=0-{}", count.saturating_sub(1)))
            .set_if_match(version.map(str::to_string))
            .send()
            .await;
        let object = match read {
            Ok(object) => object,
            Err(e) if version.is_some() && replaced(e.code(), e.raw_response().map(|r| r.status().as_u16())) => {
                return Ok(None);
            }
            Err(e) => return Err(classify("S3", "GetObject", e)),
        };
        let bytes =
            object.body.collect().await.map_err(|e| InfraError::unexpected("reading the uploaded document", e))?;
        let mut bytes = bytes.to_vec();
        bytes.truncate(count as usize);
        Ok(Some(bytes))
    }

    async fn promote(&self, upload_key: &str, version: &str, key: &str) -> Result<bool, InfraError> {
        let copied = self.copy_object(upload_key, key, UPLOAD_ACCEPTED).copy_source_if_match(version).send().await;
        match copied {
            Ok(_) => {}
            Err(e) if replaced(e.code(), e.raw_response().map(|r| r.status().as_u16())) => return Ok(false),
            Err(e) => return Err(classify("S3", "CopyObject", e)),
        }
        Ok(true)
    }

    async fn schedule_deletion(&self, key: &str, content_type: DocumentType) -> Result<(), InfraError> {
        // A copy onto itself must change the metadata; the new copy's age starts now.
        self.copy_object(key, key, UPLOAD_DECIDED)
            .metadata_directive(MetadataDirective::Replace)
            .content_type(content_type.mime())
            .send()
            .await
            .map_err(|e| classify("S3", "CopyObject", e))?;
        Ok(())
    }

    async fn download_url(
        &self,
        key: &str,
        content_type: DocumentType,
        file_name: &str,
        validity: Duration,
    ) -> Result<String, InfraError> {
        let presigning = PresigningConfig::expires_in(validity)
            .map_err(|e| InfraError::unexpected("presigning configuration", e))?;
        let request = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .response_content_type(content_type.mime())
            .response_content_disposition(format!("attachment; filename=\"{file_name}\""))
            .presigned(presigning)
            .await
            .map_err(|e| classify("S3", "GetObject (presign)", e))?;
        Ok(request.uri().to_string())
    }

    async fn delete(&self, key: &str) -> Result<(), InfraError> {
        match self.client.delete_object().bucket(&self.bucket).key(key).send().await {
            Ok(_) => Ok(()),
            Err(e) if e.code() == Some("NoSuchKey") => Ok(()),
            Err(e) => Err(classify("S3", "DeleteObject", e)),
        }
    }
}
