//! The outbox relay: one active instance per service database (a PostgreSQL session advisory lock elects it),
//! publishing committed events in outbox order with confirms, backing off while the broker is away and draining
//! the backlog when it returns.
//!
//! Wake-up: the process that committed wakes its own relay (`persistence::outbox::wake_after_commit`). A
//! replica that does not lead forwards its wake-ups to the leader as a `NOTIFY` sent after the commit from a
//! session of its own, at most one per [`MIN_POLL`] ([`forward_wakes`]), and the leader listens on its lock
//! session. There is no `NOTIFY` in any writing transaction, so no lock shared by the whole cluster is held
//! through a change's commit. An adaptive poll, short while events flow and relaxing to `poll_interval` when
//! the outbox is quiet, is the safety net for a notification lost with its session; an idle relay costs one
//! query per `poll_interval`.
//!
//! Batching: a batch is sent whole before its confirms are awaited, and while they come the next batches are
//! read and sent, up to `bus.in_flight_batches`; batches are marked delivered strictly in order. While events
//! flow, reads are at least [`LINGER`] apart, so a burst of commits is one read, one batch of publishes and one
//! mark rather than one of each per commit (a full batch is read on at once).
//!
//! Never stalling: every broker call is time-bounded (publish and confirm by `confirm_timeout`, connect by
//! `connect_timeout`, close by `CLOSE_BOUND`), so a half-open link is abandoned within one confirm timeout; the
//! reconnect wait starts again from its minimum after every successful reconnect and each wait is logged; a
//! standby blocks on the lock and takes over the moment the leader's session ends; every batch is read on the
//! lock-holding session, so a leader whose session died fails that read and stops before its next batch
//! (fencing); delivered rows are purged on a timer whatever the load; and [`RelayStatus::stuck`] tells
//! readiness and `/metrics` when work waits but nothing has been confirmed for a while.

use crate::BusSettings;
use crate::publisher::{Confirmed, Publisher};
use diesel_async::AsyncPgConnection;
use futures_util::{FutureExt, StreamExt};
use persistence::{DbError, outbox};
use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// While events flow, the shortest time between two reads of the outbox: commits arriving meanwhile go out in one
/// batch. It bounds what a burst adds to an event's commit-to-publish lag; a full batch is read on at once.
const LINGER: Duration = Duration::from_millis(5);

/// A batch sent on the current channel, its confirms awaited in order.
struct InFlight {
    seqs: Vec<i64>,
    confirms: futures_util::future::BoxFuture<'static, Confirmed>,
}

/// How long closing a broken connection may take before it is abandoned.
const CLOSE_BOUND: Duration = Duration::from_secs(1);
/// The shortest poll, used while events flow.
const MIN_POLL: Duration = Duration::from_millis(20);
/// How often delivered rows past retention are purged, and how many per statement.
const PURGE_EVERY: Duration = Duration::from_secs(60);
const PURGE_CHUNK: i64 = 5_000;
/// How long work may wait with nothing confirmed before the relay reports itself stuck.
const STUCK_AFTER: Duration = Duration::from_secs(30);

/// What the relay knows of its own health, for readiness reports and metrics.
#[derive(Debug, Default)]
pub struct RelayStatus {
    broker_connected: AtomicBool,
    leader: AtomicBool,
    /// Since when events have waited with none confirmed (`None` while idle or making progress).
    waiting_since: Mutex<Option<Instant>>,
}

