//! Email through Amazon SES (API v2).

use async_trait::async_trait;
use aws_sdk_sesv2::{
    Client,
    primitives::Blob,
    types::{Body, Content, Destination, EmailContent, Message, RawMessage},
};
use mail_builder::MessageBuilder;

use super::classify;
use crate::ports::{InfraError, Mailer, OutgoingEmail};

/// Sends from one verified identity.
#[derive(Clone)]
pub struct SesMailer {
    client: Client,
    from: String,
}

impl SesMailer {
    /// A mailer sending as `from` (an SES-verified address or domain address).
    pub fn new(client: Client, from: &str) -> Self {
        Self { client, from: from.into() }
    }
}

fn utf8(text: &str) -> Result<Content, InfraError> {
    Content::builder()
        .data(text)
        .charset("UTF-8")
        .build()
        .map_err(|e| InfraError::unexpected("building email content", e))
}

/// A MIME message (mail-builder), for emails with attachments.
fn raw_message(from: &str, email: &OutgoingEmail) -> Result<RawMessage, InfraError> {
    let mut builder = MessageBuilder::new()
        .from(from)
        .to(email.to.as_str())
        .subject(email.subject.as_str())
        .text_body(email.text.as_str())
        .html_body(email.html.as_str());
    for attachment in &email.attachments {
        builder = builder.attachment(
            attachment.content_type.as_str(),
            attachment.file_name.as_str(),
            attachment.content.as_slice(),
        );
    }
    let bytes = builder.write_to_vec().map_err(|e| InfraError::unexpected("building a MIME message", e))?;
    RawMessage::builder().data(Blob::new(bytes)).build().map_err(|e| InfraError::unexpected("raw message", e))
}

#[async_trait]
impl Mailer for SesMailer {
    async fn send(&self, email: &OutgoingEmail) -> Result<String, InfraError> {
        let content = if email.attachments.is_empty() {
            let message = Message::builder()
                .subject(utf8(&email.subject)?)
                .body(Body::builder().text(utf8(&email.text)?).html(utf8(&email.html)?).build())
                .build();
            EmailContent::builder().simple(message).build()
        } else {
            EmailContent::builder().raw(raw_message(&self.from, email)?).build()
        };
        let output = self
            .client
            .send_email()
            .from_email_address(&self.from)
            .destination(Destination::builder().to_addresses(&email.to).build())
            .content(content)
            .send()
            .await
            .map_err(|e| classify("SES", "SendEmail", e))?;
        Ok(output.message_id().unwrap_or_default().to_string())
    }
}
