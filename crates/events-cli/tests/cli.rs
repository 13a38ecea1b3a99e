//! The `events` binary against the real RabbitMQ: each test declares an exchange and stream of its own (as a
//! service's relay does), publishes CloudEvents the way the relay does, runs the binary and reads what it prints.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use bus::BusSettings;
use domain::CloudEvent;
use lapin::options::{BasicPublishOptions, ConfirmSelectOptions};
use lapin::{BasicProperties, Channel, Connection, ConnectionProperties};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const USER_CREATED: &str = "test.user.created.v1";
const USER_DELETED: &str = "test.user.deleted.v1";
const GROUP_CREATED: &str = "test.group.created.v1";

/// An exchange and its stream, declared as the relay declares them, deleted when the test ends.
struct Bed {
    exchange: String,
    _connection: Connection,
    channel: Channel,
}

impl Bed {
    async fn new() -> Self {
        let exchange = format!("test.events-cli.{}", test_support::unique_suffix());
        let settings = BusSettings {
            url: test_support::amqp_url(),
            exchange: exchange.clone(),
            relay_enabled: false,
            batch_size: 100,
            in_flight_batches: 4,
            poll_interval_ms: 200,
            connect_timeout_ms: 1000,
            confirm_timeout_ms: 2000,
            max_backoff_ms: 500,
            retention_hours: 168,
            stream_enabled: true,
            stream_max_age: "1h".to_owned(),
            stream_max_length_bytes: 10_000_000,
        };
        let connection = Connection::connect(&settings.url, ConnectionProperties::default())
            .await
            .unwrap();
        bus::topology::declare(&connection, &settings)
            .await
            .unwrap();
        let channel = connection.create_channel().await.unwrap();
        channel
            .confirm_select(ConfirmSelectOptions::default())
            .await
            .unwrap();
        Self {
            exchange,
            _connection: connection,
            channel,
        }
    }

    /// Publishes as the relay does (routing key = type, persistent, mandatory, timestamp) and waits for the
    /// broker's confirm; returns the body sent.
    async fn publish(&self, event: &CloudEvent) -> Vec<u8> {
        let body = serde_json::to_vec(event).unwrap();
        let properties = BasicProperties::default()
            .with_delivery_mode(2)
            .with_content_type(CloudEvent::CONTENT_TYPE.into())
            .with_message_id(event.id.to_string().into())
            .with_timestamp(u64::try_from(chrono::Utc::now().timestamp()).unwrap());
        let confirm = self
            .channel
            .basic_publish(
                self.exchange.as_str().into(),
                event.event_type.as_str().into(),
                BasicPublishOptions {
                    mandatory: true,
                    ..BasicPublishOptions::default()
                },
                &body,
                properties,
            )
            .await
            .unwrap()
            .await
            .unwrap();
        assert!(
            confirm.is_ack() && confirm.take_message().is_none(),
            "routed"
        );
        body
    }

    /// Publishes each (type, subject) in order; returns the bodies.
    async fn publish_all(&self, events: &[(&str, &str)]) -> Vec<Vec<u8>> {
        let mut bodies = Vec::new();
        for (n, (event_type, subject)) in events.iter().enumerate() {
            bodies.push(self.publish(&event(event_type, subject, n)).await);
        }
        bodies
    }

    /// `events --amqp-url … --exchange <ours> <args>`, run to its end.
    async fn events(&self, args: &[&str]) -> Finished {
        self.start(args).finish().await
    }

    fn start(&self, args: &[&str]) -> Running {
        let mut all = vec![
            "--amqp-url".to_owned(),
            test_support::amqp_url(),
            "--exchange".to_owned(),
            self.exchange.clone(),
        ];
        all.extend(args.iter().map(|arg| (*arg).to_owned()));
        Running::start(&all)
    }
}

impl Drop for Bed {
    fn drop(&mut self) {
        let exchange = self.exchange.clone();
        // Never panics: a drop while a failing test unwinds must not abort the test binary.
        let _ = std::thread::spawn(move || {
            if let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                runtime.block_on(test_support::delete_exchange(&exchange));
            }
        })
        .join();
    }
}

