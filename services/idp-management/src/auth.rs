//! Bearer-token authentication (`iam-console-token`) and the authorization rules.
//!
//! Claims (besides `iss`, `aud`, `exp` required and `nbf` checked when present):
//! - `application` (string, required): the caller's application;
//! - `actor` (string, required): who acts; recorded as `createdBy` / `lastModifiedBy`;
//! - `permissions` (array of strings): `idp:read` (read configurations), `idp:write` (change them),
//!   `idp:admin` (manage any application, register applications, revoke tokens);
//! - `jti` (string, optional): the token id, refused once on the revocation list.
//!
//! A token of another application without `idp:admin` is `AUTHENTICATION_INVALID_APPLICATION`; a token of the
//! right application without the permission is 403 `AUTHORIZATION_MISSING_PERMISSION`.

use crate::AppState;
use crate::error::{ApiError, AuthFailure};
use crate::ids::ApplicationId;
use actix_web::HttpRequest;
use security::jwt::JwtError;
use serde::Deserialize;

/// Reads configurations (the GET operations).
pub const READ: &str = "idp:read";
/// Changes them (PUT, DELETE, the configuration check).
pub const WRITE: &str = "idp:write";
/// Any application, the application registry and token revocation.
pub const ADMIN: &str = "idp:admin";

/// Longest string claim accepted (ids are bounded like the contract's keys, actors a little more).
const MAX_CLAIM: usize = 256;

#[derive(Debug, Deserialize)]
struct Claims {
    application: String,
    actor: String,
    #[serde(default)]
    permissions: Vec<String>,
    #[serde(default)]
    jti: Option<String>,
}

/// The authenticated caller.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The token's application, as the token names it (not necessarily a registered or even valid id).
    pub application: String,
    pub actor: String,
    pub permissions: Vec<String>,
}

impl Caller {
    /// Whether the token grants `permission` itself.
    pub fn has(&self, permission: &str) -> bool {
        self.permissions.iter().any(|p| p == permission)
    }

    /// May this caller use `permission` on `application`?
    pub fn authorize(
        &self,
        application: &ApplicationId,
        permission: &'static str,
    ) -> Result<(), ApiError> {
        let admin = self.has(ADMIN);
        if self.application != application.as_str() && !admin {
            return Err(ApiError::Unauthenticated(AuthFailure::InvalidApplication));
        }
        if !admin && !self.has(permission) {
            return Err(ApiError::MissingPermission(permission));
        }
        Ok(())
    }

    /// Refuses a caller whose token does not grant `permission` itself (the admin-only extensions).
    pub fn require(&self, permission: &'static str) -> Result<(), ApiError> {
        if self.has(permission) {
            Ok(())
        } else {
            Err(ApiError::MissingPermission(permission))
        }
    }
}

/// Verifies the bearer token and checks the revocation list (one indexed lookup when the token has a `jti`).
pub async fn authenticate(req: &HttpRequest, state: &AppState) -> Result<Caller, ApiError> {
    // A missing or malformed header is refused like a token that does not verify.
    let token = service_kit::request::bearer(req)
        .map_err(|_| ApiError::Unauthenticated(AuthFailure::Failed))?;
    let claims: Claims = state.verifier.verify(token).await.map_err(|err| {
        tracing::info!(reason = %err, "bearer token refused");
        match err {
            // Not known to be bad: the issuer's keys could not be fetched (503, not 401).
            JwtError::KeysUnavailable => ApiError::TokenKeysUnavailable,
            JwtError::Expired => ApiError::Unauthenticated(AuthFailure::Expired),
            _ => ApiError::Unauthenticated(AuthFailure::Failed),
        }
    })?;
    if claims.application.is_empty()
        || claims.actor.is_empty()
        || claims.application.len() > MAX_CLAIM
        || claims.actor.len() > MAX_CLAIM
    {
        return Err(ApiError::Unauthenticated(AuthFailure::Failed));
    }
    if let Some(jti) = &claims.jti
        && crate::revocation::is_revoked(&state.pool, jti).await?
    {
        return Err(ApiError::Unauthenticated(AuthFailure::Revoked));
    }
    Ok(Caller {
        application: claims.application,
        actor: claims.actor,
        permissions: claims.permissions,
    })
}
