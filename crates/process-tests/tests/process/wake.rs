//! Waking the relay across replicas: the leader learns of another replica's commits from that replica's
//! `NOTIFY`, sent after the commit, not from its poll.

use crate::helpers::{IDENTITY_KEY, KINDS, Launch, ServiceProcess, database};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// Far longer than the delivery the test waits for: an event that arrives in time was not found by the poll.
const SAFETY_POLL_MS: &str = "60000";

async fn readiness(process: &ServiceProcess, field: &str) -> Option<String> {
    let body: Value = reqwest::get(process.url("/readyz"))
        .await
        .ok()?
        .json()
        .await
        .ok()?;
    body[field].as_str().map(str::to_owned)
}

/// Waits until `/readyz` shows `field` = `value` (the relay's role, the broker link).
async fn wait_readiness(process: &ServiceProcess, field: &str, value: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if readiness(process, field).await.as_deref() == Some(value) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{field} never {value}:\n{}", process.log());
}

async fn create_group_type(process: &ServiceProcess, name: &str) {
    let response = reqwest::Client::new()
        .post(process.url("/api/v1/grouptypes"))
        .header("x-functions-key", IDENTITY_KEY)
        .json(&json!({ "name": name }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_standby_replicas_commit_reaches_the_idle_leader_at_once_not_at_its_poll() {
    let kind = KINDS.iter().find(|k| k.name == "identity").unwrap();
    let database = database(kind);
    let exchange = format!("test.process.wake.{}", test_support::unique_suffix());
    let launch = || {
        Launch::new(kind, &database)
            .set("IDENTITY__BUS__EXCHANGE", &exchange)
            .set("IDENTITY__BUS__POLL_INTERVAL_MS", SAFETY_POLL_MS)
    };
    let mut leader = launch().spawn();
    leader.wait_ready(Duration::from_secs(60)).await;
    wait_readiness(&leader, "relay", "leading").await;
    wait_readiness(&leader, "broker", "connected").await;
    let mut standby = launch().spawn();
    standby.wait_ready(Duration::from_secs(60)).await;
    wait_readiness(&standby, "relay", "standby").await;
    let mut subscriber = test_support::Subscriber::bind_catalogued(&exchange).await;
    // The leader has read the empty outbox and now waits up to its 60 s poll.
    tokio::time::sleep(Duration::from_millis(500)).await;

    for round in 0..3 {
        let name = format!("wake-{round}-{}", test_support::unique_suffix());
        let sent = Instant::now();
        create_group_type(&standby, &name).await;
        let received = subscriber.take(1, Duration::from_secs(5)).await;
        let took = sent.elapsed();
        assert_eq!(received[0].event["data"]["name"], name.as_str());
        assert!(
            took < Duration::from_secs(3),
            "round {round}: published {took:?} after the standby's commit\nleader:\n{}\nstandby:\n{}",
            leader.log(),
            standby.log()
        );
        // Quiet again, so the next round starts from an idle leader too.
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    let metrics = reqwest::get(standby.url("/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics
            .lines()
            .any(|line| line.starts_with("outbox_wakes_forwarded_total") && !line.ends_with(" 0")),
        "the standby forwarded no wake-up:\n{metrics}"
    );
    test_support::delete_exchange(&exchange).await;
}
