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

/// The context of one change: the shared [`EventContext`] (`Ctx::system` for changes without a caller), built
/// by the functions below from this service's kinds of caller.
pub type Ctx = EventContext;

/// The verification worker's changes: `worker:verification`, no trace (a run outlives its request).
pub fn worker() -> Ctx {
    EventContext::new("worker:verification".to_owned(), None)
}

/// A member's call: `sub:<sub>`, with the request's trace.
pub fn member(caller: &Caller, req: &HttpRequest) -> Ctx {
    EventContext::new(format!("sub:{}", caller.member), traceparent(req))
}

/// Microsoft's consent callback (no bearer token): `system:consent-callback`, with the request's trace.
pub fn consent_callback(req: &HttpRequest) -> Ctx {
    EventContext::new("system:consent-callback", traceparent(req))
}
