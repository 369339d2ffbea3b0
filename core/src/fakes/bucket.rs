//! The document bucket.

use async_trait::async_trait;

use super::*;

/// The ETag of `bytes` (S3's is their MD5 for a simple upload; any digest of the bytes will do).
fn etag_of(bytes: &[u8]) -> String {
    format!("\"{}\"", hex::encode(sha2::Sha256::digest(bytes)))
}

/// The document bucket.
#[derive(Default)]
pub struct FakeBucket {
    objects: Mutex<HashMap<String, Vec<u8>>>,
    /// An upload made right after the next read of the first bytes: `(key, bytes)` (a second
    /// upload racing the acceptance check).
    upload_after_read: Mutex<Option<(String, Vec<u8>)>>,
    /// Calls made to fail.
    pub faults: Faults,
}

impl FakeBucket {
    /// A new empty bucket, shared.
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Uploads `bytes` at `key`, as a browser with the upload form would.
    pub fn upload(&self, key: &str, bytes: &[u8]) {
        lock(&self.objects).insert(key.to_string(), bytes.to_vec());
    }

    /// Uploads `bytes` at `key` right after the next read of an object's first bytes.
    pub fn upload_after_next_read(&self, key: &str, bytes: &[u8]) {
        *lock(&self.upload_after_read) = Some((key.to_string(), bytes.to_vec()));
    }

    /// The object at `key`, if any.
    pub fn object(&self, key: &str) -> Option<Vec<u8>> {
        lock(&self.objects).get(key).cloned()
    }

    /// Every key, sorted.
    pub fn keys(&self) -> Vec<String> {
        let mut keys: Vec<_> = lock(&self.objects).keys().cloned().collect();
        keys.sort();
        keys
    }
}

#[async_trait]
impl DocumentStore for FakeBucket {
    async fn upload_form(
        &self,
        key: &str,
        content_type: DocumentType,
        expires_at: Timestamp,
    ) -> Result<UploadForm, InfraError> {
        self.faults.check("upload_form")?;
        let fields =
            BTreeMap::from([("key".to_string(), key.to_string()), ("Content-Type".into(), content_type.to_string())]);
        Ok(UploadForm { method: "POST".into(), url: "https://bucket.example".into(), fields, expires_at })
    }

    async fn head(&self, key: &str) -> Result<Option<StoredObject>, InfraError> {
        self.faults.check("head")?;
        Ok(self.object(key).map(|o| StoredObject { size: o.len() as u64, etag: etag_of(&o) }))
    }

    async fn first_bytes(&self, key: &str, count: u64, version: Option<&str>) -> Result<Option<Vec<u8>>, InfraError> {
        self.faults.check("first_bytes")?;
        let read = self.object(key).filter(|o| version.is_none_or(|version| etag_of(o) == version));
        if let Some((key, bytes)) = lock(&self.upload_after_read).take() {
            self.upload(&key, &bytes);
        }
        Ok(read.map(|mut bytes| {
            bytes.truncate(usize::try_from(count).unwrap_or(usize::MAX));
            bytes
        }))
    }

    async fn promote(&self, upload_key: &str, version: &str, key: &str) -> Result<bool, InfraError> {
        self.faults.check("promote")?;
        let mut objects = lock(&self.objects);
        match objects.get(upload_key) {
            Some(bytes) if etag_of(bytes) == version => {}
            _ => return Ok(false),
        }
        if let Some(bytes) = objects.get(upload_key).cloned() {
            objects.insert(key.to_string(), bytes);
        }
        Ok(true)
    }

    async fn download_url(
        &self,
        key: &str,
        _content_type: DocumentType,
        file_name: &str,
        _validity: std::time::Duration,
    ) -> Result<String, InfraError> {
        self.faults.check("download_url")?;
        Ok(format!("https://bucket.example/{key}?name={file_name}"))
    }

    async fn schedule_deletion(&self, _key: &str, _content_type: DocumentType) -> Result<(), InfraError> {
        self.faults.check("schedule_deletion")
    }

    async fn delete(&self, key: &str) -> Result<(), InfraError> {
        self.faults.check("delete")?;
        lock(&self.objects).remove(key);
        Ok(())
    }
}