fn event(event_type: &str, subject: &str, n: usize) -> CloudEvent {
    let mut event = CloudEvent::of(
        "/events-cli-test",
        event_type,
        subject,
        &json!({"n": n, "name": format!("event {n}")}),
    );
    event.actor = Some("key:test".to_owned());
    event.subjectversion = Some(i64::try_from(n).unwrap() + 1);
    event
}

/// The binary, running: its stdout collected, its stderr line by line.
struct Running {
    child: std::process::Child,
    stdout: std::thread::JoinHandle<Vec<u8>>,
    stderr: std::thread::JoinHandle<String>,
    stderr_lines: mpsc::Receiver<String>,
}

struct Finished {
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

impl Finished {
    fn lines(&self) -> Vec<&str> {
        self.stdout.lines().collect()
    }

    /// The `--raw` lines as JSON.
    fn events(&self) -> Vec<Value> {
        self.lines()
            .iter()
            .map(|line| serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}")))
            .collect()
    }

    fn subjects(&self) -> Vec<String> {
        self.events()
            .iter()
            .map(|event| event["subject"].as_str().unwrap().to_owned())
            .collect()
    }

    fn assert_ok(&self) -> &Self {
        assert!(
            self.status.success(),
            "exit {:?}\nstdout:\n{}\nstderr:\n{}",
            self.status.code(),
            self.stdout,
            self.stderr
        );
        self
    }
}

impl Running {
    fn start(args: &[String]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_events"))
            .args(args)
            .env_remove("AMQP_URL")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut out = child.stdout.take().unwrap();
        let stdout = std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = out.read_to_end(&mut bytes);
            bytes
        });
        let err = child.stderr.take().unwrap();
        let (sender, stderr_lines) = mpsc::channel();
        let stderr = std::thread::spawn(move || {
            let mut all = String::new();
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                all.push_str(&line);
                all.push('\n');
                let _ = sender.send(line);
            }
            all
        });
        Self {
            child,
            stdout,
            stderr,
            stderr_lines,
        }
    }

    /// Waits for a stderr line containing `wanted` (the binary's "ready" line).
    async fn wait_for_stderr(&mut self, wanted: &str, within: Duration) {
        let deadline = Instant::now() + within;
        loop {
            match self.stderr_lines.try_recv() {
                Ok(line) if line.contains(wanted) => return,
                Ok(_) => continue,
                Err(mpsc::TryRecvError::Disconnected) => {
                    panic!("events exited before printing {wanted:?}")
                }
                Err(mpsc::TryRecvError::Empty) => {}
            }
            assert!(
                Instant::now() < deadline,
                "no {wanted:?} on stderr within {within:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits (at most 20 s) for the binary to exit by itself.
    async fn finish(mut self) -> Finished {
        let deadline = Instant::now() + Duration::from_secs(20);
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                let stdout = String::from_utf8_lossy(&self.stdout.join().unwrap()).into_owned();
                let stderr = self.stderr.join().unwrap();
                panic!("events did not exit within 20 s\nstdout:\n{stdout}\nstderr:\n{stderr}");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        Finished {
            status,
            stdout: String::from_utf8(self.stdout.join().unwrap()).unwrap(),
            stderr: self.stderr.join().unwrap(),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_from_first_raw_prints_every_event_in_order_exactly_as_published() {
    let bed = Bed::new().await;
    let bodies = bed
        .publish_all(&[
            (USER_CREATED, "u1"),
            (GROUP_CREATED, "g1"),
            (USER_DELETED, "u1"),
            (USER_CREATED, "u2"),
        ])
        .await;
    let replayed = bed.events(&["replay", "--from", "first", "--raw"]).await;
    replayed.assert_ok();
    let expected: Vec<String> = bodies
        .iter()
        .map(|body| String::from_utf8(body.clone()).unwrap())
        .collect();
    assert_eq!(replayed.lines(), expected, "byte for byte, in order");
    assert!(
        replayed
            .stderr
            .contains("printed 4 of 4 events read; caught up at offset 3 (continue with --from 4)"),
        "{}",
        replayed.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_filters_by_type_pattern_and_subject() {
    let bed = Bed::new().await;
    bed.publish_all(&[
        (USER_CREATED, "u1"),
        (GROUP_CREATED, "g1"),
        (USER_DELETED, "u1"),
        (USER_CREATED, "u2"),
        ("other.thing.created.v1", "o1"),
    ])
    .await;
    let users = bed
        .events(&[
            "replay",
            "--from",
            "first",
            "--raw",
            "--type",
            "test.user.*.v1",
        ])
        .await;
    assert_eq!(users.assert_ok().subjects(), ["u1", "u1", "u2"]);
    let any_of = bed
        .events(&[
            "replay",
            "--from",
            "first",
            "--raw",
            "--type",
            "#.group.#",
            "--type",
            "other.#",
        ])
        .await;
    assert_eq!(any_of.assert_ok().subjects(), ["g1", "o1"]);
    let created_u1 = bed
        .events(&[
            "replay",
            "--from",
            "first",
            "--raw",
            "--type",
            "*.*.created.*",
            "--subject",
            "u1",
        ])
        .await;
    let events = created_u1.assert_ok().events();
    assert_eq!(events.len(), 1, "{}", created_u1.stdout);
    assert_eq!(events[0]["type"], USER_CREATED);
    assert_eq!(events[0]["subject"], "u1");
    let one_word_too_few = bed
        .events(&["replay", "--from", "first", "--raw", "--type", "test.*.v1"])
        .await;
    assert_eq!(one_word_too_few.assert_ok().lines(), Vec::<&str>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_from_an_offset_starts_there_and_stops_at_to_offset_or_the_limit() {
    let bed = Bed::new().await;
    bed.publish_all(&[
        (USER_CREATED, "s0"),
        (USER_CREATED, "s1"),
        (USER_CREATED, "s2"),
        (USER_CREATED, "s3"),
        (USER_CREATED, "s4"),
    ])
    .await;
    let from_two = bed.events(&["replay", "--from", "2", "--raw"]).await;
    assert_eq!(from_two.assert_ok().subjects(), ["s2", "s3", "s4"]);
    let window = bed
        .events(&["replay", "--from", "1", "--to-offset", "3", "--raw"])
        .await;
    assert_eq!(window.assert_ok().subjects(), ["s1", "s2", "s3"]);
    let limited = bed
        .events(&["replay", "--from", "first", "--limit", "2", "--raw"])
        .await;
    assert_eq!(limited.assert_ok().subjects(), ["s0", "s1"]);
    // The pretty form shows each event's stream offset, time, type, subject, data and extensions.
    let pretty = bed.events(&["replay", "--from", "3"]).await;
    let lines = pretty.assert_ok().lines();
    assert_eq!(lines.len(), 2, "{}", pretty.stdout);
    let cells: Vec<&str> = lines[0].split("  ").collect();
    assert_eq!(cells[0], "#3");
    assert!(
        chrono::DateTime::parse_from_rfc3339(cells[1]).is_ok(),
        "{}",
        lines[0]
    );
    assert_eq!(cells[2..5], [USER_CREATED, "s3", "n=3 name=\"event 3\""]);
    assert_eq!(cells[5], "actor=key:test v=4");
    assert!(lines[1].starts_with("#4  "), "{}", lines[1]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_follow_keeps_going_after_catching_up() {
    let bed = Bed::new().await;
    bed.publish_all(&[(USER_CREATED, "old-1"), (USER_CREATED, "old-2")])
        .await;
    let running = bed.start(&[
        "replay", "--from", "first", "--follow", "--limit", "3", "--raw",
    ]);
    // Longer than the caught-up pause: without --follow it would have stopped by now.
    tokio::time::sleep(Duration::from_millis(1800)).await;
    bed.publish(&event(USER_CREATED, "new-1", 2)).await;
    let followed = running.finish().await;
    assert_eq!(followed.assert_ok().subjects(), ["old-1", "old-2", "new-1"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_from_a_time_starts_at_that_second() {
    let bed = Bed::new().await;
    bed.publish_all(&[(USER_CREATED, "before-1"), (USER_CREATED, "before-2")])
        .await;
    // The next whole second: everything published so far has an earlier timestamp.
    let now = chrono::Utc::now();
    let second = chrono::DateTime::from_timestamp(now.timestamp() + 1, 0).unwrap();
    let wait = (second - now).to_std().unwrap() + Duration::from_millis(50);
    tokio::time::sleep(wait).await;
    bed.publish(&event(USER_CREATED, "after-1", 2)).await;
    bed.publish(&event(USER_CREATED, "after-2", 3)).await;
    let from = second.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let replayed = bed.events(&["replay", "--from", &from, "--raw"]).await;
    assert_eq!(
        replayed.assert_ok().subjects(),
        ["after-1", "after-2"],
        "from {from}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stats_from_first_counts_per_type() {
    let bed = Bed::new().await;
    bed.publish_all(&[
        (USER_CREATED, "u1"),
        (GROUP_CREATED, "g1"),
        (USER_CREATED, "u2"),
        (USER_DELETED, "u1"),
        (USER_CREATED, "u3"),
    ])
    .await;
    let stats = bed.events(&["stats", "--from", "first"]).await;
    let lines = stats.assert_ok().lines();
    let row = |name: &str| -> Vec<String> {
        lines
            .iter()
            .find(|line| line.split_whitespace().next() == Some(name))
            .unwrap_or_else(|| panic!("no row {name} in\n{}", stats.stdout))
            .split_whitespace()
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(
        lines[0].split_whitespace().collect::<Vec<_>>(),
        ["TYPE", "COUNT", "FIRST", "LAST", "PER_SEC"]
    );
    assert_eq!(row(USER_CREATED)[1], "3");
    assert_eq!(row(GROUP_CREATED)[1], "1");
    assert_eq!(row(USER_DELETED)[1], "1");
    assert_eq!(row("TOTAL")[1], "5");
    assert_eq!(
        lines.len(),
        6,
        "header, three types, total, the period line:\n{}",
        stats.stdout
    );
    // Counting only some types.
    let users = bed
        .events(&["stats", "--from", "first", "--type", "test.user.#"])
        .await;
    let lines = users.assert_ok().lines();
    assert!(
        lines.iter().all(|line| !line.starts_with(GROUP_CREATED)),
        "{}",
        users.stdout
    );
    assert!(
        lines
            .iter()
            .any(|line| line.split_whitespace().take(2).eq(["TOTAL", "4"])),
        "{}",
        users.stdout
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stats_over_a_window_counts_live_traffic() {
    let bed = Bed::new().await;
    bed.publish(&event(GROUP_CREATED, "before", 0)).await;
    let mut running = bed.start(&["stats", "--window", "2"]);
    running
        .wait_for_stderr("counting live traffic", Duration::from_secs(10))
        .await;
    bed.publish_all(&[
        (USER_CREATED, "u1"),
        (USER_CREATED, "u2"),
        (USER_DELETED, "u1"),
    ])
    .await;
    let stats = running.finish().await;
    let lines = stats.assert_ok().lines();
    assert!(
        lines
            .iter()
            .any(|line| line.split_whitespace().take(2).eq([USER_CREATED, "2"])),
        "{}",
        stats.stdout
    );
    assert!(
        lines
            .iter()
            .any(|line| line.split_whitespace().take(2).eq(["TOTAL", "3"])),
        "published before it started: not counted\n{}",
        stats.stdout
    );
    assert!(stats.stdout.contains("of live traffic"), "{}", stats.stdout);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tail_prints_events_published_after_it_started_and_stops_at_the_limit() {
    let bed = Bed::new().await;
    bed.publish(&event(USER_CREATED, "before", 0)).await;
    let mut running = bed.start(&["tail", "--limit", "2"]);
    running
        .wait_for_stderr("tailing", Duration::from_secs(10))
        .await;
    bed.publish_all(&[
        (GROUP_CREATED, "g1"),
        (USER_CREATED, "u1"),
        (USER_CREATED, "u2"),
    ])
    .await;
    let tailed = running.finish().await;
    let lines = tailed.assert_ok().lines();
    assert_eq!(lines.len(), 2, "{}", tailed.stdout);
    let cells: Vec<&str> = lines[0].split("  ").collect();
    assert!(
        chrono::DateTime::parse_from_rfc3339(cells[0]).is_ok(),
        "{}",
        lines[0]
    );
    assert_eq!(cells[1..3], [GROUP_CREATED, "g1"], "{}", lines[0]);
    assert!(
        lines[1].contains(&format!("  {USER_CREATED}  u1  ")),
        "{}",
        lines[1]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tail_binds_the_type_patterns_and_filters_the_subject() {
    let bed = Bed::new().await;
    let mut running = bed.start(&[
        "tail",
        "--type",
        "test.user.#",
        "--type",
        "nothing.*",
        "--subject",
        "u1",
        "--raw",
        "--limit",
        "2",
    ]);
    running
        .wait_for_stderr("tailing", Duration::from_secs(10))
        .await;
    let bodies = bed
        .publish_all(&[
            (GROUP_CREATED, "u1"),
            (USER_CREATED, "u2"),
            (USER_CREATED, "u1"),
            (USER_DELETED, "u1"),
            (USER_CREATED, "u1"),
        ])
        .await;
    let tailed = running.finish().await;
    let expected = [
        String::from_utf8(bodies[2].clone()).unwrap(),
        String::from_utf8(bodies[3].clone()).unwrap(),
    ];
    assert_eq!(tailed.assert_ok().lines(), expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tail_stops_cleanly_on_ctrl_c() {
    let bed = Bed::new().await;
    let mut running = bed.start(&["tail"]);
    running
        .wait_for_stderr("tailing", Duration::from_secs(10))
        .await;
    let interrupted = Command::new("kill")
        .args(["-INT", &running.child.id().to_string()])
        .status()
        .unwrap();
    assert!(interrupted.success());
    let tailed = running.finish().await;
    assert_eq!(tailed.assert_ok().lines(), Vec::<&str>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usage_errors_exit_2() {
    for args in [
        &[][..],
        &["replay"],
        &["replay", "--from", "yesterday"],
        &["replay", "--from", "-3"],
        &["tail", "--limit", "0"],
        &["stats", "--from", "first", "--window", "5"],
        &["tail", "--bogus"],
    ] {
        let finished = Running::start(&args.iter().map(|a| (*a).to_owned()).collect::<Vec<_>>())
            .finish()
            .await;
        assert_eq!(
            finished.status.code(),
            Some(2),
            "{args:?}: {}",
            finished.stderr
        );
        assert!(finished.stdout.is_empty(), "{args:?}");
    }
    let help = Running::start(&["--help".to_owned()]).finish().await;
    assert_eq!(help.status.code(), Some(0));
    for command in ["tail", "replay", "stats"] {
        assert!(help.stdout.contains(command), "{}", help.stdout);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broker_failures_exit_1_with_one_line_and_no_password() {
    let refused = Running::start(&[
        "--amqp-url".to_owned(),
        "amqp://guest:s3cret@127.0.0.1:1/%2f".to_owned(),
        "tail".to_owned(),
    ])
    .finish()
    .await;
    assert_eq!(refused.status.code(), Some(1), "{}", refused.stderr);
    assert_eq!(refused.stderr.lines().count(), 1, "{}", refused.stderr);
    assert!(
        refused
            .stderr
            .starts_with("events: cannot connect to amqp://guest:***@127.0.0.1:1/"),
        "{}",
        refused.stderr
    );
    assert!(!refused.stderr.contains("s3cret"));

    let missing = format!("test.events-cli.missing.{}", test_support::unique_suffix());
    for args in [["replay", "--from", "first"], ["stats", "--from", "first"]] {
        let mut all = vec![
            "--amqp-url".to_owned(),
            test_support::amqp_url(),
            "--exchange".to_owned(),
            missing.clone(),
        ];
        all.extend(args.iter().map(|a| (*a).to_owned()));
        let finished = Running::start(&all).finish().await;
        assert_eq!(
            finished.status.code(),
            Some(1),
            "{args:?}: {}",
            finished.stderr
        );
        assert_eq!(finished.stderr.lines().count(), 1, "{}", finished.stderr);
        assert!(
            finished
                .stderr
                .contains(&format!("stream {missing}.stream not found")),
            "{}",
            finished.stderr
        );
        assert!(!finished.stderr.contains("panicked"));
    }
    let tail = Running::start(&[
        "--amqp-url".to_owned(),
        test_support::amqp_url(),
        "--exchange".to_owned(),
        missing.clone(),
        "tail".to_owned(),
    ])
    .finish()
    .await;
    assert_eq!(tail.status.code(), Some(1), "{}", tail.stderr);
    assert_eq!(tail.stderr.lines().count(), 1, "{}", tail.stderr);
    assert!(
        tail.stderr
            .contains(&format!("exchange {missing} not found")),
        "{}",
        tail.stderr
    );
}
