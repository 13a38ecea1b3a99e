//! Typed handlers: one per event type, receiving the envelope and `data` decoded as the type the caller names.

use crate::error::{Error, HandlerError};
use domain::CloudEvent;
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use serde::de::DeserializeOwned;
use std::future::Future;
use std::marker::PhantomData;
use std::panic::AssertUnwindSafe;

/// What a handler returns.
pub type HandlerResult = Result<(), HandlerError>;

/// One event as a handler sees it: the CloudEvent envelope (id, source, subject, time, the optional extension
/// attributes; `envelope.data` is the raw JSON) and `data` decoded as the handler's payload type.
#[derive(Debug, Clone)]
pub struct Event<T> {
    pub envelope: CloudEvent,
    pub data: T,
}

/// A handler for events whose `data` decodes as `T`, given the store's connection `C` (for
/// [`PgStore`](crate::PgStore), the transaction the dedupe mark is written in).
///
/// Closures register through [`Builder::on`](crate::Builder::on); implement this trait for a handler that keeps
/// state of its own, since the future it returns may borrow `self`.
pub trait Handler<C, T>: Send + Sync + 'static {
    fn handle<'a>(&'a self, conn: &'a mut C, event: Event<T>) -> BoxFuture<'a, HandlerResult>;
}

/// A closure as a [`Handler`].
pub(crate) struct FnHandler<F>(pub(crate) F);

impl<C, T, F> Handler<C, T> for FnHandler<F>
where
    F: for<'c> Fn(&'c mut C, Event<T>) -> BoxFuture<'c, HandlerResult> + Send + Sync + 'static,
{
    fn handle<'a>(&'a self, conn: &'a mut C, event: Event<T>) -> BoxFuture<'a, HandlerResult> {
        (self.0)(conn, event)
    }
}

/// Boxes a handler's body, so a closure can be written `|conn, event| subscriber::boxed(async move { .. })`
/// with `?` inside: the future's output type is fixed here, which `Box::pin` alone would leave to inference.
pub fn boxed<'a, F>(future: F) -> BoxFuture<'a, HandlerResult>
where
    F: Future<Output = HandlerResult> + Send + 'a,
{
    Box::pin(future)
}

/// A handler with its payload type erased, so handlers of different types share one table.
pub(crate) trait Route<C>: Send + Sync {
    /// Decodes `data` and runs the handler: `Error::Decode` if it does not decode, `Error::Handler` if the
    /// handler failed.
    fn handle<'a>(
        &'a self,
        conn: &'a mut C,
        envelope: CloudEvent,
    ) -> BoxFuture<'a, Result<(), Error>>;
}

pub(crate) struct Typed<T, H> {
    handler: H,
    /// `fn() -> T`: the route neither owns nor shares a `T`, so it is `Send + Sync` whatever `T` is.
    payload: PhantomData<fn() -> T>,
}

impl<T, H> Typed<T, H> {
    pub(crate) fn new(handler: H) -> Self {
        Self {
            handler,
            payload: PhantomData,
        }
    }
}

impl<C, T, H> Route<C> for Typed<T, H>
where
    C: Send + 'static,
    T: DeserializeOwned + Send + 'static,
    H: Handler<C, T>,
{
    fn handle<'a>(
        &'a self,
        conn: &'a mut C,
        envelope: CloudEvent,
    ) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            let data = T::deserialize(&envelope.data)?;
            // A panicking handler counts as a failing one (retried, then dead-lettered) instead of taking the
            // subscriber down and crash-looping every replica on the same event. Nothing of the handler's
            // state is reused after it: the transaction it wrote in is rolled back.
            let handled = AssertUnwindSafe(self.handler.handle(conn, Event { envelope, data }))
                .catch_unwind()
                .await;
            match handled {
                Ok(result) => result.map_err(Error::Handler),
                Err(_) => Err(Error::Handler("the handler panicked".into())),
            }
        })
    }
}
