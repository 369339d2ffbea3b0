//! Email through Amazon SES (API v2).

use async_trait::async_trait;
use aws_sdk_sesv2::{
    Client,
    primitives::Blob,
    types::{Body, Content, Destination, EmailContent, Message, MessageTag, RawMessage},
};
use mail_builder::MessageBuilder;

use super::classify;
use crate::ports::{InfraError, Mailer, OutgoingEmail};

/// The message tag naming the request an email concerns (read back from bounce notifications).
pub const REQUEST_TAG: &str = "request_id";

/// Sends from one verified identity, through a configuration set when one is given.
#[derive(Clone)]
pub struct SesMailer {
    client: Client,
    from: String,
    configuration_set: Option<String>,
}

impl SesMailer {
    /// A mailer sending as `from` (an SES-verified address or domain address); the
    /// `configuration_set` publishes bounces and complaints.
    pub fn new(client: Client, from: &str, configuration_set: Option<String>) -> Self {
        Self { client, from: from.into(), configuration_set }
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
        let tags = match email.request_id {
            Some(id) => vec![
                MessageTag::builder()
                    .name(REQUEST_TAG)
                    .value(id.to_string())
                    .build()
                    .map_err(|e| InfraError::unexpected("building a message tag", e))?,
            ],
            None => vec![],
        };
        let output = self
            .client
            .send_email()
            .from_email_address(&self.from)
            .destination(Destination::builder().to_addresses(&email.to).build())
            .content(content)
            .set_email_tags(Some(tags).filter(|t| !t.is_empty()))
            .set_configuration_set_name(self.configuration_set.clone())
            .send()
            .await
            .map_err(|e| classify("SES", "SendEmail", e))?;
        Ok(output.message_id().unwrap_or_default().to_string())
    }
}
