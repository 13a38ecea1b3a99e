//! Pool, database bootstrap and migrations.

use crate::DbError;
use diesel::migration::MigrationSource;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_async::pooled_connection::AsyncDieselConnectionManager;
use diesel_async::pooled_connection::deadpool::{Object, Pool as DeadPool};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness};
use serde::Deserialize;
use std::time::Duration;

/// A pool of async PostgreSQL connections.
pub type Pool = DeadPool<AsyncPgConnection>;
/// A connection checked out of the [`Pool`].
pub type PooledConn = Object<AsyncPgConnection>;

/// Advisory-lock key under which migrations run, so replicas starting together don't race.
const MIGRATION_LOCK_KEY: i64 = 0x6d69_6772_6174_6521;

/// Database settings every service shares.
#[derive(Debug, Clone, Deserialize)]
pub struct DbSettings {
    /// `postgres://user@host:port/dbname`; the database is created if missing when `auto_migrate` is on.
    pub url: String,
    /// Connections per process. The default suits a 2-core host running PostgreSQL beside the service.
    pub pool_size: usize,
    /// How long a request waits for a free connection (or a new one) before answering 503.
    pub acquire_timeout_ms: u64,
    /// Create the database and apply migrations on start; production turns this off and runs `migrate` as a job.
    pub auto_migrate: bool,
}

/// Builds the pool; connections are opened lazily, so this does not touch the network.
pub fn build_pool(settings: &DbSettings) -> Result<Pool, DbError> {
    let mut setup = diesel_async::pooled_connection::ManagerConfig::default();
    // A checkout costs no round trip: the default (`Verified`) sent `SELECT 1` before every request's work, one
    // statement in two of a read. A connection the server closed (restart, terminated session) is already
    // marked closed by its socket's end and is dropped at checkout; only a silently dead link is found at first
    // use, which a ping would have hung on too.
    setup.recycling_method = diesel_async::pooled_connection::RecyclingMethod::Fast;
    setup.custom_setup = Box::new(|url| {
        Box::pin(async move {
            let mut conn = AsyncPgConnection::establish(url).await?;
            crate::statements::install(&mut conn);
            Ok(conn)
        })
    });
    let manager =
        AsyncDieselConnectionManager::<AsyncPgConnection>::new_with_config(&settings.url, setup);
    let timeout = Some(Duration::from_millis(settings.acquire_timeout_ms));
    Pool::builder(manager)
        .max_size(settings.pool_size)
        .wait_timeout(timeout)
        .create_timeout(timeout)
        .recycle_timeout(timeout)
        .runtime(deadpool::Runtime::Tokio1)
        .build()
        .map_err(|err| DbError::Unavailable(err.to_string()))
}

/// Checks a connection out of `pool`, as [`DbError::Unavailable`] when none comes in time.
pub async fn conn(pool: &Pool) -> Result<PooledConn, DbError> {
    pool.get()
        .await
        .map_err(|err| DbError::Unavailable(err.to_string()))
}

/// Opens one connection outside the pool (for the relay's lock holder, bootstrap and tests).
pub async fn connect(url: &str, timeout: Duration) -> Result<AsyncPgConnection, DbError> {
    match tokio::time::timeout(timeout, AsyncPgConnection::establish(url)).await {
        Ok(Ok(mut conn)) => {
            crate::statements::install(&mut conn);
            Ok(conn)
        }
        Ok(Err(err)) => Err(DbError::Unavailable(err.to_string())),
        Err(_) => Err(DbError::Unavailable(format!(
            "no connection within {timeout:?}"
        ))),
    }
}

/// The database name in `url` and the same URL pointed at the `postgres` maintenance database.
fn split_database(url: &str) -> Result<(String, String), DbError> {
    let mut parsed = url::Url::parse(url)
        .map_err(|err| DbError::Unavailable(format!("bad database url: {err}")))?;
    let name = parsed.path().trim_start_matches('/').to_owned();
    if name.is_empty() {
        return Err(DbError::Unavailable(
            "database url names no database".to_owned(),
        ));
    }
    // PostgreSQL silently truncates longer identifiers, so a later start would look for a name that does not exist.
    if name.len() > 63 {
        return Err(DbError::Unavailable(format!(
            "database name {name:?} is longer than PostgreSQL's 63-byte limit"
        )));
    }
    parsed.set_path("/postgres");
    Ok((name, parsed.to_string()))
}

