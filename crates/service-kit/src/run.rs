//! Running a service: start-up retries, the relay beside the HTTP server, and a graceful stop.

use std::future::Future;
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// Retries `attempt` with backoff (0.5 s doubling to 8 s) until it succeeds or `budget` is spent, so a service
/// started before its database waits for it instead of crashing.
pub async fn with_retry<T, E, F, Fut>(what: &str, budget: Duration, mut attempt: F) -> Result<T, E>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
    E: std::fmt::Display,
{
    let deadline = tokio::time::Instant::now() + budget;
    let mut pause = Duration::from_millis(500);
    loop {
        match attempt().await {
            Ok(value) => return Ok(value),
            Err(err) if tokio::time::Instant::now() + pause < deadline => {
                tracing::warn!(error = %err, retry_in_ms = pause.as_millis() as u64, "{what} not available yet");
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(8));
            }
            Err(err) => return Err(err),
        }
    }
}

/// Background work (relay, workers) that must stop after the HTTP server has drained.
pub struct Background {
    token: CancellationToken,
    tasks: Vec<JoinHandle<()>>,
}

impl Default for Background {
    fn default() -> Self {
        Self::new()
    }
}

impl Background {
    pub fn new() -> Self {
        Self {
            token: CancellationToken::new(),
            tasks: Vec::new(),
        }
    }

    pub fn token(&self) -> CancellationToken {
        self.token.clone()
    }

    pub fn spawn(&mut self, task: impl Future<Output = ()> + Send + 'static) {
        self.tasks.push(tokio::spawn(task));
    }

    /// Asks every task to stop after its current batch and waits up to `bound` for them.
    pub async fn stop(self, bound: Duration) {
        self.token.cancel();
        let all = futures_util::future::join_all(self.tasks);
        if tokio::time::timeout(bound, all).await.is_err() {
            tracing::warn!(?bound, "background tasks did not stop in time");
        }
    }
}
