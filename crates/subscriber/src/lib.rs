//! Consuming the suite's events from RabbitMQ, for a service that is not part of the suite.
//!
//! The suite publishes every change as a CloudEvents 1.0 JSON message on a durable topic exchange (default
//! `identity-suite.events`), routing key = the event `type` (`identity.user.created.v1`), at least once
//! (an event may come twice) and keeps each one in the stream `<exchange>.stream` for replay
//! (docs/OPERATIONS.md, "The event stream"; the catalogue is `specs/events.asyncapi.yaml`). This crate does what
//! every subscriber would otherwise rewrite: its own queue with dead-lettering, typed handlers, dedupe and gap
//! detection kept in the subscriber's own database, catch-up from the stream, reconnects and a graceful stop.
//!
//! The payload of every event is a type of the `event-types` crate, the one the publishing service builds the
//! event from: register a handler per event type with [`Builder::handle`] and it receives that type.
//!
//! ```no_run
//! use diesel_async::RunQueryDsl;
//! use event_types::identity;
//! use subscriber::{CatchUp, PgStore, Subscriber, boxed};
//! use tokio_util::sync::CancellationToken;
//!
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! let store = PgStore::connect("postgres://postgres@127.0.0.1:5432/my_service").await?;
//! let subscriber = Subscriber::builder("amqp://guest:guest@127.0.0.1:5672/%2f", "my-service.users", store)
//!     .bind("identity.user.*.v1")
//!     .catch_up(CatchUp::First)
//!     .handle::<identity::UserCreated>(|conn, event| {
//!         boxed(async move {
//!             // `conn` is the event's transaction: this row and the event's dedupe mark commit together.
//!             diesel::sql_query("INSERT INTO users (oid, email) VALUES ($1, $2) ON CONFLICT DO NOTHING")
//!                 .bind::<diesel::sql_types::Uuid, _>(event.data.oid)
//!                 .bind::<diesel::sql_types::Text, _>(&event.data.email)
//!                 .execute(conn)
//!                 .await?;
//!             Ok(())
//!         })
//!     })
//!     .on_gap(|gap| tracing::warn!(user = %gap.subject, "missed changes; resynchronise from the API"))
//!     .build()?;
//! let stop = CancellationToken::new(); // cancel it on SIGTERM
//! subscriber.run(stop).await?;
//! # Ok(()) }
//! ```
//!
//! Runnable examples: `examples/print.rs` (subscribe and print) and `examples/permissions_projection.rs` (a
//! "who holds which permission where" table kept from identity's assignment events).
//!
//! # The queue and dead-lettering
//!
//! A subscriber owns one durable **quorum** queue, named by the caller (one per subscribing application; its
//! replicas share it and split the work), bound to the caller's patterns on the exchange ([`Builder::bind`];
//! without any, to exactly the event types that have handlers). Quorum because it is replicated and counts
//! deliveries, which is what poison handling needs. On every (re)connect the subscriber declares, with the
//! broker's own machinery:
//!
//! - the bus exchange (so a subscriber may start before any publisher);
//! - the dead-letter exchange [`topology::dead_letter_exchange`] `<exchange>.dlx` (durable, direct) and the
//!   dead-letter queue [`topology::dead_letter_queue`] `<queue>.dlq` (quorum), bound with routing key `<queue>`;
//! - the queue with `x-queue-type=quorum`, `x-delivery-limit=<n>` ([`Builder::delivery_limit`], default 10),
//!   `x-dead-letter-exchange=<exchange>.dlx`, `x-dead-letter-routing-key=<queue>`,
//!   `x-dead-letter-strategy=at-least-once` (the broker keeps a message until the dead-letter queue has it) and
//!   `x-overflow=reject-publish` (required for at-least-once dead-lettering on RabbitMQ 3.10; without a length
//!   limit it never refuses anything).
//!
//! The broker refuses to re-declare a queue with other arguments: [`Subscriber::run`] then returns
//! [`Error::Config`] instead of reconnecting forever. Change the delivery limit of an existing queue with a
//! policy (`rabbitmqctl set_policy … '{"delivery-limit":20}' --apply-to queues`). Patterns dropped from the
//! configuration stay bound until unbound by hand (or the queue is deleted): the library cannot list bindings
//! over AMQP.
//!
//! # Acknowledgements and prefetch
//!
//! Every delivery is acknowledged by hand, after its store transaction committed; the broker keeps at most
//! [`Builder::prefetch`] (default 32) unacknowledged deliveries in flight. Events are handled one at a time in
//! queue order, so a subject's events are handled in the order they were published; the prefetch only keeps
//! the next ones close. Replicas of one subscriber share its queue and split the work, which gives up that order
//! (two replicas may hold two events of one subject at once; the store's row locks serialise them, but a later
//! version that commits first makes the earlier one stale, and it is skipped). Where order matters, declare the
//! queue with [`Builder::single_active_consumer`]: the broker then delivers to one replica at a time and the
//! others stand by, taking over when it goes.
//!
//! # Typed handlers
//!
//! [`Builder::on::<T>`](Builder::on) registers a handler for one event type; it receives an [`Event<T>`]: the
//! CloudEvent envelope (id, source, subject, time, the optional `actor`, `subjectversion`, `traceparent`) and
//! `data` decoded as `T`. The payload types the publishers use are not yet a crate of their own, so the API is
//! generic over any `T: DeserializeOwned`: declare the fields you need (unknown fields are ignored, so a
//! publisher adding one breaks nothing), or take `serde_json::Value`. Handler bodies are written
//! `|conn, event| subscriber::boxed(async move { … })` (the [`boxed`] helper fixes the output type so `?`
//! works); a handler with state of its own may implement [`Handler`] and register with [`Builder::on_handler`].
//!
//! - An event whose type has no handler (bound by a wider pattern) is acknowledged and skipped, logged at
//!   info the first time per type (then at debug) and counted. If it carries a `subjectversion` (and gap
//!   detection is on) it still goes through the store, without a handler, so its version is recorded.
//! - A message that is not a CloudEvent, or whose `data` does not decode as `T`, will never succeed: it is
//!   dead-lettered at once (rejected without requeue), not retried.
//!
//! # Dedupe, in the same transaction as the handler's writes
//!
//! Delivery is at least once, so every event goes through a [`Store`] keyed by event id, scoped by queue name:
//! [`MemoryStore`] for development and tests (forgotten on restart), [`PgStore`] for production, in the
//! subscriber's **own** database, where it creates `subscriber_processed` and `subscriber_subject_versions` if
//! missing (plain `CREATE TABLE IF NOT EXISTS`, so nothing is written into the subscriber's migration history).
//!
//! For each event the subscriber opens one store [`Transaction`] and, inside it: claims the id (an
//! `INSERT … ON CONFLICT DO NOTHING`; already there means a duplicate: acknowledged, the handler not called),
//! checks the subject's version, runs the handler **on the transaction's connection** (`&mut
//! AsyncPgConnection` for [`PgStore`]; `&mut ()` for [`MemoryStore`]), records the version, commits, and only
//! then acknowledges. A handler that writes its projection through that connection therefore commits its writes
//! and the dedupe mark together or not at all: a failed handler leaves neither (and the retry starts clean),
//! and a crash between the commit and the acknowledgement redelivers an event whose mark is there. A handler
//! that writes elsewhere (another database, an HTTP call) gets at-least-once and should be idempotent. A handler
//! must not swallow an error of its connection: the transaction is then aborted and the commit fails, which
//! counts as a store failure (see below). Marks grow with every event; [`PgStore::purge_processed`] deletes
//! old ones (keep them longer than the stream's retention when catching up from the start).
//!
//! # Gaps and reordering
//!
//! Publishers will carry `subjectversion` (+1 per change of a subject). Where an event has it, the store keeps
//! the last version per (queue, source, subject), and [`Sequence::classify`] decides:
//!
//! - no record yet: the baseline (not a gap: what came before may predate the subscriber or the retention);
//! - `last + 1`: normal;
//! - `<= last`: stale or repeated: acknowledged and **skipped**, the claim kept (the newer state is in);
//! - `> last + 1`: a **gap**: the event is **processed** and its version recorded, then (after the commit)
//!   the gap is logged, counted in `subscriber_gaps_total` and passed to [`Builder::on_gap`] as a [`Gap`].
//!
//! Processing rather than holding is deliberate: the missing versions were most likely lost for good
//! (dead-lettered, published before the queue existed, past the stream's retention), so holding would stall the
//! subject, and the queue, forever; the callback is where a subscriber resynchronises the subject from the
//! publisher's API. Events without a version get no check (everything works as today, before publishers set
//! it). Versions count every change of a subject, whatever its type (identity bumps a user's version for
//! `identity.user.*` and for the user's `identity.assignment.*` events), so bind every type that changes the
//! subjects you follow, handlers or not (unhandled types still advance the version), or see false gaps; or
//! switch detection off with [`Builder::detect_gaps`].
//!
//! # Retries with backoff, then the dead-letter queue
//!
//! A handler error rolls the transaction back; the subscriber then **waits** (from the retry backoff's
//! initial pause, doubling with the delivery count the quorum queue reports in `x-delivery-count`, up to its
//! maximum: [`Builder::retry_backoff`], default 1 s to 60 s) and returns the message with `basic.nack`
//! requeue. The pause holds the queue (events are handled in order), so a failing handler never spins. The
//! quorum queue counts the returns; past the delivery limit the broker dead-letters the message to
//! `<queue>.dlq`, with its `x-death` headers saying why (a failing event is handled at most `limit + 1` times).
//! A panicking handler counts as a failing one, so a bug meets one event's retries, not a crash loop. Failures of the store itself (database unreachable)
//! are not the event's fault: they are retried in place with the same backoff, without returning the message,
//! so an outage never uses up delivery attempts. From `<queue>.dlq` a message can be inspected, and moved back
//! once fixed (a shovel, or the management UI's "move messages").
//!
//! # Catch-up from the stream
//!
//! With [`Builder::catch_up`] the subscriber, on start, replays `<exchange>.stream` from [`CatchUp::First`], an
//! [`CatchUp::Offset`] or a time ([`CatchUp::Since`]) through the same handlers and store, then consumes the
//! queue. The queue is declared and bound **before** the replay, so everything published from then on is in
//! the queue; the overlap (events in both) is absorbed by dedupe. The replay applies the queue's own patterns
//! (the stream holds every event), acknowledges as it goes (a bounded prefetch, as streams require) and ends at
//! whichever comes first:
//!
//! - the stream stays quiet for [`Builder::catch_up_idle`] (default 2 s): the stream delivers its backlog as
//!   fast as the prefetch allows, so quiet means the end was reached;
//! - an event stamped (its CloudEvents `time`) later than the queue's binding plus [`Builder::clock_skew`]
//!   (default 5 s): it, and everything after it, was published after the binding and is in the queue. This ends
//!   the replay on a busy exchange, where the stream is never quiet.
//!
//! A replayed event whose handler keeps failing is retried in place with the same pauses (a stream cannot take a
//! message back) and, past the delivery limit, published to `<queue>.dlq` with the reason in
//! `x-subscriber-dead-letter-reason`; so is one that cannot be decoded. A session lost during the replay resumes
//! it at the next offset. The replay happens once per [`Subscriber::run`]; a reconnect goes straight to the
//! queue, which kept everything meanwhile. A process that catches up on every start replays the stream every
//! time: harmless with a persistent store, but choose [`CatchUp::Since`] or no catch-up once the projection is
//! built if the stream is large. If the exchange has no stream yet, there is nothing to replay and the
//! subscriber consumes the queue.
//!
//! # Reconnects and stopping
//!
//! Any loss (connection cut, broker restart, the queue deleted under the consumer, a missed heartbeat) ends the
//! session; the subscriber reconnects with backoff (100 ms doubling to [`Builder::reconnect_backoff`], default
//! 30 s, starting over after a session that reached the queue), declares its topology again and resumes
//! consuming; what was unacknowledged is redelivered (and deduped). Connecting, declaring and closing are
//! time-bounded ([`Builder::connect_timeout`]); a link that goes half-open while consuming is noticed by the
//! AMQP heartbeat the broker negotiates (60 s by default). [`Subscriber::run`] stops when its `CancellationToken` is cancelled: no new
//! delivery is started, the handler in progress finishes and its event is acknowledged, the consumer is
//! cancelled and the connection closed; prefetched deliveries go back to the queue. [`Subscriber::status`]
//! tells whether it is connected, replaying or consuming, for a readiness probe.
//!
//! # Logs and metrics
//!
//! `tracing` events in the span `subscriber{queue}`; through the `metrics` facade (a no-op without a
//! recorder): `subscriber_events_total{outcome=handled|duplicate|stale|unhandled|retried|dead_lettered}`,
//! `subscriber_handler_failures_total`, `subscriber_gaps_total`, `subscriber_reconnects_total`, and the gauge
//! `subscriber_connected`.

mod builder;
mod consumer;
mod error;
mod handler;
mod sequence;
mod store;
pub mod topology;

pub(crate) use builder::Settings;
pub use builder::{Builder, CatchUp, DEFAULT_EXCHANGE, Subscriber};
pub use consumer::Status;
pub use error::{Error, HandlerError};
pub use handler::{Event, Handler, HandlerResult, boxed};
pub use sequence::{Gap, Sequence};
pub use store::{EventKey, MemoryStore, MemoryTx, PgStore, PgTx, Store, SubjectKey, Transaction};
