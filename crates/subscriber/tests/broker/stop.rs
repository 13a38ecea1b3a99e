//! Graceful stop: no new delivery is started, the one in progress finishes and is acknowledged, the rest stay
//! in the queue for the next start.

use crate::helpers::{Bed, Running, Seen, event, recorder};
use std::sync::Arc;
use std::time::{Duration, Instant};
use subscriber::{MemoryStore, boxed};
use tokio::sync::Notify;

const SLOW: &str = "test.thing.slow.v1";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_lets_the_handler_in_progress_finish_and_acks_it_and_nothing_more() {
    let bed = Bed::new().await;
    let seen = Seen::default();
    let record = seen.clone();
    let started = Arc::new(Notify::new());
    let signal = Arc::clone(&started);
    let running = Running::live(
        bed.builder(MemoryStore::new())
            .on::<serde_json::Value>(SLOW, move |_, event| {
                let (seen, started) = (record.clone(), Arc::clone(&signal));
                boxed(async move {
                    started.notify_one();
                    tokio::time::sleep(Duration::from_millis(700)).await;
                    seen.record(&event);
                    Ok(())
                })
            })
            .build()
            .unwrap(),
    )
    .await;
    let publisher = bed.publisher().await;
    publisher.publish(&event(SLOW, "in-progress", None)).await;
    publisher.publish(&event(SLOW, "waiting", None)).await;
    tokio::time::timeout(Duration::from_secs(10), started.notified())
        .await
        .expect("the handler started");
    let asked = Instant::now();
    running.stop().await.unwrap();
    assert!(
        asked.elapsed() >= Duration::from_millis(500),
        "did not wait for the handler"
    );
    assert_eq!(
        seen.subjects(),
        ["in-progress"],
        "finished, and nothing started after"
    );
    // The finished event was acknowledged; the prefetched one went back to the queue.
    assert_eq!(bed.settled_depth(&bed.queue).await, 1);

    // A fresh subscriber (forgetting nothing: a new memory store) gets only the one left.
    let next = Seen::default();
    let running = Running::live(
        bed.builder(MemoryStore::new())
            .on::<serde_json::Value>(SLOW, recorder(&next))
            .build()
            .unwrap(),
    )
    .await;
    next.wait_for(1, Duration::from_secs(10)).await;
    running.stop().await.unwrap();
    assert_eq!(next.subjects(), ["waiting"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_while_the_broker_is_unreachable_returns_promptly() {
    let bed = Bed::new().await;
    // Nothing listens on this port: every connect fails and the subscriber backs off.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let seen = Seen::default();
    let running = Running::start(
        bed.builder_at(
            &format!("amqp://guest:guest@127.0.0.1:{port}/%2f"),
            MemoryStore::new(),
        )
        .on::<serde_json::Value>(SLOW, recorder(&seen))
        .build()
        .unwrap(),
    );
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert!(!running.status.connected());
    let asked = Instant::now();
    running.stop().await.unwrap();
    assert!(asked.elapsed() < Duration::from_secs(1));
}
