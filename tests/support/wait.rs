//! The bounded wait every test uses, so a hang fails fast instead of
//! stalling the suite.

// Every test binary includes this module and uses only part of it.
#![allow(dead_code)]

use std::future::IntoFuture;
use std::time::Duration;

/// Waits for `fut`, at most 30 seconds.
pub(crate) async fn within<F: IntoFuture>(fut: F) -> F::Output {
    within_for(Duration::from_secs(30), fut).await
}

/// Waits for `fut`, at most 5 minutes: for tests on a paused clock, where
/// one wait may cover minutes of virtual time (timeouts, backoff, ack
/// deadlines) that pass at once.
pub(crate) async fn within_long<F: IntoFuture>(fut: F) -> F::Output {
    within_for(Duration::from_secs(300), fut).await
}

async fn within_for<F: IntoFuture>(limit: Duration, fut: F) -> F::Output {
    tokio::time::timeout(limit, fut).await.expect("timed out: the test hung")
}
