//! Running a subscriber: broker sessions (connect, declare, optionally replay the stream, consume the queue),
//! reconnecting with backoff after a loss, and what happens to each event.

use crate::Subscriber;
use crate::builder::CatchUp;
use crate::error::Error;
use crate::handler::Route;
use crate::sequence::{Gap, Sequence};
use crate::store::{EventKey, Store, SubjectKey, Transaction};
use crate::topology;
use chrono::{DateTime, Utc};
use domain::CloudEvent;
use futures_util::StreamExt;
use lapin::message::Delivery;
use lapin::options::{
    BasicAckOptions, BasicCancelOptions, BasicConsumeOptions, BasicNackOptions,
    BasicPublishOptions, BasicQosOptions, BasicRejectOptions, ConfirmSelectOptions,
    QueueDeclareOptions,
};
use lapin::types::{AMQPValue, FieldTable, LongString, ShortString};
use lapin::{BasicProperties, Channel, Confirmation, Connection, ConnectionProperties};
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

/// How long closing a channel or connection may take before it is abandoned (a broker that stopped answering
/// would otherwise hold a stopping subscriber until the heartbeat gives up).
const CLOSE_BOUND: Duration = Duration::from_secs(1);
/// The first pause before reconnecting; it doubles up to the configured maximum.
const RECONNECT_START: Duration = Duration::from_millis(100);

/// What a subscriber is doing, for readiness probes and tests.
#[derive(Debug, Default)]
pub struct Status {
    connected: AtomicBool,
    replaying: AtomicBool,
    live: AtomicBool,
    sessions: AtomicU64,
}

impl Status {
    /// Connected to the broker with the topology declared.
    pub fn connected(&self) -> bool {
        self.connected.load(Ordering::SeqCst)
    }
    /// Replaying the event stream (catch-up).
    pub fn replaying(&self) -> bool {
        self.replaying.load(Ordering::SeqCst)
    }
    /// Consuming the live queue.
    pub fn live(&self) -> bool {
        self.live.load(Ordering::SeqCst)
    }
    /// How many broker sessions have started (the first connect, then one per reconnect).
    pub fn sessions(&self) -> u64 {
        self.sessions.load(Ordering::SeqCst)
    }
    fn set(&self, flag: &AtomicBool, value: bool) {
        flag.store(value, Ordering::SeqCst);
    }
    fn session_over(&self) {
        self.set(&self.connected, false);
        self.set(&self.replaying, false);
        self.set(&self.live, false);
        metrics::gauge!("subscriber_connected").set(0.0);
    }
}

/// What becomes of one delivery.
#[derive(Debug)]
enum Disposition {
    /// Processed, or nothing to do (duplicate, stale, unhandled type): acknowledged.
    Ack,
    /// The handler failed: returned to the queue after the retry pause (the broker counts it).
    Retry,
    /// It can never be processed (not a CloudEvent, or `data` not of the handler's type): dead-lettered now.
    Reject(String),
    /// A stop was asked for before it could be processed: returned to the queue at once.
    Release,
}

/// What processing found.
#[derive(Debug)]
enum Outcome {
    Handled { gap: Option<Gap> },
    Duplicate,
    Stale { last: i64 },
}

/// How a replay ended.
#[derive(Debug, PartialEq, Eq)]
enum Replay {
    CaughtUp,
    Stopped,
}

/// What one stream delivery asks of the replay.
enum Step {
    Next,
    /// The event is newer than the queue's binding: the queue has it and everything after it.
    Handover,
    Stopped,
}

/// What survives from one broker session to the next.
struct RunState {
    /// Where the replay (re)starts; `None` once caught up, so a reconnect goes straight to the queue, which kept
    /// everything while the subscriber was away.
    replay_from: Option<CatchUp>,
    /// The queue's first binding in this run plus the allowed clock skew: events stamped later are in the queue.
    handover: Option<DateTime<Utc>>,
    /// Whether this session reached the live queue (a successful reconnect, so the backoff starts over).
    went_live: bool,
}

