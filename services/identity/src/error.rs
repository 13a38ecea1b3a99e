//! The identity API's one error type, mapped to HTTP (RFC 9457 problem bodies) in exactly one place: its
//! `ResponseError` impl. Database failures are classified by the shared [`DbFailure`] with this service's
//! constraint meanings; Microsoft Graph failures keep their cause for the log.

use actix_web::http::StatusCode;
use actix_web::http::header::{HeaderValue, RETRY_AFTER, WWW_AUTHENTICATE};
use actix_web::{HttpResponse, ResponseError};
use domain::FieldError;
use microsoft::MsError;
use persistence::DbError;
use persistence::error::ConflictKind;
use service_kit::{DbFailure, Problem};

use crate::settings::Tenant;

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
    /// The database failed: not found, a constraint, unavailable (503) or a query error (500, source kept).
    #[error(transparent)]
    Db(#[from] DbFailure),
    /// Microsoft Graph failed to answer usefully: 504 on a timeout, 503 when throttled, else 502.
    #[error("{0}")]
    Graph(#[from] MsError),
    /// The tenant's Graph registration is not configured; 503.
    #[error("the {0} Graph registration is not configured")]
    GraphNotConfigured(Tenant),
    /// The connector paths' credentials are missing or refused; 401 with `challenge`. `detail` never says
    /// which check a presented credential failed (the log does).
    #[error("{detail}")]
    Unauthenticated {
        detail: &'static str,
        challenge: Challenge,
    },
    /// Entra's signing keys have not been fetched, so a token can be judged neither good nor bad; 503.
    #[error("The keys Entra signs its tokens with are not available yet; retry shortly.")]
    EntraKeysUnavailable,
}

/// The `WWW-Authenticate` a 401 carries: what the caller may present (RFC 9110 §11.6.1, RFC 6750 §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Challenge {
    /// A function key only: there is no registered scheme to name.
    None,
    Basic,
    /// No token was presented (RFC 6750: no error code then).
    Bearer,
    /// A token was presented and refused.
    BearerInvalidToken,
}

impl Challenge {
    fn header(self) -> Option<&'static str> {
        match self {
            Self::None => None,
            Self::Basic => Some("Basic realm=\"identity connectors\""),
            Self::Bearer => Some("Bearer"),
            Self::BearerInvalidToken => Some("Bearer error=\"invalid_token\""),
        }
    }
}

impl ApiError {
    pub fn not_found(what: &str, id: impl std::fmt::Display) -> Self {
        Self::NotFound(format!("{what} {id} was not found"))
    }
}

impl From<DbError> for ApiError {
    fn from(err: DbError) -> Self {
        Self::Db(DbFailure::classify(err, describe))
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
            Self::Db(failure) => failure.status(),
            Self::GraphNotConfigured(_) | Self::EntraKeysUnavailable => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            Self::Unauthenticated { .. } => StatusCode::UNAUTHORIZED,
            Self::Graph(MsError::Timeout) => StatusCode::GATEWAY_TIMEOUT,
            Self::Graph(MsError::Throttled { .. }) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Graph(_) => StatusCode::BAD_GATEWAY,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let problem = match self {
            Self::Invalid(err) => Problem::bad_request(&err.field, err.to_string()),
            Self::Db(failure) => failure.problem(),
            Self::GraphNotConfigured(tenant) => Problem::new(
                self.status_code(),
                format!(
                    "Microsoft Graph is not configured for the {tenant} tenant (graph.{tenant} settings)."
                ),
            ),
            Self::Graph(err) => {
                tracing::warn!(error = %err, "Microsoft Graph call failed");
                Problem::new(self.status_code(), graph_detail(err))
            }
            other => Problem::new(other.status_code(), other.to_string()),
        };
        let mut response = problem.error_response();
        if let Self::Unauthenticated { challenge, .. } = self
            && let Some(value) = challenge.header()
        {
            response
                .headers_mut()
                .insert(WWW_AUTHENTICATE, HeaderValue::from_static(value));
        }
        if let Self::Graph(MsError::Throttled {
            retry_after: Some(wait),
        }) = self
            && let Ok(value) = HeaderValue::from_str(&wait.as_secs().max(1).to_string())
        {
            response.headers_mut().insert(RETRY_AFTER, value);
        }
        response
    }
}

/// What a caller is told about a Graph failure (the cause itself goes to the log).
fn graph_detail(err: &MsError) -> &'static str {
    match err {
        MsError::Timeout => "Microsoft Graph did not answer in time; retry shortly.",
        MsError::Throttled { .. } => "Microsoft Graph is throttling requests; retry shortly.",
        MsError::InvalidClient { .. } | MsError::TenantNotFound => {
            "The service's Microsoft Graph credentials were refused; an operator must check them."
        }
        _ => "Microsoft Graph failed to answer; retry shortly.",
    }
}
