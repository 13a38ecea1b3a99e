//! Authentication of the connector paths: the contract's function key (`code` query parameter or
//! `x-functions-key` header), or HTTP Basic when configured (B2C API connectors offer both).

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{AUTHORIZATION, HeaderValue, WWW_AUTHENTICATE};
use actix_web::middleware::Next;
use actix_web::{Error, ResponseError, web};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use service_kit::Problem;
use service_kit::api_key::{ApiKeys, presented_key};
use subtle::ConstantTimeEq;

use crate::settings::ConnectorSettings;

/// The credentials that open the connector paths. No key and no Basic pair refuses every call.
#[derive(Clone)]
pub struct ConnectorAuth {
    keys: ApiKeys,
    /// `user:password`, as Basic carries it; `None` when Basic is off.
    basic: Option<String>,
}

impl ConnectorAuth {
    pub fn new(function_keys: &[String], settings: &ConnectorSettings) -> Self {
        Self {
            keys: ApiKeys::new(function_keys.iter().cloned()),
            basic: (!settings.basic_username.is_empty())
                .then(|| format!("{}:{}", settings.basic_username, settings.basic_password)),
        }
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

    fn verdict(&self, req: &ServiceRequest) -> Result<(), &'static str> {
        if let Some(value) = req.headers().get(AUTHORIZATION)
            && self.basic.is_some()
        {
            return match value.to_str() {
                Ok(header) if self.accepts_basic(header) => Ok(()),
                _ => Err("The Basic credentials are not valid."),
            };
        }
        match presented_key(req.request()) {
            Some(key) if self.accepts_key(&key) => Ok(()),
            Some(_) => Err("The function key is not valid."),
            None if self.basic.is_some() => Err(
                "Credentials are required: HTTP Basic, or a function key as the `code` query parameter or the `x-functions-key` header.",
            ),
            None => Err(
                "A function key is required: pass it as the `code` query parameter or the `x-functions-key` header.",
            ),
        }
    }
}

/// Middleware (`from_fn(require_connector_auth)`) answering 401 before the handler runs.
pub async fn require_connector_auth(
    auth: web::Data<ConnectorAuth>,
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    match auth.verdict(&req) {
        Ok(()) => Ok(next.call(req).await?.map_into_left_body()),
        Err(detail) => {
            let mut response = Problem::new(StatusCode::UNAUTHORIZED, detail).error_response();
            if auth.basic.is_some() {
                response.headers_mut().insert(
                    WWW_AUTHENTICATE,
                    HeaderValue::from_static("Basic realm=\"identity connectors\""),
                );
            }
            Ok(req.into_response(response).map_into_right_body())
        }
    }
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
        }
    }

    #[test]
    fn basic_is_checked_only_when_configured() {
        let on = ConnectorAuth::new(&["k".to_owned()], &settings("b2c", "pa:ss"));
        let header = format!("Basic {}", STANDARD.encode("b2c:pa:ss"));
        assert!(on.accepts_basic(&header));
        assert!(!on.accepts_basic(&format!("Basic {}", STANDARD.encode("b2c:pa"))));
        assert!(!on.accepts_basic("Bearer x"));
        assert!(!on.accepts_basic("Basic !!!"));
        let off = ConnectorAuth::new(&["k".to_owned()], &settings("", ""));
        assert!(!off.accepts_basic(&header));
        assert!(off.accepts_key("k"));
        assert!(!off.accepts_key(""));
    }
}
