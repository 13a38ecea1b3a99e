//! Broker loss: the subscriber reconnects with backoff, declares its topology again and resumes consuming.

use crate::helpers::{Bed, CutProxy, Running, Seen, event, recorder};
use lapin::options::QueueDeleteOptions;
use std::time::{Duration, Instant};
use subscriber::MemoryStore;

const CREATED: &str = "test.thing.created.v1";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_the_connection_is_cut_the_subscriber_reconnects_and_handles_what_came_meanwhile() {
    let bed = Bed::new().await;
    let proxy = CutProxy::start().await;
    let seen = Seen::default();
    let running = Running::live(
        bed.builder_at(&proxy.url(), bed.pg_store().await)
            .on::<serde_json::Value>(CREATED, recorder(&seen))
            .build()
            .unwrap(),
    )
    .await;
    let publisher = bed.publisher().await;
    publisher.publish(&event(CREATED, "before", None)).await;
    seen.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(running.status.sessions(), 1);

    proxy.cut();
    let cut = Instant::now();
    while running.status.live() {
        assert!(
            cut.elapsed() < Duration::from_secs(5),
            "the loss went unnoticed"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // Published while the subscriber is away: the durable queue keeps them.
    publisher.publish(&event(CREATED, "during-1", None)).await;
    publisher.publish(&event(CREATED, "during-2", None)).await;
    seen.wait_for(3, Duration::from_secs(10)).await;
    assert!(running.status.sessions() >= 2);
    publisher.publish(&event(CREATED, "after", None)).await;
    seen.wait_for(4, Duration::from_secs(10)).await;
    running.stop().await.unwrap();
    assert_eq!(seen.subjects(), ["before", "during-1", "during-2", "after"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queue_deleted_under_the_subscriber_is_declared_again_and_consumption_resumes() {
    let bed = Bed::new().await;
    let seen = Seen::default();
    let running = Running::live(
        bed.builder(MemoryStore::new())
            .on::<serde_json::Value>(CREATED, recorder(&seen))
            .build()
            .unwrap(),
    )
    .await;
    // The broker cancels the consumer of a deleted queue (what losing the queue's node also does).
    let admin = crate::helpers::broker().await;
    admin
        .create_channel()
        .await
        .unwrap()
        .queue_delete(bed.queue.as_str().into(), QueueDeleteOptions::default())
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while running.status.sessions() < 2 || !running.status.live() {
        assert!(Instant::now() < deadline, "never resumed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    bed.publisher()
        .await
        .publish(&event(CREATED, "after", None))
        .await;
    seen.wait_for(1, Duration::from_secs(10)).await;
    running.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replay_cut_short_by_a_broker_loss_resumes_after_the_reconnect() {
    let bed = Bed::new().await;
    bed.declare_stream().await;
    let publisher = bed.publisher().await;
    for n in 0..20 {
        publisher
            .publish(&event(CREATED, &format!("early-{n:02}"), None))
            .await;
    }
    let proxy = CutProxy::start().await;
    let seen = Seen::default();
    let record = seen.clone();
    let running = Running::start(
        bed.builder_at(&proxy.url(), bed.pg_store().await)
            .catch_up(subscriber::CatchUp::First)
            .on::<serde_json::Value>(CREATED, move |_, event| {
                let seen = record.clone();
                subscriber::boxed(async move {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    seen.record(&event);
                    Ok(())
                })
            })
            .build()
            .unwrap(),
    );
    seen.wait_for(5, Duration::from_secs(10)).await;
    assert!(running.status.replaying());
    proxy.cut();
    // The replay resumes, then goes live.
    running.wait_live(Duration::from_secs(15)).await;
    assert!(running.status.sessions() >= 2);
    seen.wait_for(20, Duration::from_secs(15)).await;
    running.stop().await.unwrap();
    let expected: Vec<String> = (0..20).map(|n| format!("early-{n:02}")).collect();
    assert_eq!(seen.subjects(), expected, "each once, in order");
}
