//! PostgreSQL access shared by every service: the pool, database bootstrap and migrations, the transactional
//! outbox, and the one error type the layers above map to HTTP.
//!
//! Query functions take a `&mut AsyncPgConnection` so callers can group several in one transaction.
//! Each service keeps its own schema and migrations; nothing here knows a service's tables.

pub mod db;
pub mod error;
pub mod outbox;

pub use db::{DbSettings, Pool, PooledConn};
pub use diesel_async::AsyncPgConnection;
pub use error::DbError;
