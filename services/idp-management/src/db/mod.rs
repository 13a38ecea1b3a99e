//! The idp-management service's own tables: the generated schema, the rows and the Rust types of their
//! fixed-value and id columns (mapped with `persistence::text_enum!` / `text_column!`), and the embedded migrations (applied after the shared outbox's).

/// Rows and column types.
pub mod models;
/// Tables, as `diesel print-schema` prints them (`diesel.toml`).
pub mod schema;

use diesel_migrations::EmbeddedMigrations;

/// The service's migrations, applied after the shared outbox's.
pub static MIGRATIONS: EmbeddedMigrations = diesel_migrations::embed_migrations!("migrations");