/// Creates the database named in `url` if it does not exist yet.
pub async fn ensure_database(url: &str) -> Result<(), DbError> {
    let (name, admin_url) = split_database(url)?;
    let mut conn = connect(&admin_url, Duration::from_secs(10)).await?;
    if database_exists(&mut conn, &name).await? {
        return Ok(());
    }
    let create = format!("CREATE DATABASE {}", quote_ident(&name));
    if let Err(err) = diesel::sql_query(create).execute(&mut conn).await {
        // A replica starting beside us may have won the race; only a still-missing database is an error.
        if !database_exists(&mut conn, &name).await? {
            return Err(err.into());
        }
    }
    tracing::info!(database = %name, "created database");
    Ok(())
}

/// Drops the database named in `url`, disconnecting its sessions (tests and tooling only).
pub async fn drop_database(url: &str) -> Result<(), DbError> {
    let (name, admin_url) = split_database(url)?;
    let mut conn = connect(&admin_url, Duration::from_secs(10)).await?;
    let drop = format!(
        "DROP DATABASE IF EXISTS {} WITH (FORCE)",
        quote_ident(&name)
    );
    diesel::sql_query(drop).execute(&mut conn).await?;
    Ok(())
}

/// Creates the template database `url` names, migrated with the outbox's and `migrations`, unless it exists.
/// Concurrent callers (test processes) wait on an advisory lock for the first; the template appears under its
/// name only once fully migrated (built under another name, then renamed), so its existence means ready.
pub async fn ensure_template(
    url: &str,
    migrations: &'static EmbeddedMigrations,
) -> Result<(), DbError> {
    let (name, admin_url) = split_database(url)?;
    let mut conn = connect(&admin_url, Duration::from_secs(10)).await?;
    let key = advisory_key(&name);
    lock_query("pg_advisory_lock", key)
        .execute(&mut conn)
        .await?;
    let built = build_template(&mut conn, url, &name, migrations).await;
    lock_query("pg_advisory_unlock", key)
        .execute(&mut conn)
        .await?;
    built
}

async fn build_template(
    conn: &mut AsyncPgConnection,
    url: &str,
    name: &str,
    migrations: &'static EmbeddedMigrations,
) -> Result<(), DbError> {
    if database_exists(conn, name).await? {
        return Ok(());
    }
    let building = format!("{name}_new");
    let building_url = url.replacen(&format!("/{name}"), &format!("/{building}"), 1);
    drop_database(&building_url).await?;
    ensure_database(&building_url).await?;
    migrate(&building_url, migrations)
        .await
        .map_err(|err| DbError::Unavailable(err.to_string()))?;
    let rename = format!(
        "ALTER DATABASE {} RENAME TO {}",
        quote_ident(&building),
        quote_ident(name)
    );
    diesel::sql_query(rename).execute(conn).await?;
    Ok(())
}

/// Creates the database `url` names as a copy of the database `template_url` names (which nobody may be
/// connected to: templates are only ever connected to while they are built, under another name).
pub async fn create_from_template(url: &str, template_url: &str) -> Result<(), DbError> {
    let (name, admin_url) = split_database(url)?;
    let (template, _) = split_database(template_url)?;
    let mut conn = connect(&admin_url, Duration::from_secs(10)).await?;
    let create = format!(
        "CREATE DATABASE {} TEMPLATE {}",
        quote_ident(&name),
        quote_ident(&template)
    );
    diesel::sql_query(create).execute(&mut conn).await?;
    Ok(())
}

/// A stable advisory-lock key for a name (FNV-1a: the same in every process, unlike `DefaultHasher`).
fn advisory_key(name: &str) -> i64 {
    let hash = name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    i64::from_ne_bytes(hash.to_ne_bytes())
}

fn lock_query(function: &str, key: i64) -> diesel::query_builder::SqlQuery {
    diesel::sql_query(format!("SELECT {function}({key})"))
}

async fn database_exists(conn: &mut AsyncPgConnection, name: &str) -> Result<bool, DbError> {
    use diesel::dsl::sql;
    use diesel::sql_types::{Bool, Text};
    let exists = diesel::select(
        sql::<Bool>("EXISTS (SELECT 1 FROM pg_database WHERE datname = ")
            .bind::<Text, _>(name)
            .sql(")"),
    )
    .get_result::<bool>(conn)
    .await?;
    Ok(exists)
}

fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Waits for a session-level advisory lock (held until the connection closes). A standby waiting here takes
/// over the moment the holder's session ends, with no polling.
pub async fn session_lock(conn: &mut AsyncPgConnection, key: i64) -> Result<(), DbError> {
    use diesel::sql_types::BigInt;
    diesel::sql_query("SELECT pg_advisory_lock($1)")
        .bind::<BigInt, _>(key)
        .execute(conn)
        .await?;
    Ok(())
}

