//! Authentication of the connector paths: the contract's function key (`code` query parameter or
//! `x-functions-key` header), or HTTP Basic when configured (B2C API connectors offer both); and on `/entra/*`,
//! when `[connectors.entra]` names a tenant, the bearer token Entra sends instead.
//!
//! Why the Entra token replaces the function key there rather than adding to it: every directory consumer
//! holds a function key, so a key that opened `/entra/*` would let any of them speak for Entra (and provision
//! people); the token proves the caller is the tenant's authentication events service calling this extension's
//! app registration, which is all a key could add. A `?code=` left in the extension's target URL is ignored.

use std::sync::Arc;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::AUTHORIZATION;
use actix_web::middleware::Next;
use actix_web::{Error, ResponseError, web};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use security::jwt::{JwtError, TokenVerifier};
use serde::Deserialize;
use service_kit::api_key::{ApiKeys, presented_key};
use subtle::ConstantTimeEq;

use crate::error::{ApiError, Challenge};
use crate::settings::ConnectorSettings;

/// Entra's "Azure AD authentication events" service principal: the authorized party (`azp` in v2 tokens,
/// `appid` in v1) of every token a custom authentication extension call carries. Another application holding a
/// token for the same audience is not Entra calling.
pub const AUTHENTICATION_EVENTS_APP_ID: &str = "99045fe1-7639-4a75-9d4a-577b6ca3810f";

/// The one answer to every refused Entra token, whichever check failed (the log says which).
const ENTRA_REFUSED: &str = "A valid bearer token issued by Entra for this extension is required.";

/// The credentials that open the connector paths. No key and no Basic pair refuses every call.
#[derive(Clone)]
pub struct ConnectorAuth {
    keys: ApiKeys,
    /// `user:password`, as Basic carries it; `None` when Basic is off.
    basic: Option<String>,
    /// The Entra token check of `/entra/*`; `None` when `[connectors.entra]` is off.
    entra: Option<EntraTokens>,
}

impl ConnectorAuth {
    pub fn new(function_keys: &[String], settings: &ConnectorSettings) -> anyhow::Result<Self> {
        let entra = settings
            .entra
            .verifier_settings()
            .map_err(anyhow::Error::msg)?
            .map(|jwt| TokenVerifier::new(&jwt))
            .transpose()?
            .map(|verifier| EntraTokens {
                verifier: Arc::new(verifier),
            });
        Ok(Self {
            keys: ApiKeys::new(function_keys.iter().cloned()),
            basic: (!settings.basic_username.is_empty())
                .then(|| format!("{}:{}", settings.basic_username, settings.basic_password)),
            entra,
        })
    }

    /// The Entra token verifier, when validation is on (its keys' refresh and readiness are the foundation's).
    pub fn entra_verifier(&self) -> Option<&Arc<TokenVerifier>> {
        self.entra.as_ref().map(|entra| &entra.verifier)
    }

    fn accepts_key(&self, presented: &str) -> bool {
        self.keys.accepts(presented)
    }

    fn accepts_basic(&self, header: &str) -> bool {
        let Some(expected) = &self.basic else {
            return false;
        };
        let Some(encoded) = header
            .strip_prefix("Basic ")
            .or_else(|| header.strip_prefix("basic "))
        else {
            return false;
        };
        STANDARD
            .decode(encoded.trim())
            .is_ok_and(|decoded| bool::from(decoded.ct_eq(expected.as_bytes())))
    }

    /// The function key or Basic verdict (`/b2c/*`, and `/entra/*` while Entra validation is off).
    fn key_or_basic(&self, req: &ServiceRequest) -> Result<(), ApiError> {
        let challenge = if self.basic.is_some() {
            Challenge::Basic
        } else {
            Challenge::None
        };
        let refuse = |detail| Err(ApiError::Unauthenticated { detail, challenge });
        if let Some(value) = req.headers().get(AUTHORIZATION)
            && self.basic.is_some()
        {
            return match value.to_str() {
                Ok(header) if self.accepts_basic(header) => Ok(()),
                _ => refuse("The Basic credentials are not valid."),
            };
        }
        match presented_key(req.request()) {
            Some(key) if self.accepts_key(&key) => Ok(()),
            Some(_) => refuse("The function key is not valid."),
            None if self.basic.is_some() => refuse(
                "Credentials are required: HTTP Basic, or a function key as the `code` query parameter or the `x-functions-key` header.",
            ),
            None => refuse(
                "A function key is required: pass it as the `code` query parameter or the `x-functions-key` header.",
            ),
        }
    }
}

