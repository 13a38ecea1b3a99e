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
                    DatabaseErrorKind::ClosedConnection
                    | DatabaseErrorKind::UnableToSendCommand => {
                        Self::Unavailable(info.message().to_owned())
                    }
                    DatabaseErrorKind::Unknown if server_ended_session(info.message()) => {
                        Self::Unavailable(info.message().to_owned())
                    }
                    other => Self::Query(DieselError::DatabaseError(other, info)),
                }
            }
            other => Self::Query(other),
        }
    }
}

/// Whether PostgreSQL ended the session or refuses it for now (SQLSTATE class 57: `57P01` administrator
/// command, `57P02` crash shutdown, `57P03` starting up or shutting down): a restart or a failover, which the
/// caller should see as "unavailable, retry", not as a failed statement. diesel-async keeps only the message of
/// such an error (the SQLSTATE is lost on the way), so the server's own wording is matched; it is PostgreSQL's
/// default (English) `lc_messages`.
fn server_ended_session(message: &str) -> bool {
    message.starts_with("terminating connection due to")
        || message.starts_with("the database system is")
        || message.starts_with("server closed the connection")
}

impl From<PoolError> for DbError {
    fn from(err: PoolError) -> Self {
        Self::Unavailable(err.to_string())
    }
}
