//! The PostgreSQL store: two tables in the subscriber's own database, written in the same transaction as the
//! handler's writes (the handler is given that transaction's connection).

use super::{EventKey, Store, SubjectKey, Transaction};
use crate::error::Error;
use diesel::sql_types::{BigInt, Text};
use diesel_async::{
    AnsiTransactionManager, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection,
    TransactionManager,
};
use persistence::{DbSettings, Pool, PooledConn};

/// The store's tables, created if missing. Plain `CREATE … IF NOT EXISTS` rather than a migration, so the
/// library never writes into the subscriber's own migration history; the advisory lock keeps two replicas
/// starting together from racing on the catalogue (one simple-query string is one transaction, so the
/// transaction-scoped lock covers every statement).
const SCHEMA: &str = "
SELECT pg_advisory_xact_lock(7226381927161384302);
CREATE TABLE IF NOT EXISTS subscriber_processed (
    scope        text        NOT NULL,
    event_id     uuid        NOT NULL,
    event_type   text        NOT NULL,
    processed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (scope, event_id)
);
CREATE INDEX IF NOT EXISTS subscriber_processed_processed_at ON subscriber_processed (processed_at);
CREATE TABLE IF NOT EXISTS subscriber_subject_versions (
    scope      text        NOT NULL,
    source     text        NOT NULL,
    subject    text        NOT NULL,
    version    bigint      NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (scope, source, subject)
);
";

/// Dedupe marks (`subscriber_processed`) and subject versions (`subscriber_subject_versions`) in PostgreSQL.
///
/// Handlers get the `AsyncPgConnection` of the event's transaction: what they write through it commits with the
/// event's dedupe mark and version, or rolls back with them.
#[derive(Clone)]
pub struct PgStore {
    pool: Pool,
}

impl PgStore {
    /// A store on the database `url` names (which must exist), with a small pool of its own, creating its
    /// tables if missing.
    pub async fn connect(url: &str) -> Result<Self, Error> {
        let pool = persistence::db::build_pool(&DbSettings {
            url: url.to_owned(),
            // Events are processed one at a time; the second connection covers a rollback still in flight.
            pool_size: 2,
            acquire_timeout_ms: 5_000,
            auto_migrate: false,
        })
        .map_err(Error::store)?;
        Self::new(pool).await
    }

    /// A store on an existing pool (the subscriber's own), creating its tables if missing.
    pub async fn new(pool: Pool) -> Result<Self, Error> {
        let mut conn = persistence::db::conn(&pool).await.map_err(Error::store)?;
        conn.batch_execute(SCHEMA).await.map_err(Error::store)?;
        Ok(Self { pool })
    }

    /// The pool, for the subscriber's own reads.
    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// Deletes dedupe marks older than `older_than`; returns how many. Keep marks for longer than any
    /// redelivery or replay can reach back: with catch-up from the stream's start, longer than the stream's
    /// retention (`bus.stream_max_age`, 7 days by default).
    pub async fn purge_processed(&self, older_than: std::time::Duration) -> Result<usize, Error> {
        let seconds = i64::try_from(older_than.as_secs()).unwrap_or(i64::MAX);
        let mut conn = persistence::db::conn(&self.pool)
            .await
            .map_err(Error::store)?;
        diesel::sql_query(
            "DELETE FROM subscriber_processed WHERE processed_at < now() - make_interval(secs => $1)",
        )
        .bind::<BigInt, _>(seconds)
        .execute(&mut *conn)
        .await
        .map_err(Error::store)
    }
}

/// One event's transaction on a pooled connection. Dropped without commit or rollback, the connection goes back
/// to the pool with its transaction open, which the pool treats as broken and discards (rolling it back).
pub struct PgTx {
    conn: PooledConn,
}

impl Store for PgStore {
    type Conn = AsyncPgConnection;
    type Tx = PgTx;

    async fn begin(&self) -> Result<PgTx, Error> {
        let mut conn = persistence::db::conn(&self.pool)
            .await
            .map_err(Error::store)?;
        AnsiTransactionManager::begin_transaction(&mut *conn)
            .await
            .map_err(Error::store)?;
        Ok(PgTx { conn })
    }
}

#[derive(diesel::QueryableByName)]
struct Version {
    #[diesel(sql_type = BigInt)]
    version: i64,
}

impl Transaction for PgTx {
    type Conn = AsyncPgConnection;

    fn conn(&mut self) -> &mut AsyncPgConnection {
        &mut self.conn
    }

    /// An insert that skips a conflict: the row lock it takes makes a second processor of the same id (another
    /// replica, after a redelivery) wait for this transaction and then find the mark.
    async fn claim(&mut self, event: &EventKey<'_>) -> Result<bool, Error> {
        let inserted = diesel::sql_query(
            "INSERT INTO subscriber_processed (scope, event_id, event_type) VALUES ($1, $2, $3) \
             ON CONFLICT DO NOTHING",
        )
        .bind::<Text, _>(event.scope)
        .bind::<diesel::sql_types::Uuid, _>(event.id)
        .bind::<Text, _>(event.event_type)
        .execute(&mut *self.conn)
        .await
        .map_err(Error::store)?;
        Ok(inserted == 1)
    }

    /// Locks the subject's row, so two replicas never judge the same subject's versions at once.
    async fn last_version(&mut self, subject: &SubjectKey<'_>) -> Result<Option<i64>, Error> {
        let found: Vec<Version> = diesel::sql_query(
            "SELECT version FROM subscriber_subject_versions \
             WHERE scope = $1 AND source = $2 AND subject = $3 FOR UPDATE",
        )
        .bind::<Text, _>(subject.scope)
        .bind::<Text, _>(subject.source)
        .bind::<Text, _>(subject.subject)
        .load(&mut *self.conn)
        .await
        .map_err(Error::store)?;
        Ok(found.into_iter().next().map(|row| row.version))
    }

    async fn set_version(&mut self, subject: &SubjectKey<'_>, version: i64) -> Result<(), Error> {
        diesel::sql_query(
            "INSERT INTO subscriber_subject_versions (scope, source, subject, version) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (scope, source, subject) DO UPDATE \
             SET version = GREATEST(subscriber_subject_versions.version, EXCLUDED.version), updated_at = now()",
        )
        .bind::<Text, _>(subject.scope)
        .bind::<Text, _>(subject.source)
        .bind::<Text, _>(subject.subject)
        .bind::<BigInt, _>(version)
        .execute(&mut *self.conn)
        .await
        .map_err(Error::store)?;
        Ok(())
    }

    async fn commit(mut self) -> Result<(), Error> {
        AnsiTransactionManager::commit_transaction(&mut *self.conn)
            .await
            .map_err(Error::store)
    }

    async fn rollback(mut self) -> Result<(), Error> {
        AnsiTransactionManager::rollback_transaction(&mut *self.conn)
            .await
            .map_err(Error::store)
    }
}
