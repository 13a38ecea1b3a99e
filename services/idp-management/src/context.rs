//! Who caused a change, and in which trace: the [`Ctx`] a handler builds from its authenticated caller and its
//! request and hands to the use case, which stamps it on every event the change emits (`actor`, `traceparent`).
//!
//! Actors: `sub:<subject>` for a bearer-token caller (the member or the admin; the subject is the token's
//! `actor` claim, the one `createdBy` / `lastModifiedBy` record: this contract's tokens name who acts there),
//! `system:configuration` for the applications `registry.applications` registers at start-up, `system:<what>`
//! for anything else without a caller.

use crate::auth::Caller;
use actix_web::HttpRequest;
use domain::event::EventContext;

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
    /// A change nobody's request caused (start-up registration, tools): `system:<what>`, no trace.
    pub fn system(what: &str) -> Self {
        Self(EventContext::system(what))
    }

    /// A bearer-token caller's change: `sub:<subject>`, with the request's trace (a valid `traceparent` only).
    pub fn caller(caller: &Caller, req: &HttpRequest) -> Self {
        Self(EventContext::new(
            format!("sub:{}", caller.actor),
            service_kit::request::traceparent(req),
        ))
    }
}
