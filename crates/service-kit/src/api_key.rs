//! The identity contract's `FunctionKey` scheme: an API key in the `code` query parameter or the
//! `x-functions-key` header, compared in constant time against the configured keys.

use crate::Problem;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{Error, ResponseError, web};
use subtle::ConstantTimeEq;

/// The keys that open the API. An empty set refuses every call (fail closed).
#[derive(Clone)]
pub struct ApiKeys(Vec<String>);

impl ApiKeys {
    pub const HEADER: &'static str = "x-functions-key";
    pub const QUERY: &'static str = "code";

    pub fn new(keys: impl IntoIterator<Item = String>) -> Self {
        Self(keys.into_iter().filter(|key| !key.is_empty()).collect())
    }

    /// Whether `presented` is one of the keys, compared in constant time.
    pub fn accepts(&self, presented: &str) -> bool {
        // Check every key so timing does not reveal which one (or whether any) came close.
        self.0.iter().fold(false, |found, key| {
            found | bool::from(key.as_bytes().ct_eq(presented.as_bytes()))
        })
    }
}

/// The key a request presents: the `x-functions-key` header, else the first `code` query parameter.
pub fn presented_key(req: &actix_web::HttpRequest) -> Option<String> {
    if let Some(value) = req.headers().get(ApiKeys::HEADER) {
        return value.to_str().ok().map(str::to_owned);
    }
    url::form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(name, _)| name == ApiKeys::QUERY)
        .map(|(_, value)| value.into_owned())
}

/// Middleware (`actix_web::middleware::from_fn(require_api_key)`) answering 401 before the handler runs.
pub async fn require_api_key(
    keys: web::Data<ApiKeys>,
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let verdict = match presented_key(req.request()) {
        None => Err(
            "A function key is required: pass it as the `code` query parameter or the `x-functions-key` header.",
        ),
        Some(key) if keys.accepts(&key) => Ok(()),
        Some(_) => Err("The function key is not valid."),
    };
    match verdict {
        Ok(()) => Ok(next.call(req).await?.map_into_left_body()),
        Err(detail) => {
            let response = Problem::new(StatusCode::UNAUTHORIZED, detail).error_response();
            Ok(req.into_response(response).map_into_right_body())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_only_configured_non_empty_keys() {
        let keys = ApiKeys::new(["alpha".to_owned(), String::new(), "beta".to_owned()]);
        assert!(keys.accepts("alpha"));
        assert!(keys.accepts("beta"));
        assert!(!keys.accepts(""));
        assert!(!keys.accepts("alph"));
        assert!(!ApiKeys::new(Vec::new()).accepts(""));
    }
}
