//! Who caused a change, and in which trace: the [`Ctx`] a handler builds from its request and hands to the use
//! case, which stamps it on every event the change emits (`actor`, `traceparent`).
//!
//! Actors: `key:<n>` for a call with the n-th (1-based) configured function key (never the key itself),
//! `connector:b2c` / `connector:entra` for the connectors, `system:<what>` for anything else.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use domain::event::EventContext;
use service_kit::api_key::presented_key;
use subtle::ConstantTimeEq;

/// The header of the W3C trace context.
pub use service_kit::request::TRACEPARENT;

/// The context of one change: its actor and the trace of the request that caused it (the shared
/// [`EventContext`], built here from this service's kinds of caller).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ctx(EventContext);

impl AsRef<EventContext> for Ctx {
    fn as_ref(&self) -> &EventContext {
        &self.0
    }
}

impl Ctx {
    /// A change nobody's request caused (seeding, tools): `system:<what>`, no trace.
    pub fn system(what: &str) -> Self {
        Self(EventContext::system(what))
    }

    /// A connector's call (`connector:b2c`, `connector:entra`), with the request's trace.
    pub fn connector(name: &str, req: &HttpRequest) -> Self {
        Self(EventContext::new(
            format!("connector:{name}"),
            traceparent(req),
        ))
    }

    /// A call behind the function key: `key:<n>`, with the request's trace.
    pub fn caller(req: &HttpRequest) -> Self {
        let position = req
            .app_data::<web::Data<FunctionKeys>>()
            .zip(presented_key(req))
            .and_then(|(keys, presented)| keys.position(&presented));
        Self(EventContext::new(
            position.map_or_else(
                || "system:unauthenticated".to_owned(),
                |n| format!("key:{n}"),
            ),
            traceparent(req),
        ))
    }
}

/// Directory and Graph handlers take a `Ctx` argument: the caller's key position and the request's trace.
impl FromRequest for Ctx {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(Self::caller(req)))
    }
}

/// The configured function keys in their configured order (`auth.function_keys`), to name a caller by position.
#[derive(Clone)]
pub struct FunctionKeys(Vec<String>);

impl FunctionKeys {
    pub fn new(keys: &[String]) -> Self {
        Self(keys.to_vec())
    }

    /// The 1-based position of `presented` among the keys (empty keys never match), compared in constant time
    /// against every key as `ApiKeys::accepts` does, so timing reveals neither which key matched nor whether any
    /// came close.
    pub fn position(&self, presented: &str) -> Option<usize> {
        self.0.iter().enumerate().fold(None, |found, (index, key)| {
            let equal = !key.is_empty() && bool::from(key.as_bytes().ct_eq(presented.as_bytes()));
            found.or(equal.then_some(index + 1))
        })
    }
}

pub use service_kit::request::traceparent;
#[cfg(test)]
use service_kit::request::valid_traceparent;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_in_configured_order() {
        let keys = FunctionKeys::new(&["alpha".into(), String::new(), "beta".into()]);
        assert_eq!(keys.position("alpha"), Some(1));
        assert_eq!(keys.position("beta"), Some(3));
        assert_eq!(keys.position(""), None);
        assert_eq!(keys.position("alph"), None);
    }

    #[test]
    fn only_well_formed_trace_contexts_are_kept() {
        let good = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        assert!(valid_traceparent(good));
        assert!(!valid_traceparent(&good.to_uppercase()));
        assert!(!valid_traceparent(
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01"
        ));
        assert!(!valid_traceparent(
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01"
        ));
        assert!(!valid_traceparent(
            "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        ));
        assert!(!valid_traceparent(
            "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01"
        ));
        assert!(!valid_traceparent(
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7"
        ));
        assert!(!valid_traceparent("garbage"));
    }
}