impl<S: Store> Subscriber<S> {
    /// Runs until `shutdown` is cancelled: connects, declares the topology, catches up from the stream if asked
    /// (once per run), then consumes the queue; after a broker loss, reconnects with backoff and resumes.
    ///
    /// On `shutdown`, stops taking deliveries, lets the handler in progress finish and acknowledges its event,
    /// then closes the connection (unacknowledged prefetched deliveries go back to the queue). Returns an error
    /// only for what reconnecting cannot fix ([`Error::is_fatal`]): a queue that exists with other arguments,
    /// or refused permissions.
    pub async fn run(self, shutdown: CancellationToken) -> Result<(), Error> {
        let span = tracing::info_span!("subscriber", queue = %self.settings.queue);
        self.run_sessions(shutdown).instrument(span).await
    }

    async fn run_sessions(&self, shutdown: CancellationToken) -> Result<(), Error> {
        let mut backoff = Backoff::new(RECONNECT_START, self.settings.reconnect_max);
        let mut state = RunState {
            replay_from: self.settings.catch_up.clone(),
            handover: None,
            went_live: false,
        };
        let mut result = Ok(());
        while !shutdown.is_cancelled() {
            state.went_live = false;
            let session = self.session(&mut state, &shutdown).await;
            self.status.session_over();
            match session {
                Ok(()) => break,
                Err(error) if error.is_fatal() => {
                    tracing::error!(error = %error, "subscriber cannot run as configured; stopping");
                    result = Err(error);
                    break;
                }
                Err(error) => {
                    if state.went_live {
                        backoff.reset();
                    }
                    let wait = backoff.next();
                    metrics::counter!("subscriber_reconnects_total").increment(1);
                    tracing::warn!(error = %error, retry_in_ms = millis(wait), "subscriber lost its broker session; reconnecting");
                    sleep_or_cancel(wait, &shutdown).await;
                }
            }
        }
        tracing::info!("subscriber stopped");
        result
    }

    /// One broker session; `Ok` when stopped by `shutdown`, an error when the session was lost.
    async fn session(
        &self,
        state: &mut RunState,
        shutdown: &CancellationToken,
    ) -> Result<(), Error> {
        let timeout = self.settings.connect_timeout;
        let properties = ConnectionProperties::default()
            .with_connection_name(LongString::from(self.settings.connection_name.as_str()));
        let connection = tokio::select! {
            connected = bounded(timeout, Connection::connect(&self.settings.url, properties)) => connected??,
            () = shutdown.cancelled() => return Ok(()),
        };
        let outcome = self.on_connection(&connection, state, shutdown).await;
        let _ = bounded(
            CLOSE_BOUND,
            connection.close(200, ShortString::from("subscriber stopping")),
        )
        .await;
        outcome
    }

    async fn on_connection(
        &self,
        connection: &Connection,
        state: &mut RunState,
        shutdown: &CancellationToken,
    ) -> Result<(), Error> {
        let timeout = self.settings.connect_timeout;
        let channel = bounded(timeout, connection.create_channel()).await??;
        // Declared (and bound) before any replay, so nothing published from here on can be missed.
        bounded(timeout, topology::declare(&channel, &self.settings))
            .await?
            .map_err(|error| match error.kind() {
                lapin::ErrorKind::ProtocolError(amqp) if matches!(amqp.get_id(), 403 | 406) => {
                    Error::Config(format!(
                        "the broker refused the subscriber's topology: {error}"
                    ))
                }
                _ => error.into(),
            })?;
        let skew = chrono::Duration::from_std(self.settings.clock_skew)
            .unwrap_or_else(|_| chrono::Duration::seconds(5));
        let handover = *state.handover.get_or_insert_with(|| Utc::now() + skew);
        self.status.set(&self.status.connected, true);
        self.status.sessions.fetch_add(1, Ordering::SeqCst);
        metrics::gauge!("subscriber_connected").set(1.0);
        tracing::info!(exchange = %self.settings.exchange, bindings = ?self.settings.bindings, "connected; queue declared and bound");
        if state.replay_from.is_some() {
            if self
                .replay(connection, &mut state.replay_from, handover, shutdown)
                .await?
                == Replay::Stopped
            {
                return Ok(());
            }
            state.replay_from = None;
        }
        self.live(&channel, state, shutdown).await
    }

