//! The directory's use cases. Each write is one transaction holding the change and its events (outbox), so an
//! event exists exactly when its change does; each read is a fixed number of indexed statements.

pub mod assignments;
pub mod groups;
pub mod grouptypes;
pub mod permissions;
pub mod users;

use crate::error::ApiError;
use persistence::DbError;

/// Replaces the generic meaning of a violated constraint with what it means in this use case.
fn on_conflict(err: DbError, constraint: &str, message: impl FnOnce() -> String) -> ApiError {
    match err {
        DbError::Conflict {
            constraint: ref c, ..
        } if c == constraint => ApiError::Conflict(message()),
        other => other.into(),
    }
}

/// A write transaction's failure: the database's, or "nothing there" found after a step that must then be
/// rolled back.
pub(crate) enum TxError {
    Db(DbError),
    Absent,
}

impl From<diesel::result::Error> for TxError {
    fn from(err: diesel::result::Error) -> Self {
        TxError::Db(DbError::from(err))
    }
}

impl From<DbError> for TxError {
    fn from(err: DbError) -> Self {
        TxError::Db(err)
    }
}

/// A count as a version increment (a transaction never revokes anywhere near `i64::MAX` rows).
pub(crate) fn increment(count: usize) -> i64 {
    i64::try_from(count).unwrap_or(i64::MAX)
}

#[derive(diesel::QueryableByName)]
struct Bumped {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    oid: uuid::Uuid,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    version: i64,
}

/// Bumps each user's version by the number of its assignments in `revoked`, in one statement, and returns each
/// user's version after it (the caller numbers the users' `revoked` events up to it with `events::cascade`).
/// The users must already be locked by the transaction (see `groups::delete`), so this takes no new lock.
pub(crate) async fn bump_users(
    conn: &mut diesel_async::AsyncPgConnection,
    revoked: &[crate::db::models::Assignment],
) -> diesel::QueryResult<std::collections::HashMap<uuid::Uuid, i64>> {
    use diesel::sql_types::{Array, BigInt};
    use diesel_async::RunQueryDsl;
    let mut counts = std::collections::BTreeMap::<uuid::Uuid, i64>::new();
    for a in revoked {
        *counts.entry(a.userid).or_insert(0) += 1;
    }
    if counts.is_empty() {
        return Ok(std::collections::HashMap::new());
    }
    let (oids, increments): (Vec<uuid::Uuid>, Vec<i64>) = counts.into_iter().unzip();
    let bumped = diesel::sql_query(
        "UPDATE users SET version = users.version + c.n \
         FROM unnest($1::uuid[], $2::bigint[]) AS c(oid, n) \
         WHERE users.oid = c.oid RETURNING users.oid, users.version",
    )
    .bind::<Array<diesel::sql_types::Uuid>, _>(oids)
    .bind::<Array<BigInt>, _>(increments)
    .load::<Bumped>(conn)
    .await?;
    Ok(bumped.into_iter().map(|b| (b.oid, b.version)).collect())
}
