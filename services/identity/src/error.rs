//! The identity API's one error type, mapped to HTTP (RFC 9457 problem bodies) in exactly one place.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use domain::FieldError;
use persistence::DbError;
use persistence::error::ConflictKind;
use service_kit::Problem;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Bad input: a path or query parameter, or a body field; 400 naming it.
    #[error(transparent)]
    Invalid(#[from] FieldError),
    /// The named resource (or one a request depends on) does not exist; 404.
    #[error("{0}")]
    NotFound(String),
    /// A uniqueness or reference rule refused the change; 409.
    #[error("{0}")]
    Conflict(String),
    /// The database could not be reached in time; 503 so callers retry.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("internal: {0}")]
    Internal(String),
}

impl ApiError {
    pub fn not_found(what: &str, id: impl std::fmt::Display) -> Self {
        Self::NotFound(format!("{what} {id} was not found"))
    }
}

impl From<DbError> for ApiError {
    fn from(err: DbError) -> Self {
        match err {
            DbError::NotFound => Self::NotFound("the resource was not found".to_owned()),
            DbError::Conflict { kind, constraint } => Self::Conflict(describe(kind, &constraint)),
            DbError::Unavailable(detail) => Self::Unavailable(detail),
            DbError::Query(err) => Self::Internal(err.to_string()),
        }
    }
}

/// What a violated constraint means to a caller (by constraint name, never by message text).
fn describe(kind: ConflictKind, constraint: &str) -> String {
    match constraint {
        "users_email_key" => "another user already has this email address".to_owned(),
        "groups_name_key" => "a group with this name already exists".to_owned(),
        "grouptypes_name_key" => "a group type with this name already exists".to_owned(),
        "permissions_name_key" => "a permission with this name already exists".to_owned(),
        "groups_typeid_fkey" => "typeid does not name an existing group type".to_owned(),
        _ => format!("the change violates a {kind:?} constraint ({constraint})"),
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Invalid(_) => StatusCode::BAD_REQUEST,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let problem = match self {
            Self::Invalid(err) => Problem::bad_request(&err.field, err.to_string()),
            Self::Internal(cause) => Problem::internal(cause),
            Self::Unavailable(cause) => {
                tracing::warn!(error = %cause, "database unavailable");
                Problem::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "The service cannot reach its database right now; retry shortly.",
                )
            }
            other => Problem::new(other.status_code(), other.to_string()),
        };
        problem.error_response()
    }
}
