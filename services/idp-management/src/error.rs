//! The service's one error type, answered as the contract's `ErrorV1` (not problem+json) in exactly one place.
//!
//! Codes are the contract's `IamIdpErrorCodeRegistryV1`, plus the extension codes documented in
//! `specs/idp-management.yaml` (`IamIdpErrorCodeExtensionsV1`): `IAM_IDP_CHANGE_CONFLICT` (409), `MEDIA_TYPE_UNSUPPORTED`
//! (415), `MEDIA_TYPE_NOT_ACCEPTABLE` (406), `RESOURCE_NOT_FOUND` / `METHOD_NOT_ALLOWED` (no such route),
//! `SERVICE_UNAVAILABLE` (503) and `INTERNAL_ERROR` (500). Every error gets an `errorId`, also written to the log
//! line for that request (which carries the request id).

use crate::ids::{ApplicationId, ProviderKey};
use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_TYPE, WWW_AUTHENTICATE};
use actix_web::{HttpResponse, ResponseError};
use chrono::{SecondsFormat, Utc};
use persistence::DbError;
use persistence::error::ConflictKind;
use serde::Serialize;
use service_kit::DbFailure;

/// What a 500 tells the caller (the cause goes to the log under the errorId).
const INTERNAL_MESSAGE: &str = "An unexpected error occurred; quote the errorId to support.";

/// One violation: which field or parameter, the value at fault (never a secret), and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Detail {
    pub field: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    pub message: String,
}

impl Detail {
    /// A detail; pass `None` as value for anything that must not be echoed (secrets).
    pub fn new(
        field: impl Into<String>,
        value: Option<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            field: field.into(),
            value,
            message: message.into(),
        }
    }
}

/// Why authentication failed; each is a 401 with its own registry code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthFailure {
    /// No bearer token, or one that does not verify (signature, key, algorithm, issuer, audience, claims).
    Failed,
    /// The token's `exp` has passed.
    Expired,
    /// The token's `jti` is on the revocation list.
    Revoked,
    /// The token belongs to another application and may not manage this one.
    InvalidApplication,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400 `INPUT_MALFORMED`: the request does not match the contract's schemas.
    #[error("the request is malformed")]
    Malformed(Vec<Detail>),
    /// 400 `AUTHENTICATION_IDP_CONFIG_MALFORMED`: well-formed, but the configuration cannot work.
    #[error("the identity provider configuration cannot work")]
    ConfigMalformed(Vec<Detail>),
    /// 401 with the failure's code.
    #[error("authentication failed: {0:?}")]
    Unauthenticated(AuthFailure),
    /// 503 `SERVICE_UNAVAILABLE`: the token names a key of the issuer's JWKS, which could not be fetched.
    #[error("the issuer's token keys are unavailable")]
    TokenKeysUnavailable,
    /// 403 `AUTHORIZATION_MISSING_PERMISSION`, naming the permission needed.
    #[error("the token lacks the permission {0}")]
    MissingPermission(&'static str),
    /// 404 `IAM_APPLICATION_NOT_FOUND`.
    #[error("application {0} is not registered")]
    ApplicationNotFound(ApplicationId),
    /// 404 `IAM_IDP_NOT_FOUND`.
    #[error("identity provider {0} does not exist")]
    IdpNotFound(ProviderKey),
    /// 409 `IAM_IDP_CHANGE_CONFLICT`: stale `If-Match`, or a concurrent change won.
    #[error("{0}")]
    Conflict(String),
    /// 415.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// 406.
    #[error("{0}")]
    NotAcceptable(String),
    /// The database refused or failed: 409 `IAM_IDP_CHANGE_CONFLICT` for a constraint (what it means is said
    /// in [`describe_constraint`]), 503 `SERVICE_UNAVAILABLE` when it cannot be reached in time, else 500.
    #[error(transparent)]
    Db(#[from] DbFailure),
    /// 500, logged with its cause.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

/// What a violated constraint means to the caller: every write serializes on the application's row, so a
/// constraint only fails when a concurrent change won a race the row lock does not cover.
fn describe_constraint(_kind: ConflictKind, constraint: &str) -> String {
    format!("The change conflicts with a concurrent change ({constraint}); retry.")
}

impl From<DbError> for ApiError {
    fn from(err: DbError) -> Self {
        Self::Db(DbFailure::classify(err, describe_constraint))
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(err: diesel::result::Error) -> Self {
        DbError::from(err).into()
    }
}

impl ApiError {
    /// A 400 `INPUT_MALFORMED` with one detail.
    pub fn malformed(field: &str, value: Option<String>, message: impl Into<String>) -> Self {
        Self::Malformed(vec![Detail::new(field, value, message)])
    }

    /// A 500 for what cannot happen unless the code is wrong.
    pub fn bug(what: &'static str) -> Self {
        Self::Internal(anyhow::Error::msg(what))
    }

    /// The registry code this error answers with.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Malformed(_) => "INPUT_MALFORMED",
            Self::ConfigMalformed(_) => "AUTHENTICATION_IDP_CONFIG_MALFORMED",
            Self::Unauthenticated(AuthFailure::Failed) => "AUTHENTICATION_FAILED",
            Self::Unauthenticated(AuthFailure::Expired) => "AUTHENTICATION_EXPIRED",
            Self::Unauthenticated(AuthFailure::Revoked) => "AUTHENTICATION_REVOKED",
            Self::Unauthenticated(AuthFailure::InvalidApplication) => {
                "AUTHENTICATION_INVALID_APPLICATION"
            }
            Self::MissingPermission(_) => "AUTHORIZATION_MISSING_PERMISSION",
            Self::ApplicationNotFound(_) => "IAM_APPLICATION_NOT_FOUND",
            Self::IdpNotFound(_) => "IAM_IDP_NOT_FOUND",
            Self::Conflict(_) => "IAM_IDP_CHANGE_CONFLICT",
            Self::UnsupportedMediaType(_) => "MEDIA_TYPE_UNSUPPORTED",
            Self::NotAcceptable(_) => "MEDIA_TYPE_NOT_ACCEPTABLE",
            Self::Db(DbFailure::Conflict(_)) => "IAM_IDP_CHANGE_CONFLICT",
            Self::Db(DbFailure::Unavailable(_)) | Self::TokenKeysUnavailable => {
                "SERVICE_UNAVAILABLE"
            }
            Self::Db(DbFailure::NotFound | DbFailure::Internal(_)) | Self::Internal(_) => {
                "INTERNAL_ERROR"
            }
        }
    }

    fn message(&self) -> String {
        match self {
            Self::Malformed(d) => format!(
                "The request is malformed: {} violation(s), see details.",
                d.len()
            ),
            Self::ConfigMalformed(d) => {
                format!(
                    "The identity provider configuration cannot work: {} problem(s), see details.",
                    d.len()
                )
            }
            Self::Unauthenticated(AuthFailure::Failed) => {
                "A valid bearer token is required.".to_owned()
            }
            Self::Unauthenticated(AuthFailure::Expired) => {
                "The bearer token has expired.".to_owned()
            }
            Self::Unauthenticated(AuthFailure::Revoked) => {
                "The bearer token has been revoked.".to_owned()
            }
            Self::Unauthenticated(AuthFailure::InvalidApplication) => {
                "The bearer token's application may not manage this application.".to_owned()
            }
            Self::Db(DbFailure::Unavailable(_)) => {
                "The service cannot reach its database right now; retry shortly.".to_owned()
            }
            Self::TokenKeysUnavailable => {
                "The service cannot fetch its token issuer's keys right now; retry shortly."
                    .to_owned()
            }
            Self::Db(DbFailure::NotFound | DbFailure::Internal(_)) | Self::Internal(_) => {
                INTERNAL_MESSAGE.to_owned()
            }
            other => other.to_string(),
        }
    }

    fn details(&self) -> Vec<Detail> {
        match self {
            Self::Malformed(d) | Self::ConfigMalformed(d) => d.clone(),
            _ => Vec::new(),
        }
    }
}

/// The contract's `ErrorV1`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorV1 {
    pub error_id: String,
    pub code: &'static str,
    pub message: String,
    pub details: Vec<Detail>,
    pub occurred_at: String,
}

