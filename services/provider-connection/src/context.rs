//! Who caused a change, and in which trace: the [`Ctx`] a handler builds from its request (or the worker builds
//! for itself) and hands to the use case, which stamps it on every event the change emits (`actor`,
//! `traceparent`).
//!
//! Actors: `sub:<sub>` for a member's call (the bearer token's `sub` claim), `worker:verification` for the
//! verification worker (its runs and its sweep of stuck runs), `system:consent-callback` for Microsoft's
//! consent callback (the administrator's browser, without a bearer token), `system:<what>` for anything else.

use crate::auth::Caller;
use actix_web::HttpRequest;
use domain::event::EventContext;
use service_kit::request::traceparent;

/// The context of one change: its actor and the trace of the request that caused it (the shared
/// [`EventContext`], built here from this service's kinds of caller).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ctx(EventContext);

impl std::ops::Deref for Ctx {
    type Target = EventContext;
    fn deref(&self) -> &EventContext {
        &self.0
    }
}

impl Ctx {
    /// A change nobody's request caused: `system:<what>`, no trace.
    pub fn system(what: &str) -> Self {
        Self(EventContext::system(what))
    }

    /// The verification worker's changes: `worker:verification`, no trace (a run outlives its request).
    pub fn worker() -> Self {
        Self(EventContext::new("worker:verification".to_owned(), None))
    }

    /// A member's call: `sub:<sub>`, with the request's trace.
    pub fn member(caller: &Caller, req: &HttpRequest) -> Self {
        Self(EventContext::new(
            format!("sub:{}", caller.member),
            traceparent(req),
        ))
    }

    /// Microsoft's consent callback (no bearer token): `system:consent-callback`, with the request's trace.
    pub fn consent_callback(req: &HttpRequest) -> Self {
        Self(EventContext::new(
            "system:consent-callback",
            traceparent(req),
        ))
    }
}
