//! Building a subscriber: where to connect, which queue and patterns, the handlers, and the knobs.

use crate::Event;
use crate::consumer::Status;
use crate::error::Error;
use crate::handler::{FnHandler, Handler, HandlerResult, Route, Typed};
use crate::sequence::Gap;
use crate::store::Store;
use chrono::{DateTime, Utc};
use domain::event::EventType;
use futures_util::future::BoxFuture;
use lapin::types::{AMQPValue, LongString};
use serde::de::DeserializeOwned;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The exchange the suite publishes to unless configured otherwise (`bus.exchange`).
pub const DEFAULT_EXCHANGE: &str = "identity-suite.events";

/// Where a catch-up replay of the event stream starts (AMQP consumer argument `x-stream-offset`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CatchUp {
    /// The first event the stream still retains.
    First,
    /// A stream offset (the `x-stream-offset` header of each stream delivery; `events replay` prints them).
    Offset(u64),
    /// The first event the broker stored at or after this time (stream chunks are located by their timestamp,
    /// so a few events from just before it can come too; dedupe makes them harmless).
    Since(DateTime<Utc>),
}

impl CatchUp {
    pub(crate) fn argument(&self) -> AMQPValue {
        match self {
            Self::First => AMQPValue::LongString(LongString::from("first")),
            Self::Offset(offset) => {
                AMQPValue::LongLongInt(i64::try_from(*offset).unwrap_or(i64::MAX))
            }
            Self::Since(time) => {
                AMQPValue::Timestamp(u64::try_from(time.timestamp()).unwrap_or_default())
            }
        }
    }
}

/// The validated settings a subscriber runs with.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub url: String,
    pub exchange: String,
    pub queue: String,
    pub bindings: Vec<String>,
    pub prefetch: u16,
    pub delivery_limit: u32,
    pub retry_initial: Duration,
    pub retry_max: Duration,
    pub reconnect_max: Duration,
    pub connect_timeout: Duration,
    pub catch_up: Option<CatchUp>,
    pub catch_up_idle: Duration,
    pub clock_skew: Duration,
    pub detect_gaps: bool,
    pub single_active_consumer: bool,
    pub connection_name: String,
}

pub(crate) type GapCallback = Box<dyn Fn(&Gap) + Send + Sync>;

/// A configured subscriber; [`run`](Subscriber::run) it until its cancellation token fires.
pub struct Subscriber<S: Store> {
    pub(crate) settings: Settings,
    pub(crate) store: S,
    pub(crate) routes: HashMap<String, Box<dyn Route<S::Conn>>>,
    pub(crate) on_gap: Option<GapCallback>,
    pub(crate) status: Arc<Status>,
    /// Event types already logged as unhandled (logged at info once, then at debug).
    pub(crate) unhandled: Mutex<HashSet<String>>,
}

impl<S: Store> Subscriber<S> {
    /// Starts building a subscriber on the broker at `url` (`amqp://user:pass@host:port/vhost`) consuming the
    /// durable quorum queue `queue`, which the subscriber owns (one queue per subscribing application; its
    /// replicas share it), remembering what it processed in `store`.
    pub fn builder(url: impl Into<String>, queue: impl Into<String>, store: S) -> Builder<S> {
        let queue = queue.into();
        Builder {
            settings: Settings {
                url: url.into(),
                exchange: DEFAULT_EXCHANGE.to_owned(),
                connection_name: format!("subscriber:{queue}"),
                queue,
                bindings: Vec::new(),
                prefetch: 32,
                delivery_limit: 10,
                retry_initial: Duration::from_secs(1),
                retry_max: Duration::from_secs(60),
                reconnect_max: Duration::from_secs(30),
                connect_timeout: Duration::from_secs(10),
                catch_up: None,
                catch_up_idle: Duration::from_secs(2),
                clock_skew: Duration::from_secs(5),
                detect_gaps: true,
                single_active_consumer: false,
            },
            store,
            routes: HashMap::new(),
            duplicate: None,
            on_gap: None,
        }
    }

    /// What the subscriber is doing (connected, replaying, consuming live), for readiness probes and tests.
    pub fn status(&self) -> Arc<Status> {
        Arc::clone(&self.status)
    }

    /// The store the subscriber writes its marks to.
    pub fn store(&self) -> &S {
        &self.store
    }
}

/// Builds a [`Subscriber`]; every setting has a default but the handlers.
pub struct Builder<S: Store> {
    settings: Settings,
    store: S,
    routes: HashMap<String, Box<dyn Route<S::Conn>>>,
    /// An event type registered twice, reported by `build`.
    duplicate: Option<String>,
    on_gap: Option<GapCallback>,
}

impl<S: Store> Builder<S> {
    /// The bus exchange (default [`DEFAULT_EXCHANGE`]).
    pub fn exchange(mut self, exchange: impl Into<String>) -> Self {
        self.settings.exchange = exchange.into();
        self
    }

    /// Binds the queue to a routing pattern (`identity.#`, `identity.assignment.*.v1`). Without any, the queue is
    /// bound to exactly the event types that have handlers.
    pub fn bind(mut self, pattern: impl Into<String>) -> Self {
        self.settings.bindings.push(pattern.into());
        self
    }

