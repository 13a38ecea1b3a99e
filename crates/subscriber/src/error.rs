//! The crate's one error type.

use std::time::Duration;

/// What a handler returns when it fails: any error, so `?` works on database, HTTP or decoding errors alike.
/// A failed handler's event is retried (see the crate docs, "Retries and dead-lettering").
pub type HandlerError = Box<dyn std::error::Error + Send + Sync>;

/// Everything that can go wrong in a subscriber.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The subscriber was built with settings that cannot work (reported by `Builder::build`).
    #[error("invalid subscriber settings: {0}")]
    Config(String),
    /// The broker refused an operation or the connection was lost.
    #[error("broker: {0}")]
    Broker(#[from] lapin::Error),
    /// The broker did not answer within the bound.
    #[error("broker did not answer within {0:?}")]
    Timeout(Duration),
    /// A consumer ended: the broker cancelled it (its queue was deleted, the node holding it went away) or its
    /// channel closed.
    #[error("the consumer on {0} ended (cancelled by the broker, or its channel closed)")]
    ConsumerEnded(String),
    /// The broker would not take a message the subscriber published (dead-lettering a replayed event).
    #[error("the broker refused {0}")]
    Refused(String),
    /// The dedupe / version store failed (database unreachable, transaction failed). Retried in place: such a
    /// failure is the store's, not the event's, so it never uses up the event's delivery attempts.
    #[error("store: {0}")]
    Store(#[source] HandlerError),
    /// The event, or its `data`, does not decode as the registered type: it never will, so it is
    /// dead-lettered at once.
    #[error("event does not decode: {0}")]
    Decode(#[from] serde_json::Error),
    /// The handler failed; the event is retried with backoff and dead-lettered after the delivery limit.
    #[error("handler failed: {0}")]
    Handler(#[source] HandlerError),
}

impl Error {
    /// A store failure, from any error a store implementation meets.
    pub fn store(error: impl Into<HandlerError>) -> Self {
        Self::Store(error.into())
    }

    /// Whether retrying cannot help: the settings are invalid, or the broker refuses the topology as configured
    /// (a queue that exists with other arguments: PRECONDITION_FAILED; no permission: ACCESS_REFUSED), both
    /// reported as [`Error::Config`]. `Subscriber::run` returns these instead of reconnecting forever; anything
    /// else it rides out by reconnecting.
    pub fn is_fatal(&self) -> bool {
        matches!(self, Self::Config(_))
    }

    /// Whether the broker answered NOT_FOUND (a passive declare of something missing).
    pub(crate) fn is_not_found(error: &lapin::Error) -> bool {
        matches!(error.kind(), lapin::ErrorKind::ProtocolError(amqp) if amqp.get_id() == 404)
    }
}
