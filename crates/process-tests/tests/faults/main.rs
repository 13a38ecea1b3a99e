#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

//! The fault suite: the identity binary under a steady write load through its API, a fault injected while the
//! load runs, and every acknowledged write compared with what a subscriber received: lost, duplicated and out of
//! order (per subject, by `subjectversion` where events carry it), and how long publishing paused.
//!
//! `cargo test -p process-tests --test faults` runs the smoke set (connections closed by the broker, the
//! relay's database session killed eight times), as CI does. `FAULTS=full` adds events published with no
//! subscriber bound (read back from the stream), a half-open broker link (a proxy that stops passing the broker's
//! replies), and the scenarios that stop shared infrastructure: the broker stopped and started, the leader
//! killed (`kill -9`) with two replicas, PostgreSQL restarted. Every scenario is bounded in time and requests
//! and talks to loopback only. Figures: docs/RELIABILITY.md.

#[allow(dead_code)]
#[path = "../process/helpers.rs"]
mod helpers;

use futures_util::StreamExt;
use helpers::{IDENTITY_KEY, KINDS, Launch, ServiceProcess, database};
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, QueueBindOptions, QueueDeclareOptions, QueueDeleteOptions,
};
use lapin::types::FieldTable;
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

fn identity() -> &'static helpers::Kind {
    KINDS.iter().find(|k| k.name == "identity").unwrap()
}

fn full() -> bool {
    std::env::var("FAULTS").is_ok_and(|v| v == "full")
}

/// One received event: its id, type, subject, version (if carried) and when it arrived.
#[derive(Clone)]
struct Seen {
    id: String,
    event_type: String,
    subject: String,
    version: Option<i64>,
    at: Instant,
}

/// What the tally needs of a received event, stamped with its arrival.
fn seen(event: &Value) -> Seen {
    Seen {
        id: event["id"].as_str().unwrap_or_default().to_owned(),
        event_type: event["type"].as_str().unwrap_or_default().to_owned(),
        subject: event["subject"].as_str().unwrap_or_default().to_owned(),
        version: event["subjectversion"].as_i64(),
        at: Instant::now(),
    }
}

/// A subscriber on a queue of its own that outlives broker connections (not exclusive, not auto-delete), and
/// reconnects when the broker drops it.
struct Collector {
    seen: Arc<Mutex<Vec<Seen>>>,
    stop: CancellationToken,
    queue: String,
}

