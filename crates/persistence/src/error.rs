//! The persistence layer's one error type, classified by error kind (never by message text).

use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel_async::pooled_connection::deadpool::PoolError;

/// What went wrong talking to the database, in the terms the HTTP edge needs.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("row not found")]
    NotFound,
    /// A unique, foreign-key or check constraint refused the change; the name says which.
    #[error("constraint violated: {constraint}")]
    Conflict {
        kind: ConflictKind,
        constraint: String,
    },
    /// No connection could be had in time: the database is down or the pool is exhausted.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error(transparent)]
    Query(DieselError),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConflictKind {
    Unique,
    ForeignKey,
    Check,
}

impl From<DieselError> for DbError {
    fn from(err: DieselError) -> Self {
        match err {
            DieselError::NotFound => Self::NotFound,
            DieselError::DatabaseError(kind, info) => {
                let constraint = info.constraint_name().unwrap_or("unknown").to_owned();
                match kind {
                    DatabaseErrorKind::UniqueViolation => Self::Conflict {
                        kind: ConflictKind::Unique,
                        constraint,
                    },
                    DatabaseErrorKind::ForeignKeyViolation => Self::Conflict {
                        kind: ConflictKind::ForeignKey,
                        constraint,
                    },
                    DatabaseErrorKind::CheckViolation | DatabaseErrorKind::NotNullViolation => {
                        Self::Conflict {
                            kind: ConflictKind::Check,
                            constraint,
                        }
                    }
                    DatabaseErrorKind::ClosedConnection => {
                        Self::Unavailable(info.message().to_owned())
                    }
                    other => Self::Query(DieselError::DatabaseError(other, info)),
                }
            }
            other => Self::Query(other),
        }
    }
}

impl From<PoolError> for DbError {
    fn from(err: PoolError) -> Self {
        Self::Unavailable(err.to_string())
    }
}
