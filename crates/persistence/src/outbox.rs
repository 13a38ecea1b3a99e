//! The transactional outbox: events are rows written in the change's own transaction, and the relay (in the
//! `bus` crate) publishes them after commit. No event exists without its change, nor a change without its event.
//!
//! Waking the relay: never a `NOTIFY` in the writing transaction (it takes a lock shared by the whole PostgreSQL
//! cluster at commit and holds it through the WAL flush, serializing every write and halving the commit rate).
//! The process that committed wakes its own relay with [`wake_after_commit`]. A replica whose relay does not
//! lead forwards those wake-ups to the leader's session as a `NOTIFY` of its own, after the commit and from a
//! session of its own ([`notify_leader`], coalesced by the relay crate), never inside a change's transaction; a
//! slow safety poll finds whatever a lost notification missed.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use domain::CloudEvent;

diesel::table! {
    outbox (seq) {
        seq -> Int8,
        event_id -> Uuid,
        event_type -> Text,
        subject -> Text,
        envelope -> Jsonb,
        created_at -> Timestamptz,
        delivered_at -> Nullable<Timestamptz>,
    }
}

#[derive(Insertable)]
#[diesel(table_name = outbox)]
struct NewRow<'a> {
    event_id: uuid::Uuid,
    event_type: &'a str,
    subject: &'a str,
    envelope: serde_json::Value,
}

/// An undelivered event, in outbox order.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = outbox)]
pub struct Pending {
    pub seq: i64,
    pub event_id: uuid::Uuid,
    pub event_type: String,
    pub envelope: serde_json::Value,
}

/// Appends events in one statement. Call it inside the transaction that makes the change.
#[tracing::instrument(name = "outbox.append", skip_all, fields(events = events.len()))]
pub async fn append(conn: &mut AsyncPgConnection, events: &[CloudEvent]) -> QueryResult<()> {
    if events.is_empty() {
        return Ok(());
    }
    let rows = events
        .iter()
        .map(|event| {
            Ok(NewRow {
                event_id: event.id,
                event_type: &event.event_type,
                subject: &event.subject,
                envelope: serde_json::to_value(event)
                    .map_err(|err| diesel::result::Error::SerializationError(Box::new(err)))?,
            })
        })
        .collect::<QueryResult<Vec<_>>>()?;
    diesel::insert_into(outbox::table)
        .values(rows)
        .execute(conn)
        .await?;
    Ok(())
}

/// The channel the leading relay listens on for rows other replicas committed (one database per service, so the
/// name needs no prefix).
const WAKE_CHANNEL: &str = "outbox_wake";

/// Subscribes the leading relay's own session to other replicas' wake-ups (once, after it is elected); they are
/// read with `AsyncPgConnection::notifications_stream`, which buffers them until then.
pub async fn listen(conn: &mut AsyncPgConnection) -> QueryResult<()> {
    diesel::sql_query(format!("LISTEN {WAKE_CHANNEL}"))
        .execute(conn)
        .await?;
    Ok(())
}

/// Prepares the leading relay's lock session: its own commits (the marks of confirmed events, the purges) do not
/// wait for the WAL flush. A mark lost with a crash of PostgreSQL only means its events are published once more,
/// which at-least-once delivery already allows (subscribers dedupe by event id); waiting for the flush put one
/// more synchronous commit per batch in the queue the writers' own commits wait in.
pub async fn prepare_relay_session(conn: &mut AsyncPgConnection) -> QueryResult<()> {
    diesel::sql_query("SELECT set_config('synchronous_commit', 'off', false)")
        .execute(conn)
        .await?;
    Ok(())
}