    /// How many unacknowledged deliveries the broker may have in flight to this subscriber (default 32). Events
    /// are handled one at a time, in order; the prefetch only keeps the next ones close.
    pub fn prefetch(mut self, prefetch: u16) -> Self {
        self.settings.prefetch = prefetch;
        self
    }

    /// How many times a failed delivery is returned to the queue before the broker dead-letters it (the quorum
    /// queue's `x-delivery-limit`, default 10), so a failing event is handled at most `limit + 1` times. Fixed when the queue is first declared: the broker refuses a
    /// re-declare with another value (change it with a policy instead).
    pub fn delivery_limit(mut self, limit: u32) -> Self {
        self.settings.delivery_limit = limit;
        self
    }

    /// The pause before a failed event is returned to the queue: `initial`, doubling per delivery up to `max`
    /// (default 1 s to 60 s). Also the pause between retries of a failing store.
    pub fn retry_backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.settings.retry_initial = initial;
        self.settings.retry_max = max;
        self
    }

    /// The longest pause between reconnection attempts (default 30 s; the pause doubles from 100 ms).
    pub fn reconnect_backoff(mut self, max: Duration) -> Self {
        self.settings.reconnect_max = max;
        self
    }

    /// How long connecting (TCP and AMQP handshake) may take before it counts as failed (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.settings.connect_timeout = timeout;
        self
    }

    /// On start, replay the event stream from `from` through the same handlers before consuming the queue.
    pub fn catch_up(mut self, from: CatchUp) -> Self {
        self.settings.catch_up = Some(from);
        self
    }

    /// How long the stream must stay quiet for the replay to count as caught up (default 2 s).
    pub fn catch_up_idle(mut self, idle: Duration) -> Self {
        self.settings.catch_up_idle = idle;
        self
    }

    /// How far the publishers' clocks may be ahead of this one (default 5 s); the replay hands over to the queue
    /// at the first event stamped later than the queue's binding plus this.
    pub fn clock_skew(mut self, skew: Duration) -> Self {
        self.settings.clock_skew = skew;
        self
    }

    /// Gap and reorder detection from `subjectversion` (default on). Versions count every change of a subject,
    /// so switch it off when the queue is bound to only some of the event types that change its subjects.
    pub fn detect_gaps(mut self, on: bool) -> Self {
        self.settings.detect_gaps = on;
        self
    }

    /// Declares the queue with `x-single-active-consumer` (default off): of the replicas consuming it, the broker
    /// delivers to one at a time, so events are handled in publication order whatever the number of replicas;
    /// the others take over when it goes. Fixed when the queue is first declared, like the delivery limit.
    pub fn single_active_consumer(mut self, on: bool) -> Self {
        self.settings.single_active_consumer = on;
        self
    }

    /// Called, after the event's transaction committed, for every gap in a subject's versions.
    pub fn on_gap(mut self, callback: impl Fn(&Gap) + Send + Sync + 'static) -> Self {
        self.on_gap = Some(Box::new(callback));
        self
    }

    /// The name the connection shows in RabbitMQ's management (default `subscriber:<queue>`).
    pub fn connection_name(mut self, name: impl Into<String>) -> Self {
        self.settings.connection_name = name.into();
        self
    }

    /// Handles the suite's events of type `E` (from the `event-types` crate, the types the publisher builds
    /// them from), their `data` decoded as `E::Data`:
    ///
    /// ```text
    /// .handle::<identity::AssignmentGranted>(|conn, event| subscriber::boxed(async move {
    ///     let granted: &identity::Assignment = &event.data;
    ///     ..
    /// }))
    /// ```
    pub fn handle<E: EventType>(
        self,
        handler: impl for<'c> Fn(&'c mut S::Conn, Event<E::Data>) -> BoxFuture<'c, HandlerResult>
        + Send
        + Sync
        + 'static,
    ) -> Self {
        self.on::<E::Data>(E::TYPE, handler)
    }

    /// Handles events of `event_type`, their `data` decoded as `T`: for events from elsewhere, or a subscriber
    /// that decodes only part of a payload (prefer [`Builder::handle`] for the suite's own events):
    ///
    /// ```text
    /// .on::<Assignment>("identity.assignment.granted.v1", |conn, event| subscriber::boxed(async move {
    ///     diesel::sql_query("…").execute(conn).await?;
    ///     Ok(())
    /// }))
    /// ```
    ///
    /// `conn` is the store's connection inside the event's transaction (`()` for [`MemoryStore`](crate::MemoryStore)).
    pub fn on<T>(
        self,
        event_type: &str,
        handler: impl for<'c> Fn(&'c mut S::Conn, Event<T>) -> BoxFuture<'c, HandlerResult>
        + Send
        + Sync
        + 'static,
    ) -> Self
    where
        T: DeserializeOwned + Send + 'static,
    {
        self.on_handler::<T>(event_type, FnHandler(handler))
    }

    /// Handles events of `event_type` with a [`Handler`] implementation.
    pub fn on_handler<T>(mut self, event_type: &str, handler: impl Handler<S::Conn, T>) -> Self
    where
        T: DeserializeOwned + Send + 'static,
    {
        let route: Box<dyn Route<S::Conn>> = Box::new(Typed::<T, _>::new(handler));
        if self.routes.insert(event_type.to_owned(), route).is_some() {
            self.duplicate.get_or_insert_with(|| event_type.to_owned());
        }
        self
    }

    /// Checks the settings and makes the subscriber.
    pub fn build(self) -> Result<Subscriber<S>, Error> {
        let Self {
            mut settings,
            store,
            routes,
            duplicate,
            on_gap,
        } = self;
        let invalid = |what: String| Err(Error::Config(what));
        if let Some(event_type) = duplicate {
            return invalid(format!("two handlers for {event_type}"));
        }
        if routes.is_empty() {
            return invalid("no handler registered".to_owned());
        }
        // AMQP names are short strings (255 bytes), and the dead-letter queue adds `.dlq`.
        if settings.queue.is_empty() || settings.queue.len() > 250 {
            return invalid("the queue name must have 1 to 250 bytes".to_owned());
        }
        if settings.queue.starts_with("amq.") {
            return invalid("queue names starting with amq. are the broker's".to_owned());
        }
        if settings.exchange.is_empty() || settings.exchange.len() > 250 {
            return invalid("the exchange name must have 1 to 250 bytes".to_owned());
        }
        if settings.prefetch == 0 {
            return invalid("prefetch must be at least 1 (0 means unbounded)".to_owned());
        }
        if settings.delivery_limit == 0 {
            return invalid("the delivery limit must be at least 1".to_owned());
        }
        if settings.retry_initial.is_zero() || settings.retry_initial > settings.retry_max {
            return invalid("retry backoff: 0 < initial <= max".to_owned());
        }
        if settings.reconnect_max.is_zero() || settings.catch_up_idle.is_zero() {
            return invalid(
                "the reconnect backoff and the catch-up idle time must be positive".to_owned(),
            );
        }
        if settings.bindings.is_empty() {
            let mut types: Vec<String> = routes.keys().cloned().collect();
            types.sort();
            settings.bindings = types;
        }
        if let Some(bad) = settings
            .bindings
            .iter()
            .find(|pattern| pattern.is_empty() || pattern.len() > 255)
        {
            return invalid(format!("binding pattern {bad:?} must have 1 to 255 bytes"));
        }
        Ok(Subscriber {
            settings,
            store,
            routes,
            on_gap,
            status: Arc::new(Status::default()),
            unhandled: Mutex::new(HashSet::new()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MemoryStore;

    fn noop()
    -> impl for<'c> Fn(&'c mut (), Event<serde_json::Value>) -> BoxFuture<'c, HandlerResult>
    + Send
    + Sync
    + 'static {
        |_, _| crate::boxed(async { Ok(()) })
    }

    #[test]
    fn binds_the_handled_types_unless_told_otherwise() {
        let subscriber = Subscriber::builder("amqp://x", "q", MemoryStore::new())
            .on("b.t.v1", noop())
            .on("a.t.v1", noop())
            .build()
            .unwrap();
        assert_eq!(subscriber.settings.bindings, ["a.t.v1", "b.t.v1"]);
        let subscriber = Subscriber::builder("amqp://x", "q", MemoryStore::new())
            .bind("a.#")
            .on("a.t.v1", noop())
            .build()
            .unwrap();
        assert_eq!(subscriber.settings.bindings, ["a.#"]);
    }

    #[test]
    fn refuses_settings_that_cannot_work() {
        let refused = |builder: Builder<MemoryStore>| match builder.build() {
            Err(Error::Config(reason)) => reason,
            Err(other) => panic!("{other}"),
            Ok(_) => panic!("accepted"),
        };
        let base = || Subscriber::builder("amqp://x", "q", MemoryStore::new());
        assert!(refused(base()).contains("no handler"));
        assert!(refused(base().on("a", noop()).on("a", noop())).contains("two handlers"));
        assert!(refused(base().on("a", noop()).prefetch(0)).contains("prefetch"));
        assert!(refused(base().on("a", noop()).delivery_limit(0)).contains("delivery limit"));
        assert!(
            refused(
                base()
                    .on("a", noop())
                    .retry_backoff(Duration::from_secs(2), Duration::from_secs(1))
            )
            .contains("retry")
        );
        assert!(
            refused(Subscriber::builder("amqp://x", "amq.q", MemoryStore::new()).on("a", noop()))
                .contains("amq.")
        );
    }

    #[test]
    fn catch_up_positions_are_stream_offset_arguments() {
        assert_eq!(
            CatchUp::First.argument(),
            AMQPValue::LongString(LongString::from("first"))
        );
        assert_eq!(CatchUp::Offset(42).argument(), AMQPValue::LongLongInt(42));
        let at = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        assert_eq!(
            CatchUp::Since(at).argument(),
            AMQPValue::Timestamp(1_700_000_000)
        );
    }
}
