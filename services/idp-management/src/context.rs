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

/// The context of one change: the shared [`EventContext`] (`Ctx::system` for changes without a caller), built
/// by the functions below from this service's kinds of caller.
pub type Ctx = EventContext;

/// A bearer-token caller's change: `sub:<subject>`, with the request's trace (a valid `traceparent` only).
pub fn caller(caller: &Caller, req: &HttpRequest) -> Ctx {
    EventContext::new(
        format!("sub:{}", caller.actor),
        service_kit::request::traceparent(req),
    )
}