/// Failure to apply migrations; carries the harness's own message.
#[derive(Debug, thiserror::Error)]
#[error("migration failed: {0}")]
pub struct MigrationError(String);

/// The migrations every service runs before its own: the outbox.
pub const OUTBOX_MIGRATIONS: EmbeddedMigrations =
    diesel_migrations::embed_migrations!("migrations/outbox");

/// Applies the outbox migrations and then `service`'s, under an advisory lock so concurrent replicas wait
/// for the first one instead of racing it. Runs on a blocking thread: diesel's harness is synchronous.
pub async fn migrate(
    url: &str,
    service: &'static EmbeddedMigrations,
) -> Result<Vec<String>, MigrationError> {
    let url = url.to_owned();
    let task = tokio::task::spawn_blocking(move || -> Result<Vec<String>, MigrationError> {
        let fail = |err: &dyn std::fmt::Display| MigrationError(err.to_string());
        let mut conn =
            <AsyncConnectionWrapper<AsyncPgConnection> as diesel::Connection>::establish(&url)
                .map_err(|e| fail(&e))?;
        let lock = diesel::sql_query(format!("SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})"));
        diesel::RunQueryDsl::execute(lock, &mut conn).map_err(|e| fail(&e))?;
        let mut applied = Vec::new();
        let result = [&OUTBOX_MIGRATIONS, service]
            .into_iter()
            .try_for_each(|source| {
                let versions = conn
                    .run_pending_migrations(Borrowed(source))
                    .map_err(|e| fail(&*e))?;
                applied.extend(versions.into_iter().map(|v| v.to_string()));
                Ok(())
            });
        let unlock = diesel::RunQueryDsl::execute(
            diesel::sql_query(format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})")),
            &mut conn,
        );
        result?;
        unlock.map_err(|e| fail(&e))?;
        Ok(applied)
    });
    task.await.map_err(|err| MigrationError(err.to_string()))?
}

/// Embedded migrations by reference (diesel's harness takes its source by value, and the embedded set cannot be
/// copied), so a service's migrations can be a `&'static` shared by the runner and the readiness probe.
struct Borrowed(&'static EmbeddedMigrations);

impl MigrationSource<Pg> for Borrowed {
    fn migrations(
        &self,
    ) -> diesel::migration::Result<Vec<Box<dyn diesel::migration::Migration<Pg>>>> {
        MigrationSource::<Pg>::migrations(self.0)
    }
}

/// Versions of the outbox's and `service`'s migrations not yet applied to the database (empty when current).
pub async fn pending_migrations(
    conn: &mut AsyncPgConnection,
    service: &EmbeddedMigrations,
) -> Result<Vec<String>, DbError> {
    use diesel::sql_types::Text;
    #[derive(QueryableByName)]
    struct Version {
        #[diesel(sql_type = Text)]
        version: String,
    }
    let has_table = diesel::select(diesel::dsl::sql::<diesel::sql_types::Bool>(
        "to_regclass('__diesel_schema_migrations') IS NOT NULL",
    ))
    .get_result::<bool>(conn)
    .await?;
    let applied: Vec<Version> = if has_table {
        diesel::sql_query("SELECT version FROM __diesel_schema_migrations")
            .load(conn)
            .await?
    } else {
        Vec::new()
    };
    let applied: std::collections::HashSet<String> =
        applied.into_iter().map(|v| v.version).collect();
    let mut pending = Vec::new();
    for source in [&OUTBOX_MIGRATIONS, service] {
        let known = MigrationSource::<Pg>::migrations(source)
            .map_err(|err| DbError::Unavailable(err.to_string()))?;
        for migration in known {
            let version = migration.name().version().to_string();
            if !applied.contains(&version) {
                pending.push(version);
            }
        }
    }
    Ok(pending)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_database_name_from_url() {
        let (name, admin) =
            split_database("postgres://postgres@127.0.0.1:5432/identity?sslmode=disable").unwrap();
        assert_eq!(name, "identity");
        assert_eq!(
            admin,
            "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
        );
    }

    #[test]
    fn refuses_names_postgres_would_truncate() {
        let long = format!("postgres://h/{}", "d".repeat(64));
        assert!(split_database(&long).is_err());
        assert!(split_database(&format!("postgres://h/{}", "d".repeat(63))).is_ok());
    }

    #[test]
    fn quotes_identifiers() {
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
    }
}
