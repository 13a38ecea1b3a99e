//! Where a subscriber remembers what it has processed: the event ids (dedupe) and the last version of each
//! subject (gap detection), written in one transaction with the handler's own writes.
//!
//! The subscriber drives each event through one [`Transaction`]: `claim` the id (false: already processed, the
//! event is acked and skipped), read the subject's `last_version`, run the handler on [`Transaction::conn`],
//! `set_version`, `commit`; any failure rolls it all back. So a handler that writes through the connection it is
//! given commits its writes and the dedupe mark together or not at all: a crash between the commit and the
//! broker's ack redelivers an event whose mark is already there, and it is skipped.

mod memory;
mod postgres;

pub use memory::{MemoryStore, MemoryTx};
pub use postgres::{PgStore, PgTx};

use crate::error::Error;
use std::future::Future;
use uuid::Uuid;

/// One event to claim: `scope` is the subscriber's queue, so several subscribers can share one store.
#[derive(Debug, Clone, Copy)]
pub struct EventKey<'a> {
    pub scope: &'a str,
    pub id: Uuid,
    pub event_type: &'a str,
}

/// One subject's version line: versions are per publisher (`source`) and subject.
#[derive(Debug, Clone, Copy)]
pub struct SubjectKey<'a> {
    pub scope: &'a str,
    pub source: &'a str,
    pub subject: &'a str,
}

/// A dedupe and version store.
pub trait Store: Send + Sync + 'static {
    /// What handlers are given to write with, inside the store's transaction (`()` for a store with nothing
    /// to share).
    type Conn: Send + 'static;
    type Tx: Transaction<Conn = Self::Conn>;

    /// Starts the unit of work for one event.
    fn begin(&self) -> impl Future<Output = Result<Self::Tx, Error>> + Send;
}

/// The unit of work for one event; dropped without `commit`, nothing it did is kept.
pub trait Transaction: Send {
    type Conn: Send + 'static;

    /// The connection handlers write through, so their writes commit with the marks.
    fn conn(&mut self) -> &mut Self::Conn;

    /// Records the event as processed (on commit); `false` if an earlier processing of it committed. Should
    /// also make a concurrent processor of the same id wait for this one, where the store can.
    fn claim(&mut self, event: &EventKey<'_>) -> impl Future<Output = Result<bool, Error>> + Send;

    /// The last version recorded for the subject (`None`: never seen).
    fn last_version(
        &mut self,
        subject: &SubjectKey<'_>,
    ) -> impl Future<Output = Result<Option<i64>, Error>> + Send;

    /// Records `version` as the subject's last (never lowering it).
    fn set_version(
        &mut self,
        subject: &SubjectKey<'_>,
        version: i64,
    ) -> impl Future<Output = Result<(), Error>> + Send;

    fn commit(self) -> impl Future<Output = Result<(), Error>> + Send;

    fn rollback(self) -> impl Future<Output = Result<(), Error>> + Send;
}