impl RelayStatus {
    pub fn broker_connected(&self) -> bool {
        self.broker_connected.load(Ordering::Relaxed)
    }
    /// Whether this process holds the relay lock (exactly one replica does).
    pub fn leader(&self) -> bool {
        self.leader.load(Ordering::Relaxed)
    }
    /// Whether this leader has had events waiting for longer than [`STUCK_AFTER`] without confirming any.
    pub fn stuck(&self) -> bool {
        self.leader()
            && self
                .waiting_since
                .lock()
                .ok()
                .and_then(|since| *since)
                .is_some_and(|since| since.elapsed() >= STUCK_AFTER)
    }
    fn set_connected(&self, value: bool) {
        self.broker_connected.store(value, Ordering::Relaxed);
        metrics::gauge!("bus_connected").set(if value { 1.0 } else { 0.0 });
    }
    fn set_leader(&self, value: bool) {
        self.leader.store(value, Ordering::Relaxed);
        metrics::gauge!("outbox_relay_leader").set(if value { 1.0 } else { 0.0 });
        if !value {
            self.set_waiting(false);
        }
    }
    /// Records whether events wait: the first `true` starts the clock, `false` (progress or idle) stops it.
    fn set_waiting(&self, waiting: bool) {
        if let Ok(mut since) = self.waiting_since.lock() {
            match (waiting, *since) {
                (true, None) => *since = Some(Instant::now()),
                (false, _) => *since = None,
                (true, Some(_)) => {}
            }
        }
        metrics::gauge!("outbox_relay_stuck").set(if self.stuck() { 1.0 } else { 0.0 });
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

/// How one tenure (connect, elect, relay) ended.
enum Tenure {
    /// Shutdown was asked for.
    Stopped,
    /// The database session was lost; `elected` says whether it had connected and led first.
    Lost { elected: bool, error: DbError },
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
        let forwarder = tokio::spawn(forward_wakes(
            self.database_url.clone(),
            Arc::clone(&self.status),
            shutdown.clone(),
        ));
        let mut backoff = Backoff::new(self.settings.max_backoff());
        let mut losses: u64 = 0;
        while !shutdown.is_cancelled() {
            match self.tenure(&shutdown).await {
                Tenure::Stopped => break,
                Tenure::Lost { elected, error } => {
                    self.status.set_leader(false);
                    self.status.set_connected(false);
                    // A session that worked was a successful reconnect: the next wait starts from the minimum.
                    if elected {
                        backoff.reset();
                    }
                    losses += 1;
                    let wait = backoff.next();
                    metrics::counter!("outbox_relay_reconnects_total").increment(1);
                    tracing::warn!(error = %error, losses, wait_ms = millis(wait), "outbox relay lost its database session; reconnecting");
                    sleep_or_cancel(wait, &shutdown).await;
                }
            }
        }
        self.status.set_leader(false);
        let _ = forwarder.await;
        tracing::info!("outbox relay stopped");
    }

    /// Connects, waits for the relay lock (a standby blocks here and takes over as soon as the leader's session
    /// ends), then relays until the session is lost or shutdown is asked for.
    async fn tenure(&self, shutdown: &CancellationToken) -> Tenure {
        let lost = |elected, error| Tenure::Lost { elected, error };
        let mut db =
            match persistence::db::connect(&self.database_url, Duration::from_secs(10)).await {
                Ok(db) => db,
                Err(error) => return lost(false, error),
            };
        tokio::select! {
            locked = persistence::db::session_lock(&mut db, RELAY_LOCK_KEY) => {
                if let Err(error) = locked {
                    return lost(false, error);
                }
            }
            _ = shutdown.cancelled() => return Tenure::Stopped,
        }
        self.status.set_leader(true);
        tracing::info!(service = %self.service, "outbox relay elected");
        match self.relay(&mut db, shutdown).await {
            Ok(()) => Tenure::Stopped,
            Err(error) => lost(true, error),
        }
    }

    async fn relay(
        &self,
        db: &mut AsyncPgConnection,
        shutdown: &CancellationToken,
    ) -> Result<(), DbError> {
        outbox::prepare_relay_session(db).await?;
        // Other replicas' wake-ups arrive on this session from now on, buffered until the relay reads them.
        outbox::listen(db).await?;
        let mut publisher: Option<Publisher> = None;
        let mut broker_backoff = Backoff::new(self.settings.max_backoff());
        let mut poll = AdaptivePoll::new(MIN_POLL, self.settings.poll_interval());
        // Purge soon after election, then on a timer: never only when the outbox happens to be empty.
        let mut next_purge = Instant::now() + Duration::from_secs(5);
        let mut last_report: Option<Instant> = None;
        let batch_size = usize::try_from(self.settings.batch_size).unwrap_or(usize::MAX);
        // Batches sent whose confirms may still come (`bus.in_flight_batches`): the next batch is read and sent
        // while earlier ones' confirms travel, so a confirm's round trip is not on the path of every later event.
        let window = usize::try_from(self.settings.in_flight_batches.max(1)).unwrap_or(1);
        let mut in_flight: VecDeque<InFlight> = VecDeque::with_capacity(window);
        // Sending stopped short on the current channel: settle what is in flight, send nothing more on it.
        let mut broken = false;
        // Whether the outbox may hold unsent rows: a wake-up, a full batch (a backlog), the safety poll, a start.
        let mut stale = true;
        let mut seen = outbox::wake_generation();
        // While events flow, a read waits until LINGER after the one before, so a burst of commits goes out as
        // one batch instead of one read, one publish and one mark per commit.
        let mut not_before: Option<Instant> = None;
        loop {
            if shutdown.is_cancelled() {
                break;
            }
            if Instant::now() >= next_purge {
                self.purge(db).await?;
                next_purge = Instant::now() + PURGE_EVERY;
            }
            let Some(current) = publisher.as_ref() else {
                // Fencing also while the broker is away: a dead session is noticed, not waited out.
                self.report_backlog(db, &mut last_report).await?;
                match Publisher::connect(&self.settings, &format!("{}-relay", self.service)).await {
                    Ok(connected) => {
                        self.status.set_connected(true);
                        let waited = broker_backoff.reset();
                        tracing::info!(
                            after_ms = millis(waited),
                            "outbox relay connected to the broker"
                        );
                        publisher = Some(connected);
                        stale = true;
                    }
                    Err(err) => {
                        self.status.set_connected(false);
                        let pause = broker_backoff.next();
                        tracing::warn!(error = %err, retry_in_ms = millis(pause), "broker unreachable; events wait in the outbox");
                        sleep_or_cancel(pause, shutdown).await;
                    }
                }
                continue;
            };
            // Wake-ups noted before a read are answered by it; the waits below are for those after it.
            let generation = outbox::wake_generation();
            let forwarded = drain_notifications(db);
            stale |= forwarded || generation != seen;
            seen = generation;
            let room = !broken && in_flight.len() < window;
            let due = not_before.is_none_or(|at| Instant::now() >= at);
            if stale && room && due {
                stale = false;
                let sent_seqs: Vec<i64> = in_flight
                    .iter()
                    .flat_map(|b| b.seqs.iter().copied())
                    .collect();
                // Read on the lock-holding session: if it died, this fails and the relay stops here (fencing).
                let batch = outbox::pending(db, &sent_seqs, self.settings.batch_size).await?;
                if !batch.is_empty() {
                    poll.busy();
                    self.status.set_waiting(true);
                    if batch.len() >= batch_size {
                        // A real backlog: read on at once, and the gauge is worth a count, at most once a second.
                        stale = true;
                        not_before = None;
                        self.report_backlog(db, &mut last_report).await?;
                    } else {
                        not_before = Some(Instant::now() + LINGER);
                    }
                    let sent = current.send_batch(&batch).await;
                    broken = sent.cut_short();
                    in_flight.push_back(InFlight {
                        seqs: batch.iter().map(|event| event.seq).collect(),
                        confirms: Box::pin(sent.confirmed()),
                    });
                    continue;
                }
                not_before = None;
            }
            if in_flight.is_empty() && !stale {
                metrics::gauge!("outbox_backlog").set(0.0);
                metrics::gauge!("outbox_oldest_pending_age_seconds").set(0.0);
                self.status.set_waiting(false);
            }
            // Wait for what comes first: the oldest batch's confirms, a wake-up, the end of the linger when
            // there is something to read, or (nothing in flight, nothing to read) the safety poll.
            let linger = not_before.filter(|_| stale && room);
            let idle = (in_flight.is_empty() && !stale).then(|| poll.idle());
            let settled = {
                let oldest = async {
                    match in_flight.front_mut() {
                        Some(batch) => Some((&mut batch.confirms).await),
                        None => std::future::pending().await,
                    }
                };
                let mut forwarded = std::pin::pin!(db.notifications_stream());
                tokio::select! {
                    biased;
                    outcome = oldest => outcome,
                    _ = outbox::woken_since(generation) => {
                        poll.woken();
                        None
                    }
                    // An error here is the session's: the next read fails and ends the tenure.
                    Some(_) = forwarded.next() => {
                        poll.woken();
                        stale = true;
                        None
                    }
                    _ = tokio::time::sleep_until(linger.unwrap_or_else(Instant::now)), if linger.is_some() => None,
                    _ = tokio::time::sleep(idle.unwrap_or_default()), if idle.is_some() => {
                        stale = true;
                        None
                    }
                    _ = shutdown.cancelled() => None,
                }
            };
            let Some((acked, failure)) = settled else {
                continue;
            };
            in_flight.pop_front();
            self.settle(db, &acked).await?;
            if let Some(err) = failure {
                // Later batches are not marked (an event is never marked ahead of an earlier one): they are
                // read again, and published again, after the reconnect.
                in_flight.clear();
                broken = false;
                tracing::warn!(error = %err, "publishing failed; reconnecting to the broker");
                self.status.set_connected(false);
                if let Some(broken) = publisher.take() {
                    broken.close(CLOSE_BOUND).await;
                }
            }
        }
        // Shutdown: the batches in hand are settled (each confirm is bounded by the confirm timeout).
        while let Some(batch) = in_flight.pop_front() {
            let (acked, failure) = batch.confirms.await;
            self.settle(db, &acked).await?;
            if failure.is_some() {
                break;
            }
        }
        if let Some(open) = publisher.take() {
            open.close(CLOSE_BOUND).await;
        }
        self.status.set_connected(false);
        Ok(())
    }

    /// Marks a batch's confirmed prefix delivered.
    async fn settle(&self, db: &mut AsyncPgConnection, acked: &[i64]) -> Result<(), DbError> {
        if acked.is_empty() {
            return Ok(());
        }
        outbox::mark_delivered(db, acked).await?;
        self.status.set_waiting(false);
        metrics::counter!("outbox_delivered_total").increment(acked.len() as u64);
        Ok(())
    }

    async fn report_backlog(
        &self,
        db: &mut AsyncPgConnection,
        last: &mut Option<Instant>,
    ) -> Result<(), DbError> {
        if last.is_some_and(|at| at.elapsed() < Duration::from_secs(1)) {
            return Ok(());
        }
        *last = Some(Instant::now());
        let (count, oldest) = outbox::backlog(db).await?;
        self.status.set_waiting(count > 0);
        metrics::gauge!("outbox_backlog").set(count as f64);
        let age = oldest
            .map(|at| (chrono::Utc::now() - at).num_milliseconds() as f64 / 1000.0)
            .unwrap_or(0.0);
        metrics::gauge!("outbox_oldest_pending_age_seconds").set(age.max(0.0));
        Ok(())
    }

    /// Deletes delivered rows past retention in bounded chunks (a few per round, so a large first purge does not
    /// hold up publishing).
    async fn purge(&self, db: &mut AsyncPgConnection) -> Result<(), DbError> {
        let before = chrono::Utc::now() - chrono::Duration::hours(self.settings.retention_hours);
        let mut purged = 0;
        for _ in 0..4 {
            let chunk = outbox::purge_delivered_chunk(db, before, PURGE_CHUNK).await?;
            purged += chunk;
            if i64::try_from(chunk).unwrap_or(i64::MAX) < PURGE_CHUNK {
                break;
            }
        }
        if purged > 0 {
            metrics::counter!("outbox_purged_total").increment(purged as u64);
            tracing::info!(purged, "purged delivered outbox rows");
        }
        Ok(())
    }
}

/// Takes the other replicas' wake-ups buffered on the relay's session (the read that follows sees their rows);
/// whether there was any.
fn drain_notifications(db: &mut AsyncPgConnection) -> bool {
    let mut buffered = std::pin::pin!(db.notifications_stream());
    let mut any = false;
    while let Some(Some(_)) = buffered.next().now_or_never() {
        any = true;
    }
    any
}

/// While this process's relay does not lead (a standby, or another replica holds the lock), tells the leader
/// when this process committed events: one `NOTIFY` per burst of commits, at most one per [`MIN_POLL`], from a
/// session of its own opened at the first need. The lock a `NOTIFY` takes on the whole cluster is then held by
/// that session's own asynchronous commit, never by a change's. If it cannot be sent, the leader's safety poll
/// finds the rows.
async fn forward_wakes(
    database_url: String,
    status: Arc<RelayStatus>,
    shutdown: CancellationToken,
) {
    let mut session: Option<AsyncPgConnection> = None;
    let mut backoff = Backoff::new(Duration::from_secs(10));
    let mut seen = outbox::wake_generation();
    loop {
        tokio::select! {
            _ = outbox::woken_since(seen) => {}
            _ = shutdown.cancelled() => return,
        }
        // Read before sending: commits during the send or the pause below bring one more round.
        seen = outbox::wake_generation();
        if status.leader() {
            continue;
        }
        let sent = match session.as_mut() {
            Some(conn) => outbox::notify_leader(conn).await.map_err(DbError::from),
            None => match open_notifier(&database_url).await {
                Ok(mut conn) => {
                    let sent = outbox::notify_leader(&mut conn)
                        .await
                        .map_err(DbError::from);
                    session = Some(conn);
                    sent
                }
                Err(error) => Err(error),
            },
        };
        match sent {
            Ok(()) => {
                backoff.reset();
                metrics::counter!("outbox_wakes_forwarded_total").increment(1);
                sleep_or_cancel(MIN_POLL, &shutdown).await;
            }
            Err(error) => {
                session = None;
                let pause = backoff.next();
                tracing::warn!(error = %error, retry_in_ms = millis(pause), "could not wake the leading relay; its poll will find the events");
                sleep_or_cancel(pause, &shutdown).await;
            }
        }
    }
}

async fn open_notifier(database_url: &str) -> Result<AsyncPgConnection, DbError> {
    let mut conn = persistence::db::connect(database_url, Duration::from_secs(10)).await?;
    outbox::prepare_notifier(&mut conn).await?;
    Ok(conn)
}

async fn sleep_or_cancel(pause: Duration, shutdown: &CancellationToken) {
    tokio::select! {
        _ = tokio::time::sleep(pause) => {}
        _ = shutdown.cancelled() => {}
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// Exponential backoff from 100 ms, doubling up to a ceiling.
struct Backoff {
    next: Duration,
    max: Duration,
    /// What the waits since the last reset added up to (logged on recovery).
    waited: Duration,
}

impl Backoff {
    const START: Duration = Duration::from_millis(100);

    fn new(max: Duration) -> Self {
        Self {
            next: Self::START,
            max,
            waited: Duration::ZERO,
        }
    }
    fn next(&mut self) -> Duration {
        let current = self.next.min(self.max);
        self.next = (self.next * 2).min(self.max);
        self.waited += current;
        current
    }
    /// Starts again from the minimum; returns the total waited since the last reset.
    fn reset(&mut self) -> Duration {
        self.next = Self::START;
        std::mem::take(&mut self.waited)
    }
}

/// The poll for rows other replicas commit: `min` right after events flowed, doubling to `max` while quiet, so
/// a busy outbox is drained promptly and an idle service costs about one query per `max`.
struct AdaptivePoll {
    min: Duration,
    max: Duration,
    next: Duration,
}

impl AdaptivePoll {
    fn new(min: Duration, max: Duration) -> Self {
        let min = min.min(max);
        Self {
            min,
            max,
            next: max,
        }
    }
    /// Events were found: poll soon again.
    fn busy(&mut self) {
        self.next = self.min;
    }
    /// This process committed events: the wake itself brought the relay, keep polling soon.
    fn woken(&mut self) {
        self.next = self.min;
    }
    /// Nothing was found: the wait before the next look, doubling towards `max`.
    fn idle(&mut self) -> Duration {
        let wait = self.next;
        self.next = (self.next * 2).min(self.max);
        wait
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
        assert_eq!(backoff.reset(), Duration::from_millis(1700));
        assert_eq!(backoff.next().as_millis(), 100);
    }

    #[test]
    fn poll_is_short_while_events_flow_and_relaxes_when_quiet() {
        let mut poll = AdaptivePoll::new(Duration::from_millis(20), Duration::from_millis(1000));
        assert_eq!(
            poll.idle().as_millis(),
            1000,
            "an idle relay starts relaxed"
        );
        poll.busy();
        let waits: Vec<_> = (0..8).map(|_| poll.idle().as_millis()).collect();
        assert_eq!(waits, vec![20, 40, 80, 160, 320, 640, 1000, 1000]);
        poll.woken();
        assert_eq!(poll.idle().as_millis(), 20);
    }

    #[test]
    fn stuck_only_when_leading_with_work_waiting_long_enough() {
        let status = RelayStatus::default();
        status.set_waiting(true);
        assert!(!status.stuck(), "not the leader");
        status.leader.store(true, Ordering::Relaxed);
        assert!(!status.stuck(), "waiting, but not for long");
        if let Ok(mut since) = status.waiting_since.lock() {
            *since = Instant::now().checked_sub(STUCK_AFTER);
        }
        assert!(status.stuck());
        status.set_waiting(false);
        assert!(!status.stuck(), "progress clears it");
    }
}
