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
