//! Email through Amazon SES (API v2).

use async_trait::async_trait;
use aws_sdk_sesv2::{
    Client,
    types::{Body, Content, Destination, EmailContent, Message},
};

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

#[async_trait]
impl Mailer for SesMailer {
    async fn send(&self, email: &OutgoingEmail) -> Result<String, InfraError> {
        let message = Message::builder()
            .subject(utf8(&email.subject)?)
            .body(Body::builder().text(utf8(&email.text)?).html(utf8(&email.html)?).build())
            .build();
        let output = self
            .client
            .send_email()
            .from_email_address(&self.from)
            .destination(Destination::builder().to_addresses(&email.to).build())
            .content(EmailContent::builder().simple(message).build())
            .send()
            .await
            .map_err(|e| classify("SES", "SendEmail", e))?;
        Ok(output.message_id().unwrap_or_default().to_string())
    }
}
