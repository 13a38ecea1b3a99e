//! Graceful stop under load, and a start-up that waits for its database instead of crashing.

use crate::helpers::{
    IDENTITY_KEY, KINDS, Launch, SHUTDOWN_TIMEOUT_SECS, ServiceProcess, database, free_port, mint,
    present,
};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// The process must be gone this long after SIGTERM: the drain bound plus start-to-exit slack.
const EXIT_BOUND: Duration = Duration::from_secs(SHUTDOWN_TIMEOUT_SECS + 5);
const WORKERS: usize = 24;

#[derive(Default)]
struct Tally {
    /// Names whose POST was answered 201.
    created: BTreeSet<String>,
    /// Any other answer: must stay empty.
    unexpected: Vec<String>,
    /// Responses received after SIGTERM was sent.
    after_signal: usize,
    /// Requests the stopping process did not take (connection refused or closed before a response).
    not_accepted: usize,
}

fn one_shot_client() -> reqwest::Client {
    // A connection per request, so "accepted" means the process took this request's connection.
    reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// Each worker sends requests back to back until the process stops taking connections.
async fn burst<F>(
    process: &mut ServiceProcess,
    signal_after: usize,
    request: F,
) -> (Tally, Option<std::process::ExitStatus>)
where
    F: Fn(&reqwest::Client, usize, usize) -> (String, reqwest::RequestBuilder)
        + Send
        + Sync
        + 'static,
{
    let tally = Arc::new(Mutex::new(Tally::default()));
    let answered = Arc::new(AtomicUsize::new(0));
    let signalled: Arc<std::sync::OnceLock<Instant>> = Arc::new(std::sync::OnceLock::new());
    let request = Arc::new(request);
    let mut tasks = Vec::new();
    for worker in 0..WORKERS {
        let (tally, answered, signalled, request) = (
            tally.clone(),
            answered.clone(),
            signalled.clone(),
            request.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let client = one_shot_client();
            let started = Instant::now();
            for n in 0.. {
                let (name, builder) = request(&client, worker, n);
                let outcome = builder.send().await;
                let mut tally = tally.lock().await;
                match outcome {
                    Ok(res) => {
                        if signalled.get().is_some() {
                            tally.after_signal += 1;
                        }
                        let status = res.status();
                        if status.is_success() {
                            tally.created.insert(name);
                        } else {
                            let body = res.text().await.unwrap_or_default();
                            tally.unexpected.push(format!("{status} {body}"));
                        }
                        answered.fetch_add(1, Ordering::SeqCst);
                    }
                    Err(err) if err.is_connect() => break,
                    Err(_) => tally.not_accepted += 1,
                }
                if started.elapsed() > Duration::from_secs(60) {
                    break;
                }
            }
        }));
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while answered.load(Ordering::SeqCst) < signal_after {
        assert!(
            Instant::now() < deadline,
            "the burst never got going:\n{}",
            process.log()
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    signalled.set(Instant::now()).unwrap();
    process.terminate();
    let exit = process.wait_exit(EXIT_BOUND).await;
    for task in tasks {
        task.await.unwrap();
    }
    let tally = Arc::try_unwrap(tally).ok().unwrap().into_inner();
    eprintln!(
        "{}: {} answered, {} of them after SIGTERM, {} not accepted, exit {exit:?}",
        process.kind.name,
        tally.created.len() + tally.unexpected.len(),
        tally.after_signal,
        tally.not_accepted
    );
    (tally, exit)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_during_a_burst_of_writes_completes_every_accepted_request_and_exits_zero() {
    let kind = KINDS.iter().find(|k| k.name == "identity").unwrap();
    let database = database(kind);
    let mut process = Launch::new(kind, &database).spawn();
    process.wait_ready(Duration::from_secs(60)).await;
    let base = process.url("/api/v1/grouptypes");

    let (tally, exit) = burst(&mut process, 60, move |client, worker, n| {
        let name = format!("burst-{worker}-{n}");
        let builder = client
            .post(&base)
            .header("x-functions-key", IDENTITY_KEY)
            .json(&json!({ "name": name }));
        (name, builder)
    })
    .await;
    let log = process.log();
    let status =
        exit.unwrap_or_else(|| panic!("still running {EXIT_BOUND:?} after SIGTERM:\n{log}"));
    assert_eq!(status.code(), Some(0), "exit after SIGTERM:\n{log}");
    assert!(
        tally.unexpected.is_empty(),
        "answers other than 201: {:?}\n(the process's log, which names each error's cause:)\n{log}",
        tally.unexpected
    );
    assert!(
        tally.after_signal > 0,
        "no request was in flight at SIGTERM: the test proved nothing"
    );
    assert!(tally.created.len() >= 60);

    // Every write the process did is one it answered, and the reverse: restart and read them all back.
    let mut again = Launch::new(kind, &database).spawn();
    again.wait_ready(Duration::from_secs(60)).await;
    let client = reqwest::Client::new();
    let mut stored = BTreeSet::new();
    for offset in (0..).step_by(1000) {
        let page: Value = client
            .get(again.url(&format!("/api/v1/grouptypes?limit=1000&offset={offset}")))
            .header("x-functions-key", IDENTITY_KEY)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let items = page.as_array().unwrap_or_else(|| panic!("list: {page}"));
        stored.extend(items.iter().map(|t| t["name"].as_str().unwrap().to_owned()));
        if items.len() < 1000 {
            break;
        }
    }
    assert_eq!(
        stored, tally.created,
        "stored rows differ from answered writes ({} not accepted)",
        tally.not_accepted
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provider_connection_sigterm_during_creates_keeps_answers_and_audit_in_step() {
    let Some(kind) = present()
        .into_iter()
        .find(|k| k.name == "provider-connection")
    else {
        return;
    };
    let database = database(kind);
    let mut process = Launch::new(kind, &database).spawn();
    process.wait_ready(Duration::from_secs(60)).await;
    let token = mint(
        "https://tenantpilot.local",
        "provider-connection",
        &json!({
            "sub": "process-member",
            "workspace_id": "process-workspace",
            "tenants": ["t1"],
            "capabilities": ["provider_connections.manage", "provider_connections.view", "provider_connections.view_audit"],
        }),
    );
    let base = process.url("/admin/tenants/t1/provider-connections");
    let bearer = format!("Bearer {token}");
    let (tally, exit) = burst(&mut process, 40, move |client, worker, n| {
        let name = format!("burst-{worker}-{n}");
        let builder = client
            .post(&base)
            .header("authorization", &bearer)
            .json(&json!({ "provider": "microsoft", "entra_tenant_id": "11111111-2222-3333-4444-555555555555", "display_name": name }));
        (name, builder)
    })
    .await;
    let log = process.log();
    let status =
        exit.unwrap_or_else(|| panic!("still running {EXIT_BOUND:?} after SIGTERM:\n{log}"));
    assert_eq!(status.code(), Some(0), "exit after SIGTERM:\n{log}");
    assert!(
        tally.unexpected.is_empty(),
        "answers other than 2xx: {:?}\n(the process's log, which names each error's cause:)\n{log}",
        tally.unexpected
    );
    assert!(
        tally.after_signal > 0,
        "no request was in flight at SIGTERM"
    );

    // Each create is audited in its own transaction: the allowed creations recorded are exactly the answered ones.
    let mut again = Launch::new(kind, &database).spawn();
    again.wait_ready(Duration::from_secs(60)).await;
    let client = reqwest::Client::new();
    let mut audited = 0;
    for offset in (0..).step_by(1000) {
        let page: Value = client
            .get(again.url(&format!(
                "/admin/tenants/t1/audit-records?limit=1000&offset={offset}"
            )))
            .header("authorization", format!("Bearer {token}"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let records = page.as_array().unwrap_or_else(|| panic!("audit: {page}"));
        audited += records
            .iter()
            .filter(|r| r["action"] == "connection.create" && r["outcome"] == "allowed")
            .count();
        if records.len() < 1000 {
            break;
        }
    }
    assert_eq!(
        audited,
        tally.created.len(),
        "audited creations differ from answered ones ({} not accepted)",
        tally.not_accepted
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_during_a_burst_of_reads_drains_and_exits_zero_for_each_service() {
    for kind in present() {
        let database = database(kind);
        let mut process = Launch::new(kind, &database).spawn();
        process.wait_ready(Duration::from_secs(60)).await;
        let url = process.url("/readyz");
        let (tally, exit) = burst(&mut process, 40, move |client, worker, n| {
            (format!("{worker}-{n}"), client.get(&url))
        })
        .await;
        let log = process.log();
        let status =
            exit.unwrap_or_else(|| panic!("{}: still running after SIGTERM:\n{log}", kind.name));
        assert_eq!(
            status.code(),
            Some(0),
            "{}: exit after SIGTERM:\n{log}",
            kind.name
        );
        assert!(
            tally.unexpected.is_empty(),
            "{}: {:?}",
            kind.name,
            tally.unexpected
        );
        assert!(
            tally.after_signal > 0,
            "{}: nothing was in flight at SIGTERM",
            kind.name
        );
    }
}

/// Forwards `port` to PostgreSQL once started: the database "comes up" late.
async fn late_postgres(port: u16) {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
    tokio::spawn(async move {
        while let Ok((mut inbound, _)) = listener.accept().await {
            tokio::spawn(async move {
                if let Ok(mut outbound) = tokio::net::TcpStream::connect("127.0.0.1:5432").await {
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                }
            });
        }
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_up_waits_for_a_late_database_and_serves_without_the_broker() {
    for kind in present() {
        let database = database(kind);
        let db_port = free_port();
        let late_url = database
            .url
            .replace("127.0.0.1:5432", &format!("127.0.0.1:{db_port}"));
        assert_ne!(
            late_url, database.url,
            "TEST_POSTGRES_URL must point at 127.0.0.1:5432 here"
        );
        let dead_broker = format!("amqp://guest:guest@127.0.0.1:{}/%2f", free_port());
        let mut process = Launch::new(kind, &database)
            .set("DATABASE_URL", &late_url)
            .set("AMQP_URL", &dead_broker)
            .spawn();

        tokio::time::sleep(Duration::from_secs(2)).await;
        assert!(
            process.running(),
            "{}: gave up without its database:\n{}",
            kind.name,
            process.log()
        );
        let client = reqwest::Client::new();
        assert!(
            client.get(process.url("/readyz")).send().await.is_err(),
            "{}: must not listen before its database is migrated",
            kind.name
        );

        late_postgres(db_port).await;
        process.wait_ready(Duration::from_secs(30)).await;
        let ready: Value = client
            .get(process.url("/readyz"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(ready["database"], "ok", "{}: {ready}", kind.name);
        assert_ne!(ready["broker"], "connected", "{}: {ready}", kind.name);
        assert!(
            process.log().contains("not available yet"),
            "{}: the wait is logged",
            kind.name
        );

        process.terminate();
        let status = process.wait_exit(EXIT_BOUND).await.expect("exits");
        assert_eq!(status.code(), Some(0), "{}:\n{}", kind.name, process.log());
    }
}
