//! A new operator's account and its first credentials.

use super::*;

/// Creates an operator account and emails its initial credentials (first login forces a change).
/// Returns what became of the email (the mailer retries it if it could not leave now).
pub async fn create_operator(
    accounts: &dyn AccountStore,
    postman: &Postman,
    clock: &dyn Clock,
    username: Username,
    email: Email,
    language: Language,
) -> Result<Delivery, CreateAccountError> {
    let now = clock.now();
    let display_name = username.to_string();
    let account = Account::pending(username.clone(), Role::Operator, email, display_name, language, None, now);
    let credentials = CredentialIssuer::owed(&username, now);
    accounts.create_account(&account, &credentials).await?;
    tracing::info!(%username, "operator account created");
    Ok(postman.deliver(&credentials.id).await.unwrap_or_else(|error| {
        tracing::error!(error = %error, "credentials email not sent yet; the mailer will retry");
        Delivery::Retrying
    }))
}
