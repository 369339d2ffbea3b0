//! The shape of the table and bucket: one definition used by the local bootstrap, the tests and
//! the check that `infra/template.yaml` describes the same resources.

/// Partition key attribute.
pub const PK: &str = "PK";
/// Sort key attribute.
pub const SK: &str = "SK";
/// The queue index (operators' work queue; pending emails).
pub const GSI1: &str = "GSI1";
/// Partition key of [`GSI1`].
pub const GSI1PK: &str = "GSI1PK";
/// Sort key of [`GSI1`].
pub const GSI1SK: &str = "GSI1SK";
/// Accounts by email address (a password reset asked for by email).
pub const GSI2: &str = "GSI2";
/// Partition key of [`GSI2`].
pub const GSI2PK: &str = "GSI2PK";
/// Sort key of [`GSI2`].
pub const GSI2SK: &str = "GSI2SK";
/// Epoch-seconds attribute DynamoDB TTL deletes items by.
pub const TTL_ATTRIBUTE: &str = "ttl";

/// A secondary index with string keys and every attribute projected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexSchema {
    /// Index name.
    pub name: &'static str,
    /// Partition key attribute.
    pub hash_key: &'static str,
    /// Sort key attribute.
    pub range_key: &'static str,
}

/// The single table: string keys, on-demand billing, TTL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableSchema {
    /// Partition key attribute.
    pub hash_key: &'static str,
    /// Sort key attribute.
    pub range_key: &'static str,
    /// Global secondary indexes (projection ALL).
    pub indexes: Vec<IndexSchema>,
    /// The TTL attribute.
    pub ttl_attribute: &'static str,
    /// What the table's stream carries (it feeds the mailer new outbox emails).
    pub stream_view_type: &'static str,
}

impl TableSchema {
    /// Every key attribute with its type (all strings), sorted by name.
    pub fn attribute_definitions(&self) -> Vec<(&'static str, &'static str)> {
        let mut names: Vec<&'static str> = [self.hash_key, self.range_key]
            .into_iter()
            .chain(self.indexes.iter().flat_map(|i| [i.hash_key, i.range_key]))
            .collect();
        names.sort_unstable();
        names.dedup();
        names.into_iter().map(|n| (n, "S")).collect()
    }
}

/// The table of requests, locks, audit entries, counters, idempotency records and the outbox.
pub fn table() -> TableSchema {
    TableSchema {
        hash_key: PK,
        range_key: SK,
        indexes: vec![
            IndexSchema { name: GSI1, hash_key: GSI1PK, range_key: GSI1SK },
            IndexSchema { name: GSI2, hash_key: GSI2PK, range_key: GSI2SK },
        ],
        ttl_attribute: TTL_ATTRIBUTE,
        stream_view_type: "NEW_IMAGE",
    }
}

/// The browser upload rule of the document bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorsRule {
    /// Methods a browser may use (the pre-signed POST).
    pub allowed_methods: Vec<&'static str>,
    /// Request headers a browser may send.
    pub allowed_headers: Vec<&'static str>,
    /// Response headers a browser may read.
    pub expose_headers: Vec<&'static str>,
    /// Seconds a browser may cache the preflight answer.
    pub max_age_seconds: i32,
}

/// Lifecycle rule deleting uploads never accepted.
pub const ABANDONED_UPLOADS_RULE: &str = "delete-abandoned-uploads";
/// Lifecycle rule deleting the documents of decided requests.
pub const DECIDED_DOCUMENTS_RULE: &str = "delete-decided-documents";

/// Tag key the lifecycle rule for abandoned uploads looks at.
pub const UPLOAD_STATE_TAG: &str = "upload-state";
/// Tag value of an upload not (yet) accepted: deleted after [`BucketSchema::pending_upload_days`].
pub const UPLOAD_PENDING: &str = "pending";
/// Tag value of an accepted document.
pub const UPLOAD_ACCEPTED: &str = "accepted";
/// Tag value of a document whose request was decided: deleted the configured number of days after
/// the decision (GDPR storage limitation; the decision re-copies it, restarting its age).
pub const UPLOAD_DECIDED: &str = "decided";

/// The document bucket: browser uploads, and abandoned uploads deleted by lifecycle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketSchema {
    /// The CORS rule (allowed origins are configuration).
    pub cors: CorsRule,
    /// Days after which an upload still tagged pending is deleted.
    pub pending_upload_days: i32,
    /// Days a decided request's documents are kept locally (in AWS, the `DocumentRetentionDays` parameter).
    pub decided_retention_days: i32,
}

/// The document bucket's shape.
pub fn bucket() -> BucketSchema {
    BucketSchema {
        cors: CorsRule {
            allowed_methods: vec!["POST"],
            allowed_headers: vec!["*"],
            expose_headers: vec!["ETag"],
            max_age_seconds: 3000,
        },
        pending_upload_days: 1,
        decided_retention_days: 30,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attribute_definitions_cover_every_key_once() {
        assert_eq!(
            table().attribute_definitions(),
            [("GSI1PK", "S"), ("GSI1SK", "S"), ("GSI2PK", "S"), ("GSI2SK", "S"), ("PK", "S"), ("SK", "S")]
        );
    }
}
