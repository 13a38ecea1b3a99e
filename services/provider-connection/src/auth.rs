//! Who is calling and what they may do: the member's bearer JWT, verified with configured keys and the
//! issuer's JWKS (`security::jwt::TokenVerifier`).
//!
//! Claims (besides `iss`, `aud`, `exp`, checked by `security::jwt`): `sub` the member id, `workspace_id` the
//! workspace acted in, `tenants` the workspace tenants the member may reach, `capabilities` from [`Capability`].
//! Scope decides visibility (outside it: 404), capabilities decide action (missing: 403).

use crate::AppState;
use crate::error::ApiError;
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use security::jwt::JwtError;
use serde::Deserialize;
use service_kit::observe::RequestId;
use std::collections::BTreeSet;
use std::future::Future;
use std::pin::Pin;

/// What a member may do. The claim values are the `as_str` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Capability {
    /// Read connections and verification runs.
    View,
    /// Create platform connections and request admin-consent links.
    Manage,
    /// Start verification runs.
    RunVerification,
    /// Create dedicated connections, switch connection type, create/rotate/delete dedicated credentials.
    ManageDedicated,
    /// Read the audit trail.
    ViewAudit,
}

impl Capability {
    pub const ALL: [Capability; 5] = [
        Self::View,
        Self::Manage,
        Self::RunVerification,
        Self::ManageDedicated,
        Self::ViewAudit,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::View => "provider_connections.view",
            Self::Manage => "provider_connections.manage",
            Self::RunVerification => "provider_connections.run_verification",
            Self::ManageDedicated => "provider_connections.manage_dedicated",
            Self::ViewAudit => "provider_connections.view_audit",
        }
    }

    fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == name)
    }
}

/// The detail of every refused bearer token.
const TOKEN_REFUSED: &str = "a valid bearer token is required";

/// Longest member, workspace or tenant id accepted from a token (they are stored in audit rows).
const MAX_CLAIM: usize = 256;

#[derive(Deserialize)]
struct Claims {
    sub: String,
    workspace_id: String,
    #[serde(default)]
    tenants: Vec<String>,
    #[serde(default)]
    capabilities: Vec<String>,
}

/// An authenticated member, with the request id audit rows carry.
#[derive(Debug, Clone)]
pub struct Caller {
    pub member: String,
    pub workspace_id: String,
    pub tenants: BTreeSet<String>,
    pub capabilities: BTreeSet<Capability>,
    pub request_id: Option<String>,
}

impl Caller {
    /// Whether `tenant` of `workspace_id` is within the caller's scope.
    pub fn reaches(&self, workspace_id: &str, tenant: &str) -> bool {
        self.workspace_id == workspace_id && self.tenants.contains(tenant)
    }

    /// Whether `tenant` of the caller's own workspace is within the caller's scope.
    pub fn reaches_tenant(&self, tenant: &str) -> bool {
        self.reaches(&self.workspace_id, tenant)
    }

    pub fn has(&self, capability: Capability) -> bool {
        self.capabilities.contains(&capability)
    }

    /// A 403 unless the caller has `capability`, saying that `what` needs it.
    pub fn require(&self, capability: Capability, what: &str) -> Result<(), ApiError> {
        if self.has(capability) {
            Ok(())
        } else {
            Err(ApiError::needs(what, capability))
        }
    }

    async fn from_request(req: HttpRequest) -> Result<Self, ApiError> {
        let state = req
            .app_data::<web::Data<AppState>>()
            .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("application state missing")))?;
        // One answer whatever failed (missing, malformed, signature, key, algorithm, time, issuer, audience):
        // which check a token failed helps only whoever forges it; the log keeps the reason.
        let refused = |reason: &dyn std::fmt::Display| {
            tracing::info!(%reason, "bearer token refused");
            ApiError::Unauthenticated(TOKEN_REFUSED.to_owned())
        };
        let token = service_kit::request::bearer(&req).map_err(|err| refused(&err))?;
        let claims: Claims = state
            .verifier
            .verify(token)
            .await
            .map_err(|err| match err {
                JwtError::KeysUnavailable => ApiError::TokenKeysUnavailable,
                _ => refused(&err),
            })?;
        if claims.sub.trim().is_empty() || claims.workspace_id.trim().is_empty() {
            return Err(ApiError::Unauthenticated(
                "the bearer token must name the member (sub) and the workspace (workspace_id)"
                    .to_owned(),
            ));
        }
        let sane = |value: &String| domain::field::optional_text("claim", value, MAX_CLAIM).is_ok();
        if !(sane(&claims.sub) && sane(&claims.workspace_id) && claims.tenants.iter().all(sane)) {
            return Err(ApiError::Unauthenticated(format!(
                "the bearer token's sub, workspace_id and tenants must be printable and at most {MAX_CLAIM} characters"
            )));
        }
        Ok(Self {
            member: claims.sub,
            workspace_id: claims.workspace_id,
            tenants: claims.tenants.into_iter().collect(),
            capabilities: claims
                .capabilities
                .iter()
                .filter_map(|name| Capability::parse(name))
                .collect(),
            request_id: req.extensions().get::<RequestId>().map(|id| id.0.clone()),
        })
    }
}

impl FromRequest for Caller {
    type Error = ApiError;
    // Boxed: verifying may wait for the issuer's JWKS (a refresh on an unknown kid).
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        Box::pin(Caller::from_request(req.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capability_names_round_trip_and_unknown_names_are_ignored() {
        for capability in Capability::ALL {
            assert_eq!(Capability::parse(capability.as_str()), Some(capability));
        }
        assert_eq!(Capability::parse("provider_connections.everything"), None);
    }
}