    /// Consumes the live queue until `shutdown` (then `Ok`) or a broker loss (an error).
    async fn live(
        &self,
        channel: &Channel,
        state: &mut RunState,
        shutdown: &CancellationToken,
    ) -> Result<(), Error> {
        channel
            .basic_qos(self.settings.prefetch, BasicQosOptions::default())
            .await?;
        let tag = self.consumer_tag("live");
        let mut consumer = channel
            .basic_consume(
                ShortString::from(self.settings.queue.as_str()),
                ShortString::from(tag.as_str()),
                BasicConsumeOptions::default(),
                FieldTable::default(),
            )
            .await?;
        self.status.set(&self.status.live, true);
        state.went_live = true;
        tracing::info!(prefetch = self.settings.prefetch, "consuming the queue");
        loop {
            // Biased: once a stop is asked for, no further delivery is started.
            let next = tokio::select! {
                biased;
                () = shutdown.cancelled() => break,
                next = consumer.next() => next,
            };
            let delivery = match next {
                Some(Ok(delivery)) => delivery,
                Some(Err(error)) => return Err(error.into()),
                None => return Err(Error::ConsumerEnded(self.settings.queue.clone())),
            };
            // Deliveries buffered before a loss still come out first, but can no longer be acknowledged (the
            // broker redelivers them): reconnect now rather than handle them for nothing.
            if delivery.poisoned() {
                return Err(Error::ConsumerEnded(self.settings.queue.clone()));
            }
            self.live_delivery(delivery, shutdown).await?;
        }
        self.status.set(&self.status.live, false);
        let _ = bounded(
            CLOSE_BOUND,
            channel.basic_cancel(
                ShortString::from(tag.as_str()),
                BasicCancelOptions::default(),
            ),
        )
        .await;
        let _ = bounded(
            CLOSE_BOUND,
            channel.close(200, ShortString::from("subscriber stopping")),
        )
        .await;
        Ok(())
    }

    async fn live_delivery(
        &self,
        delivery: Delivery,
        shutdown: &CancellationToken,
    ) -> Result<(), Error> {
        // The quorum queue counts earlier deliveries of this message (absent on the first).
        let deliveries = header_u64(&delivery.properties, "x-delivery-count").unwrap_or(0);
        let disposition = match serde_json::from_slice::<CloudEvent>(&delivery.data) {
            Ok(envelope) => self.dispose(envelope, shutdown).await,
            Err(error) => Disposition::Reject(format!("not a CloudEvent: {error}")),
        };
        match disposition {
            Disposition::Ack => {
                delivery.ack(BasicAckOptions::default()).await?;
            }
            Disposition::Retry => {
                // The pause holds the delivery (and, events being handled in order, the queue) so a failing
                // handler does not spin; the broker dead-letters it once returned more than the limit.
                let wait = retry_delay(
                    self.settings.retry_initial,
                    self.settings.retry_max,
                    deliveries,
                );
                tracing::debug!(
                    deliveries = deliveries + 1,
                    limit = self.settings.delivery_limit,
                    wait_ms = millis(wait),
                    "returning the event to the queue after a pause"
                );
                sleep_or_cancel(wait, shutdown).await;
                delivery.nack(requeue()).await?;
                metrics::counter!("subscriber_events_total", "outcome" => "retried").increment(1);
            }
            Disposition::Reject(reason) => {
                tracing::warn!(reason = %reason, message_id = ?delivery.properties.message_id(), "dead-lettering an event that cannot be processed");
                delivery
                    .reject(BasicRejectOptions { requeue: false })
                    .await?;
                metrics::counter!("subscriber_events_total", "outcome" => "dead_lettered")
                    .increment(1);
            }
            Disposition::Release => {
                delivery.nack(requeue()).await?;
            }
        }
        Ok(())
    }

