//! Implementations of the ports on AWS (DynamoDB, S3, SES, SSM, KMS) and reCAPTCHA.

pub mod bootstrap;
pub mod captcha;
pub mod dynamodb;
pub mod kms;
pub mod post_policy;
pub mod s3;
pub mod ses;
pub mod ssm;

use std::fmt::Debug;

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};

use crate::ports::InfraError;

/// Error codes AWS services use when they throttle.
const THROTTLING_CODES: &[&str] = &[
    "ThrottlingException",
    "Throttling",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "TooManyRequestsException",
    "SlowDown",
];

/// Error codes of AWS's own failures (HTTP 5xx), still failing after the SDK's retries: the
/// service is unavailable for now, not the request wrong.
const SERVER_ERROR_CODES: &[&str] =
    &["InternalServerError", "InternalFailure", "InternalError", "ServiceUnavailable", "ServiceUnavailableException"];

/// Turns an SDK error into an infrastructure error: throttling, unreachable, or unexpected.
pub(crate) fn classify<E, R>(service: &'static str, operation: &str, error: SdkError<E, R>) -> InfraError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: Debug + Send + Sync + 'static,
{
    if error.code().is_some_and(|code| THROTTLING_CODES.contains(&code)) {
        return InfraError::Throttled(service);
    }
    if error.code().is_some_and(|code| SERVER_ERROR_CODES.contains(&code)) {
        return InfraError::Unavailable(service, Box::new(error));
    }
    match error {
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) | SdkError::ResponseError(_) => {
            InfraError::Unavailable(service, Box::new(error))
        }
        other => InfraError::unexpected(format!("{service} {operation} failed"), other),
    }
}
