//! PostgreSQL access shared by every service: the pool, database bootstrap and migrations, the transactional
//! outbox, and the one error type the layers above map to HTTP.
//!
//! Query functions take a `&mut AsyncPgConnection` so callers can group several in one transaction.
//! Each service keeps its own schema and migrations; nothing here knows a service's tables.

pub mod column;
pub mod db;
pub mod error;
pub mod outbox;
pub mod statements;

pub use column::{TextColumn, TextEnum};
pub use db::{DbSettings, Pool, PooledConn};
/// For the column macros (`text_enum!`, `text_column!`), which name diesel through this crate.
pub use diesel;
pub use diesel_async::AsyncPgConnection;
pub use error::DbError;