    /// Replays the stream from `from` until caught up (quiet for `catch_up_idle`, or at the first event newer than
    /// `handover`), keeping `from` at the next offset so a lost session resumes where it was.
    async fn replay(
        &self,
        connection: &Connection,
        from: &mut Option<CatchUp>,
        handover: DateTime<Utc>,
        shutdown: &CancellationToken,
    ) -> Result<Replay, Error> {
        let Some(start) = from.clone() else {
            return Ok(Replay::CaughtUp);
        };
        let stream = bus::settings::stream_name(&self.settings.exchange);
        // A passive declare of a missing queue closes the channel it ran on: a channel of its own.
        let probe = connection.create_channel().await?;
        let passive = QueueDeclareOptions {
            passive: true,
            ..QueueDeclareOptions::default()
        };
        match probe
            .queue_declare(
                ShortString::from(stream.as_str()),
                passive,
                FieldTable::default(),
            )
            .await
        {
            Ok(_) => {
                let _ = bounded(CLOSE_BOUND, probe.close(200, ShortString::from("found"))).await;
            }
            Err(error) if Error::is_not_found(&error) => {
                tracing::warn!(stream = %stream, "no event stream to catch up from (no publisher has declared it); consuming the queue");
                return Ok(Replay::CaughtUp);
            }
            Err(error) => return Err(error.into()),
        }
        let channel = connection.create_channel().await?;
        // A stream is read with a bounded prefetch and acknowledgements, which are its credit.
        channel
            .basic_qos(self.settings.prefetch, BasicQosOptions::default())
            .await?;
        let mut arguments = FieldTable::default();
        arguments.insert("x-stream-offset".into(), start.argument());
        let tag = self.consumer_tag("replay");
        let mut consumer = channel
            .basic_consume(
                ShortString::from(stream.as_str()),
                ShortString::from(tag.as_str()),
                BasicConsumeOptions::default(),
                arguments,
            )
            .await?;
        self.status.set(&self.status.replaying, true);
        tracing::info!(stream = %stream, from = ?start, "catching up from the event stream");
        let mut dead_letters = None;
        let mut replayed: u64 = 0;
        let end = loop {
            let next = tokio::select! {
                biased;
                () = shutdown.cancelled() => break Replay::Stopped,
                next = tokio::time::timeout(self.settings.catch_up_idle, consumer.next()) => next,
            };
            let delivery = match next {
                // Quiet: the stream delivers its backlog as fast as the prefetch allows, so this is its end.
                Err(_) => break Replay::CaughtUp,
                Ok(Some(Ok(delivery))) if !delivery.poisoned() => delivery,
                // The channel is gone (see `live`): the next session resumes at the offset reached.
                Ok(Some(Ok(_)) | None) => return Err(Error::ConsumerEnded(stream)),
                Ok(Some(Err(error))) => return Err(error.into()),
            };
            let offset = header_u64(&delivery.properties, "x-stream-offset");
            match self
                .replay_delivery(connection, &delivery, handover, &mut dead_letters, shutdown)
                .await?
            {
                Step::Next => {}
                Step::Handover => break Replay::CaughtUp,
                Step::Stopped => break Replay::Stopped,
            }
            delivery.ack(BasicAckOptions::default()).await?;
            replayed += 1;
            if let Some(offset) = offset {
                *from = Some(CatchUp::Offset(offset.saturating_add(1)));
            }
        };
        self.status.set(&self.status.replaying, false);
        let _ = bounded(
            CLOSE_BOUND,
            channel.basic_cancel(
                ShortString::from(tag.as_str()),
                BasicCancelOptions::default(),
            ),
        )
        .await;
        let _ = bounded(
            CLOSE_BOUND,
            channel.close(200, ShortString::from("caught up")),
        )
        .await;
        if let Some(dead_letters) = dead_letters {
            let _ = bounded(
                CLOSE_BOUND,
                dead_letters.close(200, ShortString::from("done")),
            )
            .await;
        }
        if end == Replay::CaughtUp {
            tracing::info!(replayed, "caught up from the event stream");
        }
        Ok(end)
    }

    async fn replay_delivery(
        &self,
        connection: &Connection,
        delivery: &Delivery,
        handover: DateTime<Utc>,
        dead_letters: &mut Option<Channel>,
        shutdown: &CancellationToken,
    ) -> Result<Step, Error> {
        let envelope = match serde_json::from_slice::<CloudEvent>(&delivery.data) {
            Ok(envelope) => envelope,
            Err(error) => {
                let reason = format!("not a CloudEvent: {error}");
                self.dead_letter(connection, dead_letters, delivery, &reason)
                    .await?;
                return Ok(Step::Next);
            }
        };
        if DateTime::parse_from_rfc3339(&envelope.time).is_ok_and(|time| time > handover) {
            return Ok(Step::Handover);
        }
        // The stream holds every event; the queue's bindings decide which are this subscriber's.
        let key = delivery.routing_key.as_str();
        if !self
            .settings
            .bindings
            .iter()
            .any(|pattern| topology::topic_matches(pattern, key))
        {
            return Ok(Step::Next);
        }
        // A stream cannot take a message back: retries happen here, with the same pauses and limit.
        let mut failures: u32 = 0;
        loop {
            match self.dispose(envelope.clone(), shutdown).await {
                Disposition::Ack => return Ok(Step::Next),
                Disposition::Release => return Ok(Step::Stopped),
                Disposition::Reject(reason) => {
                    self.dead_letter(connection, dead_letters, delivery, &reason)
                        .await?;
                    return Ok(Step::Next);
                }
                Disposition::Retry => {
                    let wait = retry_delay(
                        self.settings.retry_initial,
                        self.settings.retry_max,
                        u64::from(failures),
                    );
                    failures += 1;
                    if failures > self.settings.delivery_limit {
                        let reason = format!("the handler failed {failures} times during catch-up");
                        self.dead_letter(connection, dead_letters, delivery, &reason)
                            .await?;
                        return Ok(Step::Next);
                    }
                    if !sleep_or_cancel(wait, shutdown).await {
                        return Ok(Step::Stopped);
                    }
                }
            }
        }
    }

