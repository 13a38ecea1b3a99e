//! The idp-management service's own tables: schema, rows and embedded migrations.

/// Rows.
pub mod models;
/// Tables.
pub mod schema;

use diesel_migrations::EmbeddedMigrations;

/// The service's migrations, applied after the shared outbox's.
pub const MIGRATIONS: EmbeddedMigrations = diesel_migrations::embed_migrations!("migrations");
