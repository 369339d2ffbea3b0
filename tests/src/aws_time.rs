//! How long an invocation waited on AWS, for the route benchmark (`tests/benches/routes.rs`): run a
//! handler inside [`timed`] and every AWS call its SDK clients make (they send through
//! [`crate::aws_calls::RecordingClient`]) is noted with its operation and the instants it was in
//! flight, from the connector's call to the last byte of the response body. The connector's future
//! is awaited in the handler's own task, where the scope is visible.

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use aws_sdk_s3::primitives::{ByteStream, SdkBody};
use aws_smithy_runtime_api::client::{http::HttpConnectorFuture, result::ConnectorError};

/// The calls noted in one [`timed`] scope.
type Calls = Arc<Mutex<Vec<AwsCall>>>;

tokio::task_local! {
    static CALLS: Calls;
}

/// One AWS call of an invocation.
#[derive(Debug, Clone)]
pub struct AwsCall {
    /// Service and operation, e.g. `dynamodb:GetItem`, `dynamodb:Query GSI1`, `s3:PutObject`.
    pub operation: String,
    /// When the connector was called.
    pub started: Instant,
    /// When the response body had been read (or the call failed).
    pub ended: Instant,
}

/// What one invocation took.
#[derive(Debug, Clone)]
pub struct Timing {
    /// The whole future, start to end.
    pub elapsed: Duration,
    /// The wall time during which at least one AWS call was in flight (concurrent calls counted once).
    pub aws: Duration,
    /// Its AWS calls, in the order they ended.
    pub calls: Vec<AwsCall>,
}

impl Timing {
    /// The time the invocation spent outside AWS calls: its own code (and the SDK's, signing and
    /// parsing included) and any other I/O.
    pub fn own(&self) -> Duration {
        self.elapsed.saturating_sub(self.aws)
    }
}

/// Runs `work`, timing it and the AWS calls it makes.
pub async fn timed<F: Future>(work: F) -> (F::Output, Timing) {
    let calls: Calls = Arc::default();
    let started = Instant::now();
    let output = CALLS.scope(calls.clone(), work).await;
    let ended = Instant::now();
    let calls = std::mem::take(&mut *calls.lock().unwrap_or_else(|poisoned| poisoned.into_inner()));
    let aws = in_flight(&calls, started, ended);
    (output, Timing { elapsed: ended - started, aws, calls })
}

/// True inside a [`timed`] scope (the connector names the operation only then).
pub(crate) fn timing() -> bool {
    CALLS.try_with(|_| ()).is_ok()
}

/// `future`, the connector's answer to a call of `operation`, noting when it was in flight if a
/// [`timed`] scope is active. The response body is read to its end here, so that the call ends
/// with its last byte (the SDK buffers every non-streaming body anyway).
pub(crate) fn noted(operation: String, future: HttpConnectorFuture) -> HttpConnectorFuture {
    let Ok(calls) = CALLS.try_with(Arc::clone) else {
        return future;
    };
    let started = Instant::now();
    HttpConnectorFuture::new(async move {
        let result = match future.await {
            Ok(mut response) => match ByteStream::new(response.take_body()).collect().await {
                Ok(bytes) => {
                    *response.body_mut() = SdkBody::from(bytes.into_bytes());
                    Ok(response)
                }
                Err(e) => Err(ConnectorError::io(e.into())),
            },
            Err(e) => Err(e),
        };
        let call = AwsCall { operation, started, ended: Instant::now() };
        calls.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).push(call);
        result
    })
}

/// The length of the union of the calls' intervals within `[started, ended]`.
fn in_flight(calls: &[AwsCall], started: Instant, ended: Instant) -> Duration {
    let mut spans: Vec<(Instant, Instant)> =
        calls.iter().map(|c| (c.started.clamp(started, ended), c.ended.clamp(started, ended))).collect();
    spans.sort();
    let mut total = Duration::ZERO;
    let mut current: Option<(Instant, Instant)> = None;
    for (from, to) in spans {
        current = match current {
            Some((a, b)) if from <= b => Some((a, b.max(to))),
            Some((a, b)) => {
                total += b - a;
                Some((from, to))
            }
            None => Some((from, to)),
        };
    }
    total + current.map_or(Duration::ZERO, |(a, b)| b - a)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(base: Instant, from: u64, to: u64) -> AwsCall {
        let at = |ms| base + Duration::from_millis(ms);
        AwsCall { operation: "dynamodb:GetItem".into(), started: at(from), ended: at(to) }
    }

    #[test]
    fn overlapping_calls_count_once_and_gaps_not_at_all() {
        let base = Instant::now();
        let calls = [call(base, 10, 20), call(base, 15, 30), call(base, 40, 50), call(base, 42, 45)];
        let end = base + Duration::from_millis(100);
        assert_eq!(in_flight(&calls, base, end), Duration::from_millis(30));
        assert_eq!(in_flight(&[], base, end), Duration::ZERO);
    }
}
