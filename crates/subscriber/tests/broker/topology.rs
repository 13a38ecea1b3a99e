//! The queue as configured: patterns decide what arrives, handlers what is done with it; a queue that already
//! exists with other arguments is a configuration error, not something to reconnect through.

use crate::helpers::{Bed, Running, Seen, event, recorder};
use lapin::options::QueueDeclareOptions;
use lapin::types::FieldTable;
use std::time::Duration;
use subscriber::{Error, MemoryStore};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_of_a_bound_type_without_a_handler_are_acked_and_skipped() {
    let bed = Bed::new().await;
    let seen = Seen::default();
    let running = Running::live(
        bed.builder(MemoryStore::new())
            .bind("test.#")
            .on::<serde_json::Value>("test.thing.created.v1", recorder(&seen))
            .build()
            .unwrap(),
    )
    .await;
    let publisher = bed.publisher().await;
    publisher
        .publish(&event("test.thing.unknown.v1", "unknown", None))
        .await;
    // Not bound at all: never reaches the queue.
    publisher
        .publish(&event("other.thing.created.v1", "unbound", None))
        .await;
    publisher
        .publish(&event("test.thing.created.v1", "known", None))
        .await;
    seen.wait_for(1, Duration::from_secs(10)).await;
    running.stop().await.unwrap();
    assert_eq!(seen.subjects(), ["known"]);
    assert_eq!(
        bed.settled_depth(&bed.queue).await,
        0,
        "the unknown one was acked"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queue_that_exists_with_other_arguments_stops_the_subscriber_with_a_configuration_error()
{
    let bed = Bed::new().await;
    let admin = crate::helpers::broker().await;
    // A classic queue under the subscriber's name.
    admin
        .create_channel()
        .await
        .unwrap()
        .queue_declare(
            bed.queue.as_str().into(),
            QueueDeclareOptions {
                durable: true,
                ..QueueDeclareOptions::default()
            },
            FieldTable::default(),
        )
        .await
        .unwrap();
    let subscriber = bed
        .builder(MemoryStore::new())
        .on::<serde_json::Value>("test.thing.created.v1", recorder(&Seen::default()))
        .build()
        .unwrap();
    let outcome = tokio::time::timeout(
        Duration::from_secs(10),
        subscriber.run(tokio_util::sync::CancellationToken::new()),
    )
    .await
    .expect("run returns instead of reconnecting forever");
    match outcome {
        Err(error @ Error::Config(_)) => {
            assert!(error.is_fatal());
            assert!(error.to_string().contains("PRECONDITION_FAILED"), "{error}");
        }
        other => panic!("expected a configuration error, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_single_active_consumer_one_replica_gets_everything_and_the_other_takes_over() {
    let bed = Bed::new().await;
    let (first, second) = (Seen::default(), Seen::default());
    let replica = |seen: &Seen| {
        bed.builder(MemoryStore::new())
            .single_active_consumer(true)
            .on::<serde_json::Value>("test.thing.created.v1", recorder(seen))
            .build()
            .unwrap()
    };
    let active = Running::live(replica(&first)).await;
    let standby = Running::live(replica(&second)).await;
    let publisher = bed.publisher().await;
    for n in 0..5 {
        publisher
            .publish(&event("test.thing.created.v1", &format!("e{n}"), None))
            .await;
    }
    first.wait_for(5, Duration::from_secs(10)).await;
    assert!(
        second.all().is_empty(),
        "the standby got {:?}",
        second.subjects()
    );
    active.stop().await.unwrap();
    publisher
        .publish(&event("test.thing.created.v1", "after", None))
        .await;
    second.wait_for(1, Duration::from_secs(10)).await;
    standby.stop().await.unwrap();
    assert_eq!(second.subjects(), ["after"]);
}
