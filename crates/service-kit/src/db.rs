//! The shared half of mapping a database failure to HTTP: what each kind means to a caller. A service supplies
//! the other half, what its own constraints mean, and renders the result in its contract's error format.

use actix_web::http::StatusCode;
use persistence::DbError;
use persistence::error::ConflictKind;

/// A database failure as an API caller sees it.
#[derive(Debug, thiserror::Error)]
pub enum DbFailure {
    /// The row a request needed does not exist; 404.
    #[error("the resource was not found")]
    NotFound,
    /// A constraint refused the change; 409, with what the service says the constraint means.
    #[error("{0}")]
    Conflict(String),
    /// No connection in time: the database is down or the pool exhausted; 503 so callers retry.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// Anything else; 500, the cause logged.
    #[error("database query failed")]
    Internal(#[source] DbError),
}

impl DbFailure {
    /// Classifies `err`; `describe` says what a violated constraint (by kind and name, never message text) means.
    pub fn classify(err: DbError, describe: impl FnOnce(ConflictKind, &str) -> String) -> Self {
        match err {
            DbError::NotFound => Self::NotFound,
            DbError::Conflict { kind, constraint } => Self::Conflict(describe(kind, &constraint)),
            DbError::Unavailable(detail) => Self::Unavailable(detail),
            query @ DbError::Query(_) => Self::Internal(query),
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// As an RFC 9457 problem (503 and 500 log their cause and tell the caller only what to do).
    pub fn problem(&self) -> crate::Problem {
        match self {
            Self::Unavailable(cause) => crate::Problem::unavailable(cause),
            Self::Internal(cause) => crate::Problem::internal_error(cause),
            other => crate::Problem::new(other.status(), other.to_string()),
        }
    }
}
