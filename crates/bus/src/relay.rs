//! The outbox relay: one active instance per service database (a PostgreSQL advisory lock elects it), woken by
//! NOTIFY at commit or by a short poll, publishing in outbox order with confirms, backing off while the broker is
//! away and draining the backlog when it returns.

use crate::BusSettings;
use crate::publisher::Publisher;
use diesel_async::AsyncPgConnection;
use futures_util::{FutureExt, StreamExt};
use persistence::{DbError, outbox};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// What the relay knows of its own health, for readiness reports.
#[derive(Debug, Default)]
pub struct RelayStatus {
    broker_connected: AtomicBool,
    leader: AtomicBool,
}

impl RelayStatus {
    pub fn broker_connected(&self) -> bool {
        self.broker_connected.load(Ordering::Relaxed)
    }
    /// Whether this process holds the relay lock (exactly one replica does).
    pub fn leader(&self) -> bool {
        self.leader.load(Ordering::Relaxed)
    }
    fn set_connected(&self, value: bool) {
        self.broker_connected.store(value, Ordering::Relaxed);
        metrics::gauge!("bus_connected").set(if value { 1.0 } else { 0.0 });
    }
}

/// Advisory-lock key the active relay holds for as long as its connection lives.
const RELAY_LOCK_KEY: i64 = 0x7265_6c61_795f_6c6b;

pub struct Relay {
    database_url: String,
    settings: BusSettings,
    service: String,
    status: Arc<RelayStatus>,
}

impl Relay {
    pub fn new(database_url: &str, settings: BusSettings, service: &str) -> Self {
        Self {
            database_url: database_url.to_owned(),
            settings,
            service: service.to_owned(),
            status: Arc::new(RelayStatus::default()),
        }
    }

    pub fn status(&self) -> Arc<RelayStatus> {
        Arc::clone(&self.status)
    }

    /// Runs until `shutdown` is cancelled; finishes the batch in hand before returning.
    pub async fn run(self, shutdown: CancellationToken) {
        let mut backoff = Backoff::new(self.settings.max_backoff());
        while !shutdown.is_cancelled() {
            let outcome = self.lead_while_elected(&shutdown).await;
            self.status.leader.store(false, Ordering::Relaxed);
            match outcome {
                Ok(Elected::Yes) => backoff.reset(),
                Ok(Elected::No) => {
                    // Another replica relays; check again later in case it dies.
                    sleep_or_cancel(self.settings.poll_interval() * 5, &shutdown).await;
                    continue;
                }
                Err(err) => {
                    tracing::warn!(error = %err, "outbox relay lost its database connection")
                }
            }
            sleep_or_cancel(backoff.next(), &shutdown).await;
        }
        tracing::info!("outbox relay stopped");
    }

    async fn lead_while_elected(&self, shutdown: &CancellationToken) -> Result<Elected, DbError> {
        let mut db = persistence::db::connect(&self.database_url, Duration::from_secs(10)).await?;
        if !persistence::db::try_session_lock(&mut db, RELAY_LOCK_KEY).await? {
            return Ok(Elected::No);
        }
        outbox::listen(&mut db).await?;
        self.status.leader.store(true, Ordering::Relaxed);
        tracing::info!(service = %self.service, "outbox relay elected");
        self.relay(&mut db, shutdown).await?;
        Ok(Elected::Yes)
    }

