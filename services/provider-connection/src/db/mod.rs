//! The service's own tables: schema, rows and embedded migrations.

pub mod models;
pub mod schema;

use diesel_migrations::EmbeddedMigrations;

/// The service's migrations, applied after the shared outbox's.
pub const MIGRATIONS: EmbeddedMigrations = diesel_migrations::embed_migrations!("migrations");
