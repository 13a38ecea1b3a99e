//! The service's own tables: the generated schema, the rows with the Rust types of their fixed-value columns
//! (`persistence::text_enum!`, the migrations' CHECK constraints kept),
//! and the embedded migrations (applied after the shared outbox's).

pub mod models;
/// Tables, exactly as `diesel print-schema` prints them (see `diesel.toml`).
pub mod schema;

use diesel_migrations::EmbeddedMigrations;

/// The service's migrations, applied after the shared outbox's.
pub static MIGRATIONS: EmbeddedMigrations = diesel_migrations::embed_migrations!("migrations");

/// What a per-tenant advisory lock serializes (each is its own lock namespace).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TenantLock {
    /// Creates: one default connection per tenant and provider.
    Defaults,
    /// Verification starts: one active run per tenant.
    Runs,
}

impl TenantLock {
    fn namespace(self) -> i32 {
        match self {
            Self::Defaults => 0x5043_0001,
            Self::Runs => 0x5043_0002,
        }
    }
}

/// Takes `lock` for the tenant until the transaction ends.
pub async fn lock_tenant(
    conn: &mut diesel_async::AsyncPgConnection,
    lock: TenantLock,
    workspace_id: &str,
    tenant: &str,
) -> diesel::QueryResult<()> {
    use diesel::sql_types::{Integer, Text};
    use diesel_async::RunQueryDsl;
    diesel::sql_query("SELECT pg_advisory_xact_lock($1, hashtext($2 || '/' || $3))")
        .bind::<Integer, _>(lock.namespace())
        .bind::<Text, _>(workspace_id)
        .bind::<Text, _>(tenant)
        .execute(conn)
        .await?;
    Ok(())
}
