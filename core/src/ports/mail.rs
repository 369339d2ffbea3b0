//! Sending rendered emails.

use async_trait::async_trait;

use super::InfraError;
use crate::domain::{Language, RequestId};

/// A file attached to an email.
#[derive(Clone, PartialEq, Eq)]
pub struct Attachment {
    /// File name shown to the recipient.
    pub file_name: String,
    /// MIME type.
    pub content_type: String,
    /// The bytes.
    pub content: Vec<u8>,
}

/// A rendered email. Its `Debug` form leaves the content out: credentials travel in it.
#[derive(Clone, PartialEq, Eq)]
pub struct OutgoingEmail {
    /// Recipient address.
    pub to: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text part.
    pub text: String,
    /// HTML part.
    pub html: String,
    /// Language of the content.
    pub language: Language,
    /// Attached files.
    pub attachments: Vec<Attachment>,
    /// The request it concerns: tagged on the message, so a bounce or complaint finds its way back.
    pub request_id: Option<RequestId>,
}

impl std::fmt::Debug for OutgoingEmail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutgoingEmail").field("subject", &self.subject).finish_non_exhaustive()
    }
}

/// Sends email.
#[async_trait]
pub trait Mailer: Send + Sync {
    /// Sends `email`, returning the provider's message id.
    async fn send(&self, email: &OutgoingEmail) -> Result<String, InfraError>;
}