impl ErrorV1 {
    /// Builds the body and writes its log line (inside the request's span, so it carries the request id).
    pub fn log(
        status: StatusCode,
        code: &'static str,
        message: String,
        details: Vec<Detail>,
        cause: &str,
    ) -> Self {
        let error_id = uuid::Uuid::now_v7().to_string();
        if status.is_server_error() {
            tracing::error!(error_id = %error_id, code, status = status.as_u16(), cause, "request failed");
        } else {
            tracing::info!(error_id = %error_id, code, status = status.as_u16(), cause, "request refused");
        }
        Self {
            error_id,
            code,
            message,
            details,
            occurred_at: Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true),
        }
    }

    /// The response: JSON body, and `WWW-Authenticate: Bearer` on a 401 (RFC 6750).
    pub fn response(&self, status: StatusCode) -> HttpResponse {
        let mut builder = HttpResponse::build(status);
        builder.insert_header((CONTENT_TYPE, "application/json"));
        if status == StatusCode::UNAUTHORIZED {
            builder.insert_header((WWW_AUTHENTICATE, "Bearer"));
        }
        builder.json(self)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Malformed(_) | Self::ConfigMalformed(_) => StatusCode::BAD_REQUEST,
            Self::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            Self::MissingPermission(_) => StatusCode::FORBIDDEN,
            Self::ApplicationNotFound(_) | Self::IdpNotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::NotAcceptable(_) => StatusCode::NOT_ACCEPTABLE,
            Self::Db(DbFailure::Conflict(_)) => StatusCode::CONFLICT,
            Self::Db(DbFailure::Unavailable(_)) | Self::TokenKeysUnavailable => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            // Every lookup that may miss asks for an optional row: a missing one here is a bug.
            Self::Db(DbFailure::NotFound | DbFailure::Internal(_)) | Self::Internal(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        // The cause goes to the log only; details never carry secrets (see `input`).
        let cause = service_kit::error_chain(self);
        ErrorV1::log(status, self.code(), self.message(), self.details(), &cause).response(status)
    }
}

/// The framework's own errors (no route, wrong method) as `ErrorV1` with the same status, so every error has
/// the contract's format (`Foundation::with_framework_errors`).
pub fn framework_error(status: StatusCode) -> HttpResponse {
    let (code, message) = match status {
        StatusCode::NOT_FOUND => ("RESOURCE_NOT_FOUND", "No such resource."),
        StatusCode::METHOD_NOT_ALLOWED => (
            "METHOD_NOT_ALLOWED",
            "This method is not allowed on this resource.",
        ),
        StatusCode::TOO_MANY_REQUESTS => (
            "TOO_MANY_AUTHENTICATION_FAILURES",
            service_kit::problem::TOO_MANY_FAILURES,
        ),
        s if s.is_client_error() => ("INPUT_MALFORMED", "The request is malformed."),
        _ => ("INTERNAL_ERROR", INTERNAL_MESSAGE),
    };
    ErrorV1::log(status, code, message.to_owned(), Vec::new(), "framework").response(status)
}