impl Collector {
    async fn start(exchange: &str) -> Self {
        let queue = format!("{exchange}.faults");
        let seen = Arc::new(Mutex::new(Vec::new()));
        let stop = CancellationToken::new();
        let (exchange, queue_name, sink, token) = (
            exchange.to_owned(),
            queue.clone(),
            Arc::clone(&seen),
            stop.clone(),
        );
        let ready = Arc::new(tokio::sync::Notify::new());
        let bound = Arc::clone(&ready);
        tokio::spawn(async move {
            while !token.is_cancelled() {
                if let Err(err) = consume(&exchange, &queue_name, &sink, &token, &bound).await {
                    eprintln!("collector reconnecting: {err}");
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        });
        tokio::time::timeout(Duration::from_secs(10), ready.notified())
            .await
            .expect("collector bound");
        Self { seen, stop, queue }
    }

    fn snapshot(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    async fn finish(self) {
        self.stop.cancel();
        if let Ok(connection) =
            lapin::Connection::connect(&test_support::amqp_url(), Default::default()).await
            && let Ok(channel) = connection.create_channel().await
        {
            let _ = channel
                .queue_delete(self.queue.as_str().into(), QueueDeleteOptions::default())
                .await;
            let _ = connection.close(200, "done".into()).await;
        }
    }
}

async fn consume(
    exchange: &str,
    queue: &str,
    sink: &Mutex<Vec<Seen>>,
    stop: &CancellationToken,
    ready: &tokio::sync::Notify,
) -> Result<(), lapin::Error> {
    let connection =
        lapin::Connection::connect(&test_support::amqp_url(), Default::default()).await?;
    let channel = connection.create_channel().await?;
    bus::topology::declare_exchange(&channel, exchange).await?;
    channel
        .queue_declare(
            queue.into(),
            QueueDeclareOptions {
                durable: true,
                ..QueueDeclareOptions::default()
            },
            FieldTable::default(),
        )
        .await?;
    channel
        .queue_bind(
            queue.into(),
            exchange.into(),
            "#".into(),
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await?;
    let mut consumer = channel
        .basic_consume(
            queue.into(),
            "faults".into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await?;
    ready.notify_one();
    loop {
        let delivery = tokio::select! {
            next = consumer.next() => next,
            _ = stop.cancelled() => return Ok(()),
        };
        let Some(delivery) = delivery else {
            return Ok(());
        };
        let delivery = delivery?;
        if let Ok(event) = serde_json::from_slice::<Value>(&delivery.data) {
            sink.lock().unwrap().push(seen(&event));
        }
        delivery.ack(BasicAckOptions::default()).await?;
    }
}

/// Steady writes through the API: group creates round-robin over the replicas, and every fourth request an
/// update of one of a few hot groups (so subjects see several changes). Records what was acknowledged.
struct Load {
    created: Arc<Mutex<Vec<String>>>,
    updates: Arc<Mutex<usize>>,
    stop: CancellationToken,
    task: tokio::task::JoinHandle<()>,
}

impl Load {
    async fn start(addresses: Vec<String>, per_second: u64) -> Self {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .unwrap();
        let first = addresses[0].clone();
        let typeid = post(&client, &first, "/grouptypes", &json!({"name": "faults"}))
            .await
            .expect("group type")["id"]
            .clone();
        let mut hot = Vec::new();
        for n in 0..4 {
            let group = post(
                &client,
                &first,
                "/groups",
                &json!({"name": format!("hot-{n}"), "typeid": typeid}),
            )
            .await
            .expect("hot group");
            hot.push(group);
        }
        let created = Arc::new(Mutex::new(Vec::new()));
        let updates = Arc::new(Mutex::new(0));
        let stop = CancellationToken::new();
        let (sink, count, token) = (Arc::clone(&created), Arc::clone(&updates), stop.clone());
        let task = tokio::spawn(async move {
            let pause = Duration::from_millis(1000 / per_second.max(1));
            let mut n: usize = 0;
            while !token.is_cancelled() && n < 20_000 {
                let address = &addresses[n % addresses.len()];
                if n % 4 == 3 {
                    let group = &hot[n % hot.len()];
                    let body =
                        json!({"id": group["id"], "name": format!("hot-{n}"), "typeid": typeid});
                    let path = format!("/groups/{}", group["id"].as_str().unwrap());
                    let res = client
                        .put(format!("{address}/api/v1{path}"))
                        .header("x-functions-key", IDENTITY_KEY)
                        .json(&body)
                        .send()
                        .await;
                    if res.is_ok_and(|r| r.status().is_success()) {
                        *count.lock().unwrap() += 1;
                    }
                } else {
                    let body = json!({"name": format!("load-{}", uuid()), "typeid": typeid});
                    if let Some(group) = post(&client, address, "/groups", &body).await {
                        sink.lock()
                            .unwrap()
                            .push(group["id"].as_str().unwrap_or_default().to_owned());
                    }
                }
                n += 1;
                tokio::time::sleep(pause).await;
            }
        });
        Self {
            created,
            updates,
            stop,
            task,
        }
    }

    async fn finish(self) -> (Vec<String>, usize) {
        self.stop.cancel();
        let _ = self.task.await;
        let created = self.created.lock().unwrap().clone();
        let updates = *self.updates.lock().unwrap();
        (created, updates)
    }
}

fn uuid() -> String {
    test_support::unique_suffix()
}

async fn post(client: &reqwest::Client, address: &str, path: &str, body: &Value) -> Option<Value> {
    let res = client
        .post(format!("{address}/api/v1{path}"))
        .header("x-functions-key", IDENTITY_KEY)
        .json(body)
        .send()
        .await
        .ok()?;
    if !res.status().is_success() {
        return None;
    }
    res.json().await.ok()
}

/// What a scenario measured.
#[derive(Debug)]
struct Tally {
    scenario: &'static str,
    acked_creates: usize,
    acked_updates: usize,
    received: usize,
    lost: usize,
    duplicates: usize,
    out_of_order: usize,
    /// The longest pause between two received events after the fault began.
    longest_pause: Duration,
}

fn tally(
    scenario: &'static str,
    created: &[String],
    updates: usize,
    seen: &[Seen],
    fault_at: Instant,
) -> Tally {
    let mut ids = HashSet::new();
    let mut duplicates = 0;
    let mut created_seen = HashSet::new();
    let mut versions: HashMap<&str, i64> = HashMap::new();
    let mut out_of_order = 0;
    for event in seen {
        if !ids.insert(event.id.as_str()) {
            duplicates += 1;
            continue;
        }
        if event.event_type == "identity.group.created.v1" {
            created_seen.insert(event.subject.as_str());
        }
        if let Some(version) = event.version {
            let last = versions.entry(event.subject.as_str()).or_insert(0);
            if version <= *last {
                out_of_order += 1;
            }
            *last = (*last).max(version);
        }
    }
    let lost = created
        .iter()
        .filter(|id| !created_seen.contains(id.as_str()))
        .count();
    let mut longest_pause = Duration::ZERO;
    let mut previous = fault_at;
    for event in seen.iter().filter(|e| e.at >= fault_at) {
        longest_pause = longest_pause.max(event.at - previous);
        previous = event.at;
    }
    Tally {
        scenario,
        acked_creates: created.len(),
        acked_updates: updates,
        received: seen.len(),
        lost,
        duplicates,
        out_of_order,
        longest_pause,
    }
}

/// Waits until every acknowledged create has been received (or `within` passes).
async fn drain(collector: &Collector, created: &[String], within: Duration) {
    let deadline = Instant::now() + within;
    let wanted: HashSet<&str> = created.iter().map(String::as_str).collect();
    while Instant::now() < deadline {
        let seen = collector.snapshot();
        let got: HashSet<&str> = seen
            .iter()
            .filter(|e| e.event_type == "identity.group.created.v1")
            .map(|e| e.subject.as_str())
            .collect();
        if wanted.is_subset(&got) {
            // A little longer for the updates that trail the last create.
            tokio::time::sleep(Duration::from_millis(500)).await;
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn report(tally: &Tally) {
    eprintln!(
        "FAULTS {}: acked creates {}, acked updates {}, events received {}, lost {}, duplicated {}, out of order {}, longest pause after the fault {:.2} s",
        tally.scenario,
        tally.acked_creates,
        tally.acked_updates,
        tally.received,
        tally.lost,
        tally.duplicates,
        tally.out_of_order,
        tally.longest_pause.as_secs_f64()
    );
}

fn assert_clean(tally: &Tally, pause_target: Duration) {
    report(tally);
    assert!(
        tally.acked_creates > 0,
        "{}: no write was acknowledged",
        tally.scenario
    );
    assert_eq!(tally.lost, 0, "{}: lost events: {tally:?}", tally.scenario);
    assert_eq!(
        tally.out_of_order, 0,
        "{}: reordered: {tally:?}",
        tally.scenario
    );
    assert!(
        tally.longest_pause <= pause_target,
        "{}: publishing paused {:?} (target {pause_target:?})",
        tally.scenario,
        tally.longest_pause
    );
}

fn rabbitmqctl(args: &[&str]) {
    let status = Command::new("rabbitmqctl")
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .expect("rabbitmqctl runs");
    assert!(status.success(), "rabbitmqctl {args:?}");
}

async fn relay_backend(db_name: &str) -> Option<i32> {
    let output = Command::new("psql")
        .args([
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "-d",
            "postgres",
            "-Atc",
            &format!(
                "SELECT l.pid FROM pg_locks l JOIN pg_stat_activity a USING (pid) \
                 WHERE l.locktype = 'advisory' AND l.granted AND a.datname = '{db_name}' LIMIT 1"
            ),
        ])
        .output()
        .ok()?;
    String::from_utf8_lossy(&output.stdout).trim().parse().ok()
}

fn terminate_backend(pid: i32) {
    let _ = Command::new("psql")
        .args([
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "-d",
            "postgres",
            "-Atc",
            &format!("SELECT pg_terminate_backend({pid})"),
        ])
        .output();
}

/// Every event the exchange's stream holds, from the first (until the stream is quiet for a second).
async fn read_stream(exchange: &str) -> Vec<Seen> {
    let first = lapin::types::AMQPValue::LongString("first".into());
    test_support::read_stream(exchange, first, usize::MAX, Duration::from_secs(1))
        .await
        .iter()
        .map(seen)
        .collect()
}

async fn one_replica() -> (test_support::TestDatabase, ServiceProcess, String) {
    let database = database(identity());
    let exchange = format!("test.faults.{}", uuid());
    let mut process = Launch::new(identity(), &database)
        .set("IDENTITY__BUS__EXCHANGE", &exchange)
        .spawn();
    process.wait_ready(Duration::from_secs(30)).await;
    (database, process, exchange)
}

async fn wait_leader(process: &ServiceProcess, within: Duration) {
    let client = reqwest::Client::new();
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if let Ok(res) = client.get(process.url("/readyz")).send().await
            && let Ok(body) = res.json::<Value>().await
            && body["broker"] == "connected"
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("relay never connected:\n{}", process.log());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults() {
    let mut tallies = Vec::new();

    // Smoke: the broker closes every connection mid-load.
    {
        let (_database, process, exchange) = one_replica().await;
        wait_leader(&process, Duration::from_secs(15)).await;
        let collector = Collector::start(&exchange).await;
        let load = Load::start(vec![process.address.clone()], 40).await;
        tokio::time::sleep(Duration::from_secs(2)).await;
        let fault_at = Instant::now();
        rabbitmqctl(&["close_all_connections", "fault suite"]);
        tokio::time::sleep(Duration::from_secs(4)).await;
        let (created, updates) = load.finish().await;
        drain(&collector, &created, Duration::from_secs(20)).await;
        let seen = collector.snapshot();
        collector.finish().await;
        let t = tally(
            "connections closed by the broker",
            &created,
            updates,
            &seen,
            fault_at,
        );
        assert_clean(&t, Duration::from_secs(3));
        tallies.push(t);
        test_support::delete_exchange(&exchange).await;
    }

    // Smoke: the relay's database session killed eight times, one second apart.
    {
        let (database, process, exchange) = one_replica().await;
        wait_leader(&process, Duration::from_secs(15)).await;
        let db_name = database.url.rsplit('/').next().unwrap().to_owned();
        let collector = Collector::start(&exchange).await;
        let load = Load::start(vec![process.address.clone()], 40).await;
        tokio::time::sleep(Duration::from_secs(1)).await;
        let fault_at = Instant::now();
        let mut kills = 0;
        for _ in 0..8 {
            if let Some(pid) = relay_backend(&db_name).await {
                terminate_backend(pid);
                kills += 1;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        assert!(kills >= 7, "found the relay's session only {kills} times");
        let (created, updates) = load.finish().await;
        drain(&collector, &created, Duration::from_secs(20)).await;
        let seen = collector.snapshot();
        collector.finish().await;
        let t = tally(
            "relay database session killed 8 times",
            &created,
            updates,
            &seen,
            fault_at,
        );
        assert_clean(&t, Duration::from_secs(1) + Duration::from_millis(500));
        tallies.push(t);
        test_support::delete_exchange(&exchange).await;
    }

    if !full() {
        return;
    }

    // Events published while no subscriber queue is bound, then read back from the stream.
    {
        let (_database, process, exchange) = one_replica().await;
        wait_leader(&process, Duration::from_secs(15)).await;
        let load = Load::start(vec![process.address.clone()], 40).await;
        tokio::time::sleep(Duration::from_secs(4)).await;
        let (created, updates) = load.finish().await;
        tokio::time::sleep(Duration::from_secs(1)).await;
        let seen = read_stream(&exchange).await;
        let t = tally(
            "no subscriber bound, read back from the stream",
            &created,
            updates,
            &seen,
            Instant::now(),
        );
        report(&t);
        assert_eq!(t.lost, 0, "{t:?}");
        assert_eq!(t.out_of_order, 0, "{t:?}");
        tallies.push(t);
        test_support::delete_exchange(&exchange).await;
    }

    // A half-open broker link: the broker's replies stop arriving, the TCP connection stays up.
    {
        let database = database(identity());
        let exchange = format!("test.faults.{}", uuid());
        let proxy = test_support::HalfOpenProxy::start().await;
        let mut process = Launch::new(identity(), &database)
            .set("IDENTITY__BUS__EXCHANGE", &exchange)
            .set("AMQP_URL", &proxy.url())
            .spawn();
        process.wait_ready(Duration::from_secs(30)).await;
        wait_leader(&process, Duration::from_secs(15)).await;
        let collector = Collector::start(&exchange).await;
        let load = Load::start(vec![process.address.clone()], 40).await;
        tokio::time::sleep(Duration::from_secs(2)).await;
        let fault_at = Instant::now();
        proxy.stall();
        tokio::time::sleep(Duration::from_secs(16)).await;
        let (created, updates) = load.finish().await;
        drain(&collector, &created, Duration::from_secs(20)).await;
        let seen = collector.snapshot();
        collector.finish().await;
        let t = tally("half-open broker link", &created, updates, &seen, fault_at);
        // The relay's confirm timeout (10 s by default) plus the close bound and a reconnect.
        assert_clean(&t, Duration::from_secs(15));
        tallies.push(t);
        test_support::delete_exchange(&exchange).await;
    }

    // The broker stopped for 10 s, then started.
    {
        let (_database, process, exchange) = one_replica().await;
        wait_leader(&process, Duration::from_secs(15)).await;
        let collector = Collector::start(&exchange).await;
        let load = Load::start(vec![process.address.clone()], 40).await;
        tokio::time::sleep(Duration::from_secs(2)).await;
        rabbitmqctl(&["stop_app"]);
        tokio::time::sleep(Duration::from_secs(10)).await;
        rabbitmqctl(&["start_app"]);
        let back_at = Instant::now();
        tokio::time::sleep(Duration::from_secs(5)).await;
        let (created, updates) = load.finish().await;
        drain(&collector, &created, Duration::from_secs(30)).await;
        let seen = collector.snapshot();
        collector.finish().await;
        let t = tally("broker stopped 10 s", &created, updates, &seen, back_at);
        assert_clean(&t, Duration::from_secs(3));
        tallies.push(t);
        test_support::delete_exchange(&exchange).await;
    }

    // The leader killed (kill -9) with two replicas.
    {
        let database = database(identity());
        let exchange = format!("test.faults.{}", uuid());
        let mut first = Launch::new(identity(), &database)
            .set("IDENTITY__BUS__EXCHANGE", &exchange)
            .spawn();
        first.wait_ready(Duration::from_secs(30)).await;
        wait_leader(&first, Duration::from_secs(15)).await;
        let mut second = Launch::new(identity(), &database)
            .set("IDENTITY__BUS__EXCHANGE", &exchange)
            .spawn();
        second.wait_ready(Duration::from_secs(30)).await;
        let collector = Collector::start(&exchange).await;
        let load = Load::start(vec![first.address.clone(), second.address.clone()], 40).await;
        tokio::time::sleep(Duration::from_secs(2)).await;
        let fault_at = Instant::now();
        first.kill();
        tokio::time::sleep(Duration::from_secs(5)).await;
        let (created, updates) = load.finish().await;
        drain(&collector, &created, Duration::from_secs(20)).await;
        let seen = collector.snapshot();
        collector.finish().await;
        // Writes sent to the dead replica fail and are not acknowledged; the survivor's must all arrive.
        let t = tally(
            "leader killed with two replicas",
            &created,
            updates,
            &seen,
            fault_at,
        );
        assert_clean(&t, Duration::from_secs(2) + Duration::from_millis(500));
        tallies.push(t);
        drop(second);
        test_support::delete_exchange(&exchange).await;
    }

    // PostgreSQL restarted.
    {
        let (_database, process, exchange) = one_replica().await;
        wait_leader(&process, Duration::from_secs(15)).await;
        let collector = Collector::start(&exchange).await;
        let load = Load::start(vec![process.address.clone()], 40).await;
        tokio::time::sleep(Duration::from_secs(2)).await;
        let cluster = std::fs::read_dir("/etc/postgresql")
            .ok()
            .and_then(|mut dirs| dirs.next())
            .and_then(|dir| dir.ok())
            .map(|dir| dir.file_name().to_string_lossy().into_owned())
            .expect("a PostgreSQL cluster under /etc/postgresql");
        let status = Command::new("pg_ctlcluster")
            .args(["--skip-systemctl-redirect", &cluster, "main", "restart"])
            .status()
            .expect("pg_ctlcluster runs");
        assert!(status.success());
        let back_at = Instant::now();
        tokio::time::sleep(Duration::from_secs(5)).await;
        let (created, updates) = load.finish().await;
        drain(&collector, &created, Duration::from_secs(30)).await;
        let seen = collector.snapshot();
        collector.finish().await;
        let t = tally("PostgreSQL restarted", &created, updates, &seen, back_at);
        assert_clean(&t, Duration::from_secs(3));
        tallies.push(t);
        test_support::delete_exchange(&exchange).await;
    }
    for t in &tallies {
        report(t);
    }
}
