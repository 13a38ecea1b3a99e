//! The service's one error type, mapped to HTTP (RFC 9457 problem bodies: the contract names no error format) in
//! exactly one place, its `ResponseError` impl.

use crate::auth::Capability;
use crate::ids::ConnectionId;
use actix_web::http::StatusCode;
use actix_web::http::header::{HeaderValue, WWW_AUTHENTICATE};
use actix_web::{HttpResponse, ResponseError};
use domain::FieldError;
use persistence::DbError;
use persistence::error::ConflictKind;
use service_kit::{DbFailure, Problem};

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Bad input: a path or query parameter, a header or a body field; 400 naming it.
    #[error(transparent)]
    Invalid(#[from] FieldError),
    /// No bearer token, or one that does not verify; 401.
    #[error("{0}")]
    Unauthenticated(String),
    /// The token names a key of the issuer's JWKS, which could not be fetched: not known to be bad; 503.
    #[error("the service cannot fetch its token issuer's keys right now; retry shortly")]
    TokenKeysUnavailable,
    /// The caller may see the resource but lacks the capability (or the consent state is not valid); 403.
    #[error("{0}")]
    Forbidden(String),
    /// Missing, or outside the caller's workspace and tenants (the contract's "not accessible"); 404.
    #[error("{0}")]
    NotFound(String),
    /// The change contradicts the resource's state; 409.
    #[error("{0}")]
    Conflict(String),
    /// A destructive change was sent without its explicit confirmation; 428 naming the header.
    #[error("{message}")]
    ConfirmationRequired {
        header: &'static str,
        message: String,
    },
    /// The database refused or could not be reached: 404, 409 (what the constraint means), 503 or 500.
    #[error(transparent)]
    Db(#[from] DbFailure),
    /// Something that cannot fail on valid configuration did; 500, the whole cause logged under an error id.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl ApiError {
    /// The one answer for a connection that does not exist or is outside the caller's scope.
    pub fn connection_not_accessible(id: ConnectionId) -> Self {
        Self::NotFound(format!("provider connection {id} is not accessible"))
    }

    /// The one answer for a tenant outside the caller's scope.
    pub fn tenant_not_accessible(tenant: &str) -> Self {
        Self::NotFound(format!("tenant {tenant} is not accessible"))
    }

    /// A 403 saying that `what` (e.g. "reading connections") needs `capability`.
    pub fn needs(what: &str, capability: Capability) -> Self {
        Self::Forbidden(format!(
            "{what} needs the {} capability",
            capability.as_str()
        ))
    }

    /// A 500 for `cause`, described by `context` in the log.
    pub fn internal(
        context: &'static str,
        cause: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Self::Internal(anyhow::Error::new(cause).context(context))
    }
}

impl From<DbError> for ApiError {
    fn from(err: DbError) -> Self {
        Self::Db(DbFailure::classify(err, describe))
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(err: diesel::result::Error) -> Self {
        DbError::from(err).into()
    }
}

/// What a violated constraint means to a caller (by constraint name, never by message text).
fn describe(_: ConflictKind, constraint: &str) -> String {
    match constraint {
        "provider_connections_one_default" => {
            "another default connection for this tenant and provider was created concurrently; retry".to_owned()
        }
        "verification_runs_one_active_per_scope" => {
            "another verification run for this tenant started concurrently; retry".to_owned()
        }
        other => format!("the change violates a constraint ({other})"),
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Invalid(_) => StatusCode::BAD_REQUEST,
            Self::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            Self::TokenKeysUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::ConfirmationRequired { .. } => StatusCode::PRECONDITION_REQUIRED,
            Self::Db(failure) => failure.status(),
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let problem = match self {
            Self::Invalid(err) => Problem::bad_request(&err.field, err.to_string()),
            Self::Db(failure) => failure.problem(),
            Self::Internal(_) => Problem::internal_error(self),
            Self::ConfirmationRequired { header, message } => {
                Problem::new(self.status_code(), message.clone()).with_field(*header)
            }
            other => Problem::new(other.status_code(), other.to_string()),
        };
        let mut response = problem.error_response();
        if matches!(self, Self::Unauthenticated(_)) {
            response
                .headers_mut()
                .insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}