    /// Publishes a replayed event that cannot be processed to the dead-letter queue (where the broker puts the
    /// queue's own), with the reason in the `x-subscriber-dead-letter-reason` header, and waits for the confirm.
    async fn dead_letter(
        &self,
        connection: &Connection,
        channel: &mut Option<Channel>,
        delivery: &Delivery,
        reason: &str,
    ) -> Result<(), Error> {
        tracing::warn!(reason = %reason, message_id = ?delivery.properties.message_id(), "dead-lettering a replayed event that cannot be processed");
        let channel = match channel {
            Some(channel) => channel,
            None => {
                let opened = connection.create_channel().await?;
                opened
                    .confirm_select(ConfirmSelectOptions::default())
                    .await?;
                channel.insert(opened)
            }
        };
        let mut headers = delivery.properties.headers().clone().unwrap_or_default();
        headers.insert(
            "x-subscriber-dead-letter-reason".into(),
            AMQPValue::LongString(LongString::from(reason)),
        );
        let properties: BasicProperties = delivery
            .properties
            .clone()
            .with_headers(headers)
            .with_delivery_mode(2);
        let confirm = channel
            .basic_publish(
                ShortString::from(topology::dead_letter_exchange(&self.settings.exchange)),
                ShortString::from(self.settings.queue.as_str()),
                BasicPublishOptions {
                    mandatory: true,
                    ..BasicPublishOptions::default()
                },
                &delivery.data,
                properties,
            )
            .await?;
        match confirm.await? {
            Confirmation::Ack(None) => {
                metrics::counter!("subscriber_events_total", "outcome" => "dead_lettered")
                    .increment(1);
                Ok(())
            }
            other => Err(Error::Refused(format!(
                "dead-lettering a replayed event: {other:?}"
            ))),
        }
    }

    /// Runs one event through its handler, retrying a failing store in place. An event without a handler is
    /// skipped; with gap detection on and a version, it still goes through the store, so the subject's version
    /// line stays complete when the queue is bound to types the subscriber does not handle.
    async fn dispose(&self, envelope: CloudEvent, shutdown: &CancellationToken) -> Disposition {
        let route = self
            .routes
            .get(&envelope.event_type)
            .map(|route| route.as_ref());
        if route.is_none() {
            self.unhandled(&envelope);
            if !(self.settings.detect_gaps && envelope.subjectversion.is_some()) {
                return Disposition::Ack;
            }
        }
        let mut pause = Backoff::new(self.settings.retry_initial, self.settings.retry_max);
        loop {
            match self.process(route, &envelope).await {
                Ok(outcome) => {
                    self.report(&envelope, outcome, route.is_some());
                    return Disposition::Ack;
                }
                Err(Error::Decode(error)) => {
                    return Disposition::Reject(format!(
                        "{} {}: data does not decode as the handler's type: {error}",
                        envelope.event_type, envelope.id
                    ));
                }
                Err(Error::Handler(error)) => {
                    tracing::warn!(event_id = %envelope.id, event_type = %envelope.event_type, error = %error, "handler failed");
                    metrics::counter!("subscriber_handler_failures_total").increment(1);
                    return Disposition::Retry;
                }
                Err(error) => {
                    // The store's failure, not the event's: wait for it without using up delivery attempts.
                    let wait = pause.next();
                    tracing::warn!(event_id = %envelope.id, error = %error, retry_in_ms = millis(wait), "store failed; retrying the event");
                    if !sleep_or_cancel(wait, shutdown).await {
                        return Disposition::Release;
                    }
                }
            }
        }
    }