    async fn relay(
        &self,
        db: &mut AsyncPgConnection,
        shutdown: &CancellationToken,
    ) -> Result<(), DbError> {
        let mut publisher: Option<Publisher> = None;
        let mut broker_backoff = Backoff::new(self.settings.max_backoff());
        let mut last_purge = tokio::time::Instant::now();
        let mut last_report: Option<tokio::time::Instant> = None;
        loop {
            if shutdown.is_cancelled() {
                break;
            }
            drain_notifications(db);
            // A gauge needs no fresher value than once a second; under load this keeps a count(*) off every batch.
            if last_report.is_none_or(|at| at.elapsed() >= Duration::from_secs(1)) {
                self.report_backlog(db).await?;
                last_report = Some(tokio::time::Instant::now());
            }
            let Some(current) = publisher.as_ref() else {
                match Publisher::connect(&self.settings, &format!("{}-relay", self.service)).await {
                    Ok(connected) => {
                        tracing::info!("outbox relay connected to the broker");
                        self.status.set_connected(true);
                        broker_backoff.reset();
                        publisher = Some(connected);
                    }
                    Err(err) => {
                        self.status.set_connected(false);
                        let pause = broker_backoff.next();
                        tracing::warn!(error = %err, retry_in_ms = pause.as_millis() as u64, "broker unreachable; events wait in the outbox");
                        sleep_or_cancel(pause, shutdown).await;
                    }
                }
                continue;
            };
            let batch = outbox::pending(db, self.settings.batch_size).await?;
            if batch.is_empty() {
                if last_purge.elapsed() > Duration::from_secs(600) {
                    self.purge(db).await?;
                    last_purge = tokio::time::Instant::now();
                }
                self.wait_for_work(db, shutdown).await;
                continue;
            }
            let (acked, failure) = current.publish(&batch).await;
            if !acked.is_empty() {
                outbox::mark_delivered(db, &acked).await?;
                metrics::counter!("outbox_delivered_total").increment(acked.len() as u64);
            }
            if let Some(err) = failure {
                tracing::warn!(error = %err, "publishing failed; reconnecting");
                self.status.set_connected(false);
                if let Some(broken) = publisher.take() {
                    broken.close().await;
                }
            }
        }
        if let Some(open) = publisher.take() {
            open.close().await;
        }
        self.status.set_connected(false);
        Ok(())
    }

    async fn wait_for_work(&self, db: &mut AsyncPgConnection, shutdown: &CancellationToken) {
        let mut notifications = std::pin::pin!(db.notifications_stream());
        tokio::select! {
            _ = notifications.next() => {}
            _ = tokio::time::sleep(self.settings.poll_interval()) => {}
            _ = shutdown.cancelled() => {}
        }
    }

    async fn report_backlog(&self, db: &mut AsyncPgConnection) -> Result<(), DbError> {
        let (count, oldest) = outbox::backlog(db).await?;
        metrics::gauge!("outbox_backlog").set(count as f64);
        let age = oldest
            .map(|at| (chrono::Utc::now() - at).num_milliseconds() as f64 / 1000.0)
            .unwrap_or(0.0);
        metrics::gauge!("outbox_oldest_pending_age_seconds").set(age.max(0.0));
        Ok(())
    }

    async fn purge(&self, db: &mut AsyncPgConnection) -> Result<(), DbError> {
        let before = chrono::Utc::now() - chrono::Duration::hours(self.settings.retention_hours);
        let purged = outbox::purge_delivered(db, before).await?;
        if purged > 0 {
            tracing::info!(purged, "purged delivered outbox rows");
        }
        Ok(())
    }
}

enum Elected {
    Yes,
    No,
}

/// Discards queued wake-ups: the caller is about to read the table anyway.
fn drain_notifications(db: &mut AsyncPgConnection) {
    let mut notifications = std::pin::pin!(db.notifications_stream());
    while let Some(Some(_)) = notifications.next().now_or_never() {}
}

async fn sleep_or_cancel(pause: Duration, shutdown: &CancellationToken) {
    tokio::select! {
        _ = tokio::time::sleep(pause) => {}
        _ = shutdown.cancelled() => {}
    }
}

/// Exponential backoff from 100 ms, doubling up to a ceiling.
struct Backoff {
    next: Duration,
    max: Duration,
}

impl Backoff {
    const START: Duration = Duration::from_millis(100);

    fn new(max: Duration) -> Self {
        Self {
            next: Self::START,
            max,
        }
    }
    fn next(&mut self) -> Duration {
        let current = self.next.min(self.max);
        self.next = (self.next * 2).min(self.max);
        current
    }
    fn reset(&mut self) {
        self.next = Self::START;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_its_ceiling_and_resets() {
        let mut backoff = Backoff::new(Duration::from_millis(500));
        let pauses: Vec<_> = (0..5).map(|_| backoff.next().as_millis()).collect();
        assert_eq!(pauses, vec![100, 200, 400, 500, 500]);
        backoff.reset();
        assert_eq!(backoff.next().as_millis(), 100);
    }
}
