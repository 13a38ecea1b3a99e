//! The in-memory store, for development and tests: forgotten on restart, so a restarted subscriber processes
//! redelivered events again.

use super::{EventKey, Store, SubjectKey, Transaction};
use crate::error::Error;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use tokio::sync::{Mutex, OwnedMutexGuard};
use uuid::Uuid;

type Subject = (String, String, String);

#[derive(Debug, Default)]
struct State {
    seen: HashSet<(String, Uuid)>,
    versions: HashMap<Subject, i64>,
}

/// Event ids and subject versions in memory; grows with every event processed. Clones share the same state.
#[derive(Debug, Clone, Default)]
pub struct MemoryStore {
    state: Arc<Mutex<State>>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// How many events this store has recorded as processed.
    pub async fn processed(&self) -> usize {
        self.state.lock().await.seen.len()
    }
}

/// Holds the store's lock for the whole event, so claim, handler and marks are one step; applies its marks on
/// commit only.
pub struct MemoryTx {
    state: OwnedMutexGuard<State>,
    conn: (),
    claimed: Option<(String, Uuid)>,
    version: Option<(Subject, i64)>,
}

fn subject_of(key: &SubjectKey<'_>) -> Subject {
    (
        key.scope.to_owned(),
        key.source.to_owned(),
        key.subject.to_owned(),
    )
}

impl Store for MemoryStore {
    type Conn = ();
    type Tx = MemoryTx;

    async fn begin(&self) -> Result<MemoryTx, Error> {
        Ok(MemoryTx {
            state: Arc::clone(&self.state).lock_owned().await,
            conn: (),
            claimed: None,
            version: None,
        })
    }
}

impl Transaction for MemoryTx {
    type Conn = ();

    fn conn(&mut self) -> &mut () {
        &mut self.conn
    }

    async fn claim(&mut self, event: &EventKey<'_>) -> Result<bool, Error> {
        let key = (event.scope.to_owned(), event.id);
        if self.state.seen.contains(&key) {
            return Ok(false);
        }
        self.claimed = Some(key);
        Ok(true)
    }

    async fn last_version(&mut self, subject: &SubjectKey<'_>) -> Result<Option<i64>, Error> {
        Ok(self.state.versions.get(&subject_of(subject)).copied())
    }

    async fn set_version(&mut self, subject: &SubjectKey<'_>, version: i64) -> Result<(), Error> {
        self.version = Some((subject_of(subject), version));
        Ok(())
    }

    async fn commit(mut self) -> Result<(), Error> {
        if let Some(key) = self.claimed.take() {
            self.state.seen.insert(key);
        }
        if let Some((subject, version)) = self.version.take() {
            let last = self.state.versions.entry(subject).or_insert(version);
            *last = (*last).max(version);
        }
        Ok(())
    }

    async fn rollback(self) -> Result<(), Error> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn marks_apply_on_commit_only() {
        let store = MemoryStore::new();
        let event = EventKey {
            scope: "q",
            id: Uuid::now_v7(),
            event_type: "t",
        };
        let subject = SubjectKey {
            scope: "q",
            source: "/s",
            subject: "a",
        };
        let mut tx = store.begin().await.unwrap();
        assert!(tx.claim(&event).await.unwrap());
        tx.set_version(&subject, 3).await.unwrap();
        tx.rollback().await.unwrap();
        let mut tx = store.begin().await.unwrap();
        assert!(tx.claim(&event).await.unwrap(), "rolled back: not seen");
        assert_eq!(tx.last_version(&subject).await.unwrap(), None);
        tx.set_version(&subject, 3).await.unwrap();
        tx.commit().await.unwrap();
        let mut tx = store.begin().await.unwrap();
        assert!(!tx.claim(&event).await.unwrap());
        assert_eq!(tx.last_version(&subject).await.unwrap(), Some(3));
        tx.set_version(&subject, 2).await.unwrap();
        tx.commit().await.unwrap();
        let mut tx = store.begin().await.unwrap();
        assert_eq!(
            tx.last_version(&subject).await.unwrap(),
            Some(3),
            "never lowered"
        );
        drop(tx);
        assert_eq!(store.processed().await, 1);
    }
}
