//! The transactional outbox: events are rows written in the change's own transaction, and the relay (in the
//! `bus` crate) publishes them after commit. No event exists without its change, nor a change without its event.

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

/// The oldest `limit` undelivered events, in the order they were written.
pub async fn pending(conn: &mut AsyncPgConnection, limit: i64) -> QueryResult<Vec<Pending>> {
    outbox::table
        .filter(outbox::delivered_at.is_null())
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

/// Deletes delivered rows older than `before`; the outbox is a queue, not an archive.
pub async fn purge_delivered(
    conn: &mut AsyncPgConnection,
    before: DateTime<Utc>,
) -> QueryResult<usize> {
    diesel::delete(outbox::table.filter(outbox::delivered_at.lt(before)))
        .execute(conn)
        .await
}

/// Subscribes this connection to the commit-time wake-ups the outbox trigger sends.
pub async fn listen(conn: &mut AsyncPgConnection) -> QueryResult<()> {
    diesel::sql_query("LISTEN outbox").execute(conn).await?;
    Ok(())
}