    /// One event in one store transaction: claim the id, check the version, run the handler on the
    /// transaction's connection, record the version, commit. A duplicate changes nothing; a stale event keeps
    /// its claim (so a redelivery is a plain duplicate); any failure rolls everything back.
    async fn process(
        &self,
        route: Option<&dyn Route<S::Conn>>,
        envelope: &CloudEvent,
    ) -> Result<Outcome, Error> {
        let mut tx = self.store.begin().await?;
        match self.within(&mut tx, route, envelope).await {
            Ok(Outcome::Duplicate) => {
                if let Err(error) = tx.rollback().await {
                    tracing::debug!(error = %error, "rollback after a duplicate failed");
                }
                Ok(Outcome::Duplicate)
            }
            Ok(outcome) => {
                tx.commit().await?;
                Ok(outcome)
            }
            Err(error) => {
                if let Err(rollback) = tx.rollback().await {
                    tracing::debug!(error = %rollback, "rollback after a failure failed");
                }
                Err(error)
            }
        }
    }

    async fn within(
        &self,
        tx: &mut S::Tx,
        route: Option<&dyn Route<S::Conn>>,
        envelope: &CloudEvent,
    ) -> Result<Outcome, Error> {
        let scope = self.settings.queue.as_str();
        let event = EventKey {
            scope,
            id: envelope.id,
            event_type: &envelope.event_type,
        };
        if !tx.claim(&event).await? {
            return Ok(Outcome::Duplicate);
        }
        let subject = SubjectKey {
            scope,
            source: &envelope.source,
            subject: &envelope.subject,
        };
        let version = envelope
            .subjectversion
            .filter(|_| self.settings.detect_gaps);
        let sequence = match version {
            None => Sequence::Unversioned,
            Some(version) => Sequence::classify(tx.last_version(&subject).await?, version),
        };
        if let Sequence::Stale { last } = sequence {
            return Ok(Outcome::Stale { last });
        }
        if let Some(route) = route {
            route.handle(tx.conn(), envelope.clone()).await?;
        }
        if let Some(version) = version {
            tx.set_version(&subject, version).await?;
        }
        let gap = match (sequence, version) {
            (Sequence::Gap { expected }, Some(received)) => Some(Gap {
                event_id: envelope.id,
                event_type: envelope.event_type.clone(),
                source: envelope.source.clone(),
                subject: envelope.subject.clone(),
                expected,
                received,
            }),
            _ => None,
        };
        Ok(Outcome::Handled { gap })
    }

    /// Logs and counts what processing found (`handled`: a handler ran, rather than only the version check),
    /// and reports a gap to the callback.
    fn report(&self, envelope: &CloudEvent, outcome: Outcome, handled: bool) {
        let (id, kind) = (&envelope.id, &envelope.event_type);
        match outcome {
            Outcome::Handled { gap } => {
                if handled {
                    metrics::counter!("subscriber_events_total", "outcome" => "handled")
                        .increment(1);
                    tracing::debug!(event_id = %id, event_type = %kind, "handled");
                }
                if let Some(gap) = gap {
                    metrics::counter!("subscriber_gaps_total").increment(1);
                    tracing::warn!(event_id = %id, event_type = %kind, subject = %gap.subject, expected = gap.expected, received = gap.received, "gap in the subject's versions; processed anyway");
                    if let Some(on_gap) = &self.on_gap {
                        on_gap(&gap);
                    }
                }
            }
            Outcome::Duplicate => {
                metrics::counter!("subscriber_events_total", "outcome" => "duplicate").increment(1);
                tracing::debug!(event_id = %id, event_type = %kind, "already processed; skipped");
            }
            Outcome::Stale { last } => {
                metrics::counter!("subscriber_events_total", "outcome" => "stale").increment(1);
                tracing::info!(event_id = %id, event_type = %kind, subject = %envelope.subject, version = ?envelope.subjectversion, last, "stale: the subject is already at a later version; skipped");
            }
        }
    }

    /// An event type without a handler: logged at info the first time per type, then at debug.
    fn unhandled(&self, envelope: &CloudEvent) {
        metrics::counter!("subscriber_events_total", "outcome" => "unhandled").increment(1);
        let first = self
            .unhandled
            .lock()
            .map(|mut seen| seen.insert(envelope.event_type.clone()))
            .unwrap_or(false);
        if first {
            tracing::info!(event_type = %envelope.event_type, "no handler for this event type; its events are acknowledged and skipped (versions still checked)");
        } else {
            tracing::debug!(event_id = %envelope.id, event_type = %envelope.event_type, "no handler; skipped");
        }
    }

