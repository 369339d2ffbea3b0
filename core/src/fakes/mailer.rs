//! The mail service.

use async_trait::async_trait;

use super::*;

/// The mail service: keeps what it sends.
#[derive(Default)]
pub struct FakeMailer {
    sent: Mutex<Vec<OutgoingEmail>>,
    /// Calls made to fail (`send`).
    pub faults: Faults,
}

impl FakeMailer {
    /// A new mailer, shared.
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Everything sent, oldest first.
    pub fn sent(&self) -> Vec<OutgoingEmail> {
        lock(&self.sent).clone()
    }
}

#[async_trait]
impl Mailer for FakeMailer {
    async fn send(&self, email: &OutgoingEmail) -> Result<String, InfraError> {
        self.faults.check("send")?;
        let mut sent = lock(&self.sent);
        sent.push(email.clone());
        Ok(format!("message-{}", sent.len()))
    }
}
