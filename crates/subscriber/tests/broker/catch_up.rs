//! Catch-up: events published before the subscriber existed are replayed from the stream through the same
//! handlers, then the live queue takes over; dedupe absorbs the overlap.

use crate::helpers::{Bed, Running, Seen, event, recorder};
use std::time::Duration;
use subscriber::{CatchUp, MemoryStore};

const CREATED: &str = "test.thing.created.v1";
const DELETED: &str = "test.thing.deleted.v1";
const OTHER: &str = "test.other.created.v1";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_published_before_the_subscriber_existed_are_replayed_from_the_stream() {
    let bed = Bed::new().await;
    bed.declare_stream().await;
    let publisher = bed.publisher().await;
    for (n, kind) in [CREATED, DELETED, OTHER, CREATED, DELETED]
        .iter()
        .enumerate()
    {
        publisher
            .publish(&event(kind, &format!("early-{n}"), None))
            .await;
    }
    let seen = Seen::default();
    let subscriber = bed
        .builder(bed.pg_store().await)
        .bind("test.thing.*.v1")
        .catch_up(CatchUp::First)
        .on::<serde_json::Value>(CREATED, recorder(&seen))
        .on::<serde_json::Value>(DELETED, recorder(&seen))
        .build()
        .unwrap();
    let running = Running::start(subscriber);
    // The stream's events of the bound types, in order; the unbound one is not this subscriber's.
    seen.wait_for(4, Duration::from_secs(10)).await;
    assert_eq!(
        seen.subjects(),
        ["early-0", "early-1", "early-3", "early-4"]
    );
    running.wait_live(Duration::from_secs(10)).await;
    for n in 0..2 {
        publisher
            .publish(&event(CREATED, &format!("late-{n}"), None))
            .await;
    }
    seen.wait_for(6, Duration::from_secs(10)).await;
    running.stop().await.unwrap();
    assert_eq!(
        seen.subjects(),
        [
            "early-0", "early-1", "early-3", "early-4", "late-0", "late-1"
        ],
        "each event handled once"
    );
    assert_eq!(bed.settled_depth(&bed.queue).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_busy_exchange_the_replay_hands_over_to_the_queue_at_events_newer_than_the_binding() {
    let bed = Bed::new().await;
    bed.declare_stream().await;
    let publisher = std::sync::Arc::new(bed.publisher().await);
    for n in 0..5 {
        publisher
            .publish(&event(CREATED, &format!("early-{n}"), None))
            .await;
    }
    // An event every 50 ms: the stream is never quiet for the 2 s the idle end would need.
    let busy = tokio_util::sync::CancellationToken::new();
    let feeding = {
        let (publisher, busy) = (std::sync::Arc::clone(&publisher), busy.clone());
        tokio::spawn(async move {
            let mut n = 0;
            while !busy.is_cancelled() {
                publisher
                    .publish(&event(CREATED, &format!("busy-{n}"), None))
                    .await;
                n += 1;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            n
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let seen = Seen::default();
    let running = Running::start(
        bed.builder(bed.pg_store().await)
            .catch_up(CatchUp::First)
            .catch_up_idle(Duration::from_secs(2))
            .clock_skew(Duration::from_millis(300))
            .on::<serde_json::Value>(CREATED, recorder(&seen))
            .build()
            .unwrap(),
    );
    let started = std::time::Instant::now();
    running.wait_live(Duration::from_secs(10)).await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "went live after {:?}: not by the idle end",
        started.elapsed()
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    busy.cancel();
    let published = feeding.await.unwrap();
    let all = seen.wait_for(5 + published, Duration::from_secs(10)).await;
    running.stop().await.unwrap();
    let mut expected: Vec<String> = (0..5).map(|n| format!("early-{n}")).collect();
    expected.extend((0..published).map(|n| format!("busy-{n}")));
    let subjects: Vec<String> = all.into_iter().map(|event| event.subject).collect();
    assert_eq!(subjects, expected, "every event once, in order");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn catch_up_can_start_at_an_offset() {
    let bed = Bed::new().await;
    bed.declare_stream().await;
    let publisher = bed.publisher().await;
    for n in 0..4 {
        publisher
            .publish(&event(CREATED, &format!("e{n}"), None))
            .await;
    }
    let seen = Seen::default();
    let running = Running::start(
        bed.builder(MemoryStore::new())
            .catch_up(CatchUp::Offset(2))
            .on::<serde_json::Value>(CREATED, recorder(&seen))
            .build()
            .unwrap(),
    );
    running.wait_live(Duration::from_secs(10)).await;
    running.stop().await.unwrap();
    assert_eq!(seen.subjects(), ["e2", "e3"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_stream_catch_up_goes_straight_to_the_queue() {
    let bed = Bed::new().await;
    let seen = Seen::default();
    let running = Running::live(
        bed.builder(MemoryStore::new())
            .catch_up(CatchUp::First)
            .on::<serde_json::Value>(CREATED, recorder(&seen))
            .build()
            .unwrap(),
    )
    .await;
    bed.publisher()
        .await
        .publish(&event(CREATED, "live", None))
        .await;
    seen.wait_for(1, Duration::from_secs(10)).await;
    running.stop().await.unwrap();
    assert_eq!(seen.subjects(), ["live"]);
}
