//! Secrets from SSM Parameter Store, read once at cold start.

use aws_sdk_ssm::Client;

use super::classify;
use crate::ports::InfraError;

/// The decrypted value of the SecureString parameter `name`.
pub async fn secure_parameter(client: &Client, name: &str) -> Result<String, InfraError> {
    let output = client
        .get_parameter()
        .name(name)
        .with_decryption(true)
        .send()
        .await
        .map_err(|e| classify("SSM", &format!("GetParameter {name}"), e))?;
    output
        .parameter()
        .and_then(|p| p.value())
        .map(str::to_string)
        .ok_or_else(|| InfraError::Unexpected(format!("SSM parameter {name} has no value"), None))
}
