//! The process-wide Prometheus recorder behind the `metrics` facade.

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

const LATENCY_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Statements per request: a handful is normal; a tail past 16 is an N+1 somewhere.
const STATEMENT_BUCKETS: &[f64] = &[1.0, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 16.0, 32.0, 64.0];

/// Installs the recorder on first use and returns its handle (`None` if another recorder was installed first).
pub fn handle() -> Option<PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Full("http_request_duration_seconds".to_owned()),
                    LATENCY_BUCKETS,
                )
                .ok()?
                .set_buckets_for_metric(
                    Matcher::Full("http_request_db_statements".to_owned()),
                    STATEMENT_BUCKETS,
                )
                .ok()?
                .install_recorder()
                .ok()
        })
        .clone()
}

/// How often histogram samples are folded into their buckets (the crate's own default for its upkeep task).
const UPKEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// Folds the recorded histogram samples into their buckets every [`UPKEEP_EVERY`] until `stop`. The recorder
/// keeps every sample until upkeep runs, and without this task upkeep ran only when `/metrics` was scraped: a
/// service nobody scraped grew by two samples per request, without bound (`install_recorder` leaves the task
/// to its caller).
pub async fn upkeep(handle: PrometheusHandle, stop: tokio_util::sync::CancellationToken) {
    let mut every = tokio::time::interval(UPKEEP_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = every.tick() => handle.run_upkeep(),
            _ = stop.cancelled() => return,
        }
    }
}
