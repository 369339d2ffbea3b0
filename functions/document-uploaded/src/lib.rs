//! The S3 `ObjectCreated` trigger: runs the acceptance check on every uploaded document, the same
//! idempotent check as `POST /requests/{id}/document`.

use accreditation::{
    http::error_chain,
    services::acceptance::{AcceptanceError, DocumentAcceptance},
};
use aws_lambda_events::s3::S3Event;
use lambda_runtime::{Error, LambdaEvent};
use percent_encoding::percent_decode_str;
use tracing::Instrument;

/// Handles one S3 event. Refused documents (deleted by the check) and objects of no request are
/// settled outcomes, not errors; only infrastructure failures fail the invocation, so that Lambda
/// retries it.
pub async fn handler(service: &DocumentAcceptance, event: LambdaEvent<S3Event>) -> Result<(), Error> {
    for record in event.payload.records {
        let Some(key) = record.s3.object.key.as_deref().map(decode_key) else {
            continue;
        };
        check(service, &key).instrument(tracing::info_span!("document_uploaded", %key)).await?;
    }
    Ok(())
}

/// The acceptance check of one uploaded object, logged in the caller's span.
async fn check(service: &DocumentAcceptance, key: &str) -> Result<(), Error> {
    match service.uploaded(key).await {
        Ok(status) => tracing::info!(%status, "document checked"),
        Err(AcceptanceError::Infra(error)) => {
            tracing::error!(error = %error_chain(&error), "acceptance check failed; Lambda will retry");
            return Err(Box::new(error));
        }
        Err(outcome) => tracing::info!(outcome = %outcome, "document not accepted"),
    }
    Ok(())
}

/// S3 event keys are URL-encoded, with `+` for spaces.
pub fn decode_key(key: &str) -> String {
    percent_decode_str(&key.replace('+', " ")).decode_utf8_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_url_decoded() {
        assert_eq!(decode_key("documents/abc/0f1e"), "documents/abc/0f1e");
        assert_eq!(decode_key("a+b%2Fc%3D"), "a b/c=");
    }
}