/// Prepares a session for [`notify_leader`]: its transactions (each a lone `NOTIFY`) do not wait for the WAL
/// flush, so the lock a `NOTIFY` takes on the whole cluster at commit is held for microseconds, and by this
/// session alone, never by a change's commit. Its `application_name` gains ` wake`, so operators (and fault
/// tests) tell it from the relay's own session in `pg_stat_activity`.
pub async fn prepare_notifier(conn: &mut AsyncPgConnection) -> QueryResult<()> {
    diesel::sql_query(
        "SELECT set_config('synchronous_commit', 'off', false), \
         set_config('application_name', current_setting('application_name') || ' wake', false)",
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Wakes the leading relay on another replica: rows were committed here. Call it after the commit, on a session
/// prepared by [`prepare_notifier`] and outside any transaction.
pub async fn notify_leader(conn: &mut AsyncPgConnection) -> QueryResult<()> {
    diesel::sql_query(format!("NOTIFY {WAKE_CHANNEL}"))
        .execute(conn)
        .await?;
    Ok(())
}

/// The oldest `limit` undelivered events, in the order they were written, except those in `in_flight` (sent,
/// their confirms still to come). Not a cursor past the last sent event: a transaction can commit a lower
/// sequence number after a higher one was read, and a cursor would skip it for good.
pub async fn pending(
    conn: &mut AsyncPgConnection,
    in_flight: &[i64],
    limit: i64,
) -> QueryResult<Vec<Pending>> {
    outbox::table
        .filter(outbox::delivered_at.is_null())
        .filter(outbox::seq.ne_all(in_flight))
        .order(outbox::seq.asc())
        .limit(limit)
        .select(Pending::as_select())
        .load(conn)
        .await
}

/// Marks events delivered once the broker has confirmed them.
pub async fn mark_delivered(conn: &mut AsyncPgConnection, seqs: &[i64]) -> QueryResult<usize> {
    diesel::update(outbox::table.filter(outbox::seq.eq_any(seqs)))
        .set(outbox::delivered_at.eq(diesel::dsl::now))
        .execute(conn)
        .await
}

/// How many events wait, and since when the oldest has waited.
pub async fn backlog(conn: &mut AsyncPgConnection) -> QueryResult<(i64, Option<DateTime<Utc>>)> {
    outbox::table
        .filter(outbox::delivered_at.is_null())
        .select((
            diesel::dsl::count_star(),
            diesel::dsl::min(outbox::created_at),
        ))
        .get_result(conn)
        .await
}

/// Deletes up to `limit` delivered rows older than `before`, oldest first: bounded, so a purge under continuous
/// load holds no long lock and competes little with the relay's own statements.
pub async fn purge_delivered_chunk(
    conn: &mut AsyncPgConnection,
    before: DateTime<Utc>,
    limit: i64,
) -> QueryResult<usize> {
    use diesel::sql_types::{BigInt, Timestamptz};
    diesel::sql_query(
        "DELETE FROM outbox WHERE seq IN \
         (SELECT seq FROM outbox WHERE delivered_at < $1 ORDER BY delivered_at LIMIT $2)",
    )
    .bind::<Timestamptz, _>(before)
    .bind::<BigInt, _>(limit)
    .execute(conn)
    .await
}

/// Commits seen by this process (a generation counter) and the relays waiting for the next one. Every relay of
/// the process is woken (there is one in production; tests run many), and a commit that lands while a relay
/// is busy is not lost: the relay compares generations before it waits.
struct WakeSignal {
    generation: std::sync::atomic::AtomicU64,
    waiting: tokio::sync::Notify,
}

fn wake_signal() -> &'static WakeSignal {
    static WAKE: std::sync::OnceLock<WakeSignal> = std::sync::OnceLock::new();
    WAKE.get_or_init(|| WakeSignal {
        generation: std::sync::atomic::AtomicU64::new(0),
        waiting: tokio::sync::Notify::new(),
    })
}

/// Passes a transaction's outcome through, waking this process's relay when it committed. Wrap every
/// transaction that appends events: `outbox::wake_after_commit(conn.transaction(..).await)`.
pub fn wake_after_commit<T, E>(outcome: Result<T, E>) -> Result<T, E> {
    if outcome.is_ok() {
        wake();
    }
    outcome
}

/// Wakes this process's relay: for a transaction that appends events only sometimes (a sweep that found
/// nothing to change wrote none, and waking for it would make an idle relay poll as if events flowed).
pub fn wake() {
    let signal = wake_signal();
    signal
        .generation
        .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    signal.waiting.notify_waiters();
}

/// The current commit generation: read it before looking for pending rows, then wait with [`woken_since`].
pub fn wake_generation() -> u64 {
    // Fully qualified: diesel's `RunQueryDsl::load` is in scope here.
    std::sync::atomic::AtomicU64::load(
        &wake_signal().generation,
        std::sync::atomic::Ordering::SeqCst,
    )
}

/// Resolves at the first commit after `generation` was read (at once if one already came).
pub async fn woken_since(generation: u64) {
    let signal = wake_signal();
    let notified = signal.waiting.notified();
    let mut notified = std::pin::pin!(notified);
    notified.as_mut().enable();
    if wake_generation() != generation {
        return;
    }
    notified.await;
}