/// Entra's bearer token on `/entra/*`: signature against the tenant's published keys, `iss`, `aud`,
/// `exp`/`nbf` (the shared verifier), then the authorized party.
#[derive(Clone)]
struct EntraTokens {
    verifier: Arc<TokenVerifier>,
}

/// The claims checked beyond the verifier's.
#[derive(Deserialize)]
struct Party {
    /// v2 tokens: the client the token was issued to.
    #[serde(default)]
    azp: Option<String>,
    /// v1 tokens: the same, under its v1 name.
    #[serde(default)]
    appid: Option<String>,
}

impl EntraTokens {
    async fn verdict(&self, req: &ServiceRequest) -> Result<(), ApiError> {
        let refuse = |reason: &dyn std::fmt::Display, challenge| {
            tracing::debug!(%reason, "Entra bearer token refused");
            ApiError::Unauthenticated {
                detail: ENTRA_REFUSED,
                challenge,
            }
        };
        let token = service_kit::request::bearer(req.request()).map_err(|err| {
            let challenge = if req.headers().contains_key(AUTHORIZATION) {
                Challenge::BearerInvalidToken
            } else {
                Challenge::Bearer
            };
            refuse(&err, challenge)
        })?;
        let party: Party = self.verifier.verify(token).await.map_err(|err| match err {
            // Not known to be bad: the tenant's keys could not be fetched.
            JwtError::KeysUnavailable => {
                tracing::warn!("Entra bearer token not checked: the tenant's keys are unavailable");
                ApiError::EntraKeysUnavailable
            }
            other => refuse(&other, Challenge::BearerInvalidToken),
        })?;
        // v2 tokens name the party in `azp`; only a token without one (v1) is judged by `appid`.
        let authorized = party.azp.or(party.appid);
        if authorized.as_deref() != Some(AUTHENTICATION_EVENTS_APP_ID) {
            return Err(refuse(
                &"the authorized party (azp / appid) is not Entra's authentication events service",
                Challenge::BearerInvalidToken,
            ));
        }
        Ok(())
    }
}

/// Which connector paths a middleware guards.
#[derive(Clone, Copy)]
enum Connector {
    B2c,
    Entra,
}

async fn guard(
    connector: Connector,
    auth: web::Data<ConnectorAuth>,
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let verdict = match (connector, &auth.entra) {
        (Connector::Entra, Some(entra)) => entra.verdict(&req).await,
        _ => auth.key_or_basic(&req),
    };
    match verdict {
        Ok(()) => Ok(next.call(req).await?.map_into_left_body()),
        Err(refused) => Ok(req
            .into_response(refused.error_response())
            .map_into_right_body()),
    }
}

/// Middleware (`from_fn(require_connector_auth)`) of `/b2c/*`: the function key or Basic, 401 before the
/// handler runs.
pub async fn require_connector_auth(
    auth: web::Data<ConnectorAuth>,
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    guard(Connector::B2c, auth, req, next).await
}

/// Middleware (`from_fn(require_entra_auth)`) of `/entra/*`: Entra's bearer token when `[connectors.entra]`
/// is on, else as `/b2c/*`.
pub async fn require_entra_auth(
    auth: web::Data<ConnectorAuth>,
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    guard(Connector::Entra, auth, req, next).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(user: &str, password: &str) -> ConnectorSettings {
        ConnectorSettings {
            allowed_client_ids: vec![],
            groups_claim: "g".into(),
            permissions_claim: "p".into(),
            normalise_display_name: true,
            basic_username: user.into(),
            basic_password: password.into(),
            email_taken_message: String::new(),
            client_not_allowed_message: String::new(),
            support_message: String::new(),
            entra: crate::settings::EntraSettings {
                tenant_id: String::new(),
                audience: String::new(),
                issuer: String::new(),
                jwks_uri: String::new(),
                leeway_secs: 0,
                jwks_min_refresh_interval_secs: 1,
            },
        }
    }

    #[test]
    fn basic_is_checked_only_when_configured() {
        let on = ConnectorAuth::new(&["k".to_owned()], &settings("b2c", "pa:ss")).unwrap();
        let header = format!("Basic {}", STANDARD.encode("b2c:pa:ss"));
        assert!(on.accepts_basic(&header));
        assert!(!on.accepts_basic(&format!("Basic {}", STANDARD.encode("b2c:pa"))));
        assert!(!on.accepts_basic("Bearer x"));
        assert!(!on.accepts_basic("Basic !!!"));
        let off = ConnectorAuth::new(&["k".to_owned()], &settings("", "")).unwrap();
        assert!(!off.accepts_basic(&header));
        assert!(off.accepts_key("k"));
        assert!(!off.accepts_key(""));
    }
}