    fn consumer_tag(&self, what: &str) -> String {
        format!(
            "{}:{what}:{}",
            self.settings.connection_name,
            uuid::Uuid::new_v4().simple()
        )
    }
}

fn requeue() -> BasicNackOptions {
    BasicNackOptions {
        requeue: true,
        multiple: false,
    }
}

/// An integer header of a delivery, whatever integer type the broker chose for it.
fn header_u64(properties: &BasicProperties, name: &str) -> Option<u64> {
    let value = properties.headers().as_ref()?.inner().get(name)?;
    match value {
        AMQPValue::LongLongInt(v) => u64::try_from(*v).ok(),
        AMQPValue::LongInt(v) => u64::try_from(*v).ok(),
        AMQPValue::ShortInt(v) => u64::try_from(*v).ok(),
        AMQPValue::ShortShortInt(v) => u64::try_from(*v).ok(),
        AMQPValue::LongUInt(v) => Some(u64::from(*v)),
        AMQPValue::ShortUInt(v) => Some(u64::from(*v)),
        AMQPValue::ShortShortUInt(v) => Some(u64::from(*v)),
        AMQPValue::Timestamp(v) => Some(*v),
        _ => None,
    }
}

/// The pause before returning a failed event: `initial` doubled per earlier delivery, at most `max`.
fn retry_delay(initial: Duration, max: Duration, earlier_deliveries: u64) -> Duration {
    let doublings = u32::try_from(earlier_deliveries.min(20)).unwrap_or(20);
    initial.saturating_mul(1 << doublings).min(max)
}

/// Bounds a broker call: a half-open link would otherwise hold it until the heartbeat gives up.
async fn bounded<T>(bound: Duration, future: impl Future<Output = T>) -> Result<T, Error> {
    tokio::time::timeout(bound, future)
        .await
        .map_err(|_| Error::Timeout(bound))
}

/// Sleeps `pause` unless `shutdown` comes first; `true` if it slept the whole pause.
async fn sleep_or_cancel(pause: Duration, shutdown: &CancellationToken) -> bool {
    tokio::select! {
        () = tokio::time::sleep(pause) => true,
        () = shutdown.cancelled() => false,
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// Exponential backoff from `start`, doubling up to `max`.
struct Backoff {
    start: Duration,
    next: Duration,
    max: Duration,
}

impl Backoff {
    fn new(start: Duration, max: Duration) -> Self {
        let start = start.min(max);
        Self {
            start,
            next: start,
            max,
        }
    }
    fn next(&mut self) -> Duration {
        let current = self.next;
        self.next = self.next.saturating_mul(2).min(self.max);
        current
    }
    fn reset(&mut self) {
        self.next = self.start;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_pauses_double_per_delivery_up_to_the_maximum() {
        let pauses: Vec<u128> = (0..6)
            .map(|n| {
                retry_delay(Duration::from_millis(100), Duration::from_millis(1000), n).as_millis()
            })
            .collect();
        assert_eq!(pauses, [100, 200, 400, 800, 1000, 1000]);
        assert_eq!(
            retry_delay(Duration::from_secs(1), Duration::from_secs(60), u64::MAX),
            Duration::from_secs(60)
        );
    }

    #[test]
    fn reconnect_backoff_doubles_and_resets() {
        let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_millis(500));
        let pauses: Vec<u128> = (0..5).map(|_| backoff.next().as_millis()).collect();
        assert_eq!(pauses, [100, 200, 400, 500, 500]);
        backoff.reset();
        assert_eq!(backoff.next().as_millis(), 100);
    }

    #[test]
    fn reads_integer_headers_of_any_width() {
        let mut headers = FieldTable::default();
        headers.insert("x-delivery-count".into(), AMQPValue::LongLongInt(3));
        headers.insert("x-stream-offset".into(), AMQPValue::LongInt(7));
        headers.insert("x-other".into(), AMQPValue::LongString("no".into()));
        let properties = BasicProperties::default().with_headers(headers);
        assert_eq!(header_u64(&properties, "x-delivery-count"), Some(3));
        assert_eq!(header_u64(&properties, "x-stream-offset"), Some(7));
        assert_eq!(header_u64(&properties, "x-other"), None);
        assert_eq!(header_u64(&properties, "x-missing"), None);
        assert_eq!(
            header_u64(&BasicProperties::default(), "x-delivery-count"),
            None
        );
    }
}
