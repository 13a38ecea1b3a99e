//! Dedupe on the event id: a redelivered or republished event reaches its handler once, and the mark commits
//! with the handler's own writes or not at all.

use crate::helpers::{Bed, Running, Seen, event, recorder};
use diesel_async::{RunQueryDsl, SimpleAsyncConnection};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use subscriber::{Event, MemoryStore, boxed};

const CREATED: &str = "test.thing.created.v1";

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// A counter's value (`diesel_async::RunQueryDsl::load` would shadow `AtomicUsize::load` on the `Arc`).
fn loads(counter: &AtomicUsize) -> usize {
    counter.load(Ordering::SeqCst)
}

async fn count(conn: &mut diesel_async::AsyncPgConnection, sql: &str) -> i64 {
    diesel::sql_query(sql)
        .get_result::<Count>(conn)
        .await
        .unwrap()
        .n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_event_twice_is_handled_once_with_the_postgres_store() {
    let bed = Bed::new().await;
    let seen = Seen::default();
    let subscriber = bed
        .builder(bed.pg_store().await)
        .on::<serde_json::Value>(CREATED, recorder(&seen))
        .build()
        .unwrap();
    let running = Running::live(subscriber).await;
    let publisher = bed.publisher().await;
    let twice = event(CREATED, "twice", None);
    publisher.publish(&twice).await;
    publisher.publish(&twice).await;
    publisher.publish(&event(CREATED, "after", None)).await;
    seen.wait_for(2, Duration::from_secs(10)).await;
    running.stop().await.unwrap();
    // Both copies of the first came before the third, so the copy has been skipped, and all were acked.
    assert_eq!(bed.settled_depth(&bed.queue).await, 0);
    assert_eq!(seen.subjects(), ["twice", "after"]);
    let mut db = bed.db().await;
    let sql = format!(
        "SELECT count(*) AS n FROM subscriber_processed WHERE scope = '{}'",
        bed.queue
    );
    assert_eq!(count(&mut db, &sql).await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_event_twice_is_handled_once_with_the_memory_store() {
    let bed = Bed::new().await;
    let seen = Seen::default();
    let store = MemoryStore::new();
    let subscriber = bed
        .builder(store.clone())
        .on::<serde_json::Value>(CREATED, recorder(&seen))
        .build()
        .unwrap();
    let running = Running::live(subscriber).await;
    let publisher = bed.publisher().await;
    let twice = event(CREATED, "twice", None);
    publisher.publish(&twice).await;
    publisher.publish(&twice).await;
    publisher.publish(&event(CREATED, "after", None)).await;
    seen.wait_for(2, Duration::from_secs(10)).await;
    running.stop().await.unwrap();
    assert_eq!(bed.settled_depth(&bed.queue).await, 0);
    assert_eq!(seen.subjects(), ["twice", "after"]);
    assert_eq!(store.processed().await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_handler_rolls_back_its_own_writes_with_the_dedupe_mark() {
    let bed = Bed::new().await;
    let mut db = bed.db().await;
    db.batch_execute("CREATE TABLE things (subject text PRIMARY KEY)")
        .await
        .unwrap();
    let attempts = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&attempts);
    let subscriber = bed
        .builder(bed.pg_store().await)
        .on::<serde_json::Value>(CREATED, move |conn, event: Event<serde_json::Value>| {
            let attempt = counter.fetch_add(1, Ordering::SeqCst);
            boxed(async move {
                // The write goes through the event's transaction; without the rollback, the retry would hit
                // the primary key.
                diesel::sql_query("INSERT INTO things (subject) VALUES ($1)")
                    .bind::<diesel::sql_types::Text, _>(&event.envelope.subject)
                    .execute(conn)
                    .await?;
                if attempt == 0 {
                    return Err("failing after the write, the first time".into());
                }
                Ok(())
            })
        })
        .build()
        .unwrap();
    let running = Running::live(subscriber).await;
    bed.publisher()
        .await
        .publish(&event(CREATED, "once", None))
        .await;
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while loads(&attempts) < 2 {
        assert!(std::time::Instant::now() < deadline, "never retried");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    running.stop().await.unwrap();
    assert_eq!(bed.settled_depth(&bed.queue).await, 0);
    assert_eq!(loads(&attempts), 2);
    assert_eq!(count(&mut db, "SELECT count(*) AS n FROM things").await, 1);
    assert_eq!(
        count(&mut db, "SELECT count(*) AS n FROM subscriber_processed").await,
        1
    );
}
