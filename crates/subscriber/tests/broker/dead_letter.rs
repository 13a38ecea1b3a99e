//! Poison messages: a handler that keeps failing is retried with pauses, then the broker dead-letters the
//! message to `<queue>.dlq` after the delivery limit; what can never be processed goes there at once.

use crate::helpers::{Bed, Running, Seen, event, recorder};
use lapin::BasicProperties;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use subscriber::boxed;

const FAILING: &str = "test.thing.failing.v1";
const TYPED: &str = "test.thing.typed.v1";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handler_that_always_fails_ends_in_the_dead_letter_queue_after_the_delivery_limit() {
    let bed = Bed::new().await;
    let attempts = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&attempts);
    let subscriber = bed
        .builder(bed.pg_store().await)
        .delivery_limit(2)
        .retry_backoff(Duration::from_millis(200), Duration::from_millis(400))
        .on::<serde_json::Value>(FAILING, move |_, _| {
            counter.fetch_add(1, Ordering::SeqCst);
            boxed(async { Err("always fails".into()) })
        })
        .build()
        .unwrap();
    let running = Running::live(subscriber).await;
    let poison = event(FAILING, "poison", None);
    let started = Instant::now();
    bed.publisher().await.publish(&poison).await;
    let dead = bed.dead_lettered(Duration::from_secs(15)).await;
    let took = started.elapsed();
    assert_eq!(
        dead.delivery
            .properties
            .message_id()
            .as_ref()
            .map(|id| id.to_string()),
        Some(poison.id.to_string())
    );
    let body: domain::CloudEvent = serde_json::from_slice(&dead.delivery.data).unwrap();
    assert_eq!(body, poison, "dead-lettered as published");
    // Delivered once, returned twice (the limit), dead-lettered on the third failure.
    assert_eq!(attempts.load(Ordering::SeqCst), 3);
    // Pauses of 200, 400 and 400 ms before each return: a failing handler does not spin.
    assert!(took >= Duration::from_millis(900), "took {took:?}");
    running.stop().await.unwrap();
    assert_eq!(bed.settled_depth(&bed.queue).await, 0);
}

#[derive(Debug, serde::Deserialize)]
#[allow(dead_code)]
struct Typed {
    count: u32,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_can_never_be_processed_is_dead_lettered_at_once_and_the_queue_moves_on() {
    let bed = Bed::new().await;
    let seen = Seen::default();
    let subscriber = bed
        .builder(bed.pg_store().await)
        .retry_backoff(Duration::from_secs(5), Duration::from_secs(5))
        .on::<Typed>(TYPED, recorder(&seen))
        .build()
        .unwrap();
    let running = Running::live(subscriber).await;
    let publisher = bed.publisher().await;
    let started = Instant::now();
    publisher
        .raw(
            TYPED,
            b"not json",
            BasicProperties::default().with_delivery_mode(2),
        )
        .await;
    // `data` lacks `count`: it will never decode as the handler's type.
    let mismatched = event(TYPED, "mismatched", None);
    publisher.publish(&mismatched).await;
    let mut good = event(TYPED, "good", None);
    good.data = serde_json::json!({ "count": 3 });
    publisher.publish(&good).await;
    seen.wait_for(1, Duration::from_secs(5)).await;
    // Neither waited for a retry pause (5 s).
    assert!(started.elapsed() < Duration::from_secs(4));
    assert_eq!(seen.subjects(), ["good"]);
    let first = bed.dead_lettered(Duration::from_secs(5)).await;
    assert_eq!(first.delivery.data, b"not json");
    let second = bed.dead_lettered(Duration::from_secs(5)).await;
    let body: domain::CloudEvent = serde_json::from_slice(&second.delivery.data).unwrap();
    assert_eq!(body.id, mismatched.id);
    running.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_handler_counts_as_a_failing_one_and_the_subscriber_carries_on() {
    let bed = Bed::new().await;
    let seen = Seen::default();
    let subscriber = bed
        .builder(bed.pg_store().await)
        .delivery_limit(1)
        .on::<serde_json::Value>(FAILING, |_, _| {
            boxed(async { panic!("a bug in the handler") })
        })
        .on::<Typed>(TYPED, recorder(&seen))
        .build()
        .unwrap();
    let running = Running::live(subscriber).await;
    let publisher = bed.publisher().await;
    let poison = event(FAILING, "panics", None);
    publisher.publish(&poison).await;
    let mut good = event(TYPED, "after", None);
    good.data = serde_json::json!({ "count": 1 });
    publisher.publish(&good).await;
    let dead = bed.dead_lettered(Duration::from_secs(10)).await;
    let body: domain::CloudEvent = serde_json::from_slice(&dead.delivery.data).unwrap();
    assert_eq!(body.id, poison.id);
    seen.wait_for(1, Duration::from_secs(10)).await;
    assert!(running.status.live());
    running.stop().await.unwrap();
}
