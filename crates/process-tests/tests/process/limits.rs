//! The HTTP limits of each binary, seen from outside: repeated authentication failures block the source (429
//! with `Retry-After`, in the contract's format), a 100 MB body is refused early and never buffered, oversize
//! request heads get a clear 4xx, and a thousand slow clients neither starve a normal request nor grow the
//! process.

use crate::helpers::{IDENTITY_KEY, KINDS, Kind, Launch, ServiceProcess, database, mint, rss_kib};
use reqwest::header::RETRY_AFTER;
use serde_json::{Value, json};
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const MB: usize = 1024 * 1024;

/// What the tests need of one service: an authenticated read, a body-taking write, its credentials and how its
/// contract shapes an error.
struct Target {
    kind: &'static Kind,
    read: &'static str,
    write: (&'static str, &'static str),
    /// A credential header that works, and one that does not.
    good: (&'static str, String),
    bad: (&'static str, &'static str),
    /// The status the contract gives an oversize body (idp-management's is 400 INPUT_MALFORMED).
    too_large: u16,
}

fn kind(name: &str) -> &'static Kind {
    KINDS.iter().find(|k| k.name == name).unwrap()
}

fn targets() -> Vec<Target> {
    let idp = mint(
        "iam",
        "idp-management",
        &json!({"application": "limits-app", "actor": "limits", "permissions": ["idp:read", "idp:write"]}),
    );
    let pc = mint(
        "https://tenantpilot.local",
        "provider-connection",
        &json!({
            "sub": "limits-member", "workspace_id": "limits-workspace", "tenants": ["t1"],
            "capabilities": ["provider_connections.manage", "provider_connections.view_audit"],
        }),
    );
    vec![
        Target {
            kind: kind("identity"),
            read: "/api/v1/users",
            write: ("POST", "/api/v1/grouptypes"),
            good: ("x-functions-key", IDENTITY_KEY.to_owned()),
            bad: ("x-functions-key", "not-the-key"),
            too_large: 413,
        },
        Target {
            kind: kind("idp-management"),
            read: "/idp/v1/applications/limits-app/identity-providers",
            write: ("PUT", "/idp/v1/applications/limits-app/identity-providers"),
            good: ("authorization", format!("Bearer {idp}")),
            bad: ("authorization", "Bearer not-a-token"),
            too_large: 400,
        },
        Target {
            kind: kind("provider-connection"),
            read: "/admin/tenants/t1/audit-records",
            write: ("POST", "/admin/tenants/t1/provider-connections"),
            good: ("authorization", format!("Bearer {pc}")),
            bad: ("authorization", "Bearer not-a-token"),
            too_large: 413,
        },
    ]
}

/// Asserts `body` is an error of `status` in the kind's contract format: a problem document, or
/// idp-management's `ErrorV1` with `code`.
fn assert_contract_error(kind: &Kind, status: u16, content_type: &str, body: &str, code: &str) {
    let value: Value = serde_json::from_str(body)
        .unwrap_or_else(|e| panic!("{}: {status} body is not JSON ({e}): {body}", kind.name));
    if kind.name == "idp-management" {
        assert_eq!(content_type, "application/json", "{}", kind.name);
        assert_eq!(value["code"], code, "{}: {body}", kind.name);
        assert!(value["errorId"].is_string(), "{}: {body}", kind.name);
    } else {
        assert_eq!(content_type, "application/problem+json", "{}", kind.name);
        assert_eq!(value["status"], status, "{}: {body}", kind.name);
    }
}

/// Sends `request` and asserts it is refused with `status` in the kind's contract format.
async fn assert_refused(kind: &Kind, request: reqwest::RequestBuilder, status: u16) {
    let res = request.send().await.unwrap();
    assert_eq!(res.status(), status, "{}", kind.name);
    let content_type = res.headers()["content-type"].to_str().unwrap().to_owned();
    let body = res.text().await.unwrap();
    assert_contract_error(kind, status, &content_type, &body, "INPUT_MALFORMED");
}

fn from(address: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(address.parse::<IpAddr>().unwrap())
        .build()
        .unwrap()
}

async fn started(launch: Launch) -> ServiceProcess {
    let mut process = launch.spawn();
    process.wait_ready(Duration::from_secs(60)).await;
    process
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_authentication_failures_block_the_source_with_429_in_each_contracts_format() {
    for target in targets() {
        let name = target.kind.name;
        let database = database(target.kind);
        let launch = Launch::new(target.kind, &database);
        let prefix = target.kind.prefix;
        let process = started(
            launch
                .set(&format!("{prefix}__HTTP__AUTH_FAILURE_LIMIT"), "3")
                .set(&format!("{prefix}__HTTP__AUTH_FAILURE_WINDOW_SECS"), "2"),
        )
        .await;
        let (attacker, other) = (from("127.0.0.1"), from("127.0.0.2"));
        let call = |client: &reqwest::Client, (header, value): (&str, &str)| {
            client
                .get(process.url(target.read))
                .header(header, value)
                .send()
        };
        let good = (target.good.0, target.good.1.as_str());
        let status = call(&attacker, good).await.unwrap().status();
        assert!(![401, 429].contains(&status.as_u16()), "{name}: {status}");
        for n in 0..3 {
            let status = call(&attacker, target.bad).await.unwrap().status();
            assert_eq!(status, 401, "{name}: failure {n}");
        }
        let refused = call(&attacker, target.bad).await.unwrap();
        assert_eq!(refused.status(), 429, "{name}");
        let retry: u64 = refused.headers()[RETRY_AFTER]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=2).contains(&retry), "{name}: Retry-After {retry}");
        let content_type = refused.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_owned();
        let body = refused.text().await.unwrap();
        assert_contract_error(
            target.kind,
            429,
            &content_type,
            &body,
            "TOO_MANY_AUTHENTICATION_FAILURES",
        );

        let status = call(&attacker, good).await.unwrap().status();
        assert_eq!(
            status, 429,
            "{name}: a valid credential from the blocked source"
        );
        let health = attacker.get(process.url("/healthz")).send().await.unwrap();
        assert_eq!(health.status(), 200, "{name}: probes are never blocked");
        let status = call(&other, good).await.unwrap().status();
        assert!(
            ![401, 429].contains(&status.as_u16()),
            "{name}: another source: {status}"
        );
        let status = call(&other, target.bad).await.unwrap().status();
        assert_eq!(status, 401, "{name}: another source's failure is its own");

        tokio::time::sleep(Duration::from_secs(retry) + Duration::from_millis(200)).await;
        let status = call(&attacker, good).await.unwrap().status();
        assert!(
            ![401, 429].contains(&status.as_u16()),
            "{name}: after the block: {status}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_a_trusted_proxy_the_forwarded_client_is_the_source() {
    let kind = kind("identity");
    let database = database(kind);
    let process = started(
        Launch::new(kind, &database)
            .set("IDENTITY__HTTP__AUTH_FAILURE_LIMIT", "2")
            .set("IDENTITY__HTTP__TRUSTED_PROXIES", "127.0.0.1"),
    )
    .await;
    let client = reqwest::Client::new();
    let call = |client_address: &str, key: &str| {
        client
            .get(process.url("/api/v1/users"))
            .header("x-functions-key", key)
            .header("x-forwarded-for", format!("192.0.2.99, {client_address}"))
            .send()
    };
    for _ in 0..2 {
        assert_eq!(call("203.0.113.1", "wrong").await.unwrap().status(), 401);
    }
    assert_eq!(
        call("203.0.113.1", IDENTITY_KEY).await.unwrap().status(),
        429
    );
    assert_eq!(
        call("203.0.113.2", IDENTITY_KEY).await.unwrap().status(),
        200,
        "another client behind the same proxy"
    );
    let direct = client
        .get(process.url("/api/v1/users"))
        .header("x-functions-key", IDENTITY_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(direct.status(), 200, "the proxy itself is not blocked");
}

/// Samples the process's RSS every 20 ms until stopped; the peak, in KiB.
struct RssPeak {
    peak: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

impl RssPeak {
    fn watch(process: &ServiceProcess) -> Self {
        let pid = process.pid();
        let (peak, stop) = (
            Arc::new(AtomicU64::new(0)),
            Arc::new(AtomicBool::new(false)),
        );
        let (p, s) = (Arc::clone(&peak), Arc::clone(&stop));
        let task = tokio::spawn(async move {
            while !s.load(Ordering::Relaxed) {
                if let Some(kib) = rss_kib(pid) {
                    p.fetch_max(kib, Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        });
        Self { peak, stop, task }
    }

    async fn finish(self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        self.task.await.unwrap();
        self.peak.load(Ordering::Relaxed)
    }
}

/// Sends `head` and then up to `body` bytes of `{`, chunked when `chunked`, while reading the answer; returns
/// the answer's status line and how many body bytes had been written when it came.
async fn send_streaming(
    address: &str,
    head: String,
    body: usize,
    chunked: bool,
) -> (String, usize) {
    let stream = TcpStream::connect(address).await.unwrap();
    let (mut read, mut write) = stream.into_split();
    let written = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&written);
    let writer = tokio::spawn(async move {
        write.write_all(head.as_bytes()).await?;
        let chunk = vec![b'{'; 64 * 1024];
        let mut sent = 0;
        while sent < body {
            if chunked {
                write
                    .write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
                    .await?;
            }
            write.write_all(&chunk).await?;
            if chunked {
                write.write_all(b"\r\n").await?;
            }
            sent += chunk.len();
            counter.store(sent as u64, Ordering::Relaxed);
        }
        if chunked {
            write.write_all(b"0\r\n\r\n").await?;
        }
        std::io::Result::Ok(write)
    });
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while !answer.windows(2).any(|w| w == b"\r\n") {
        match tokio::time::timeout_at(deadline, read.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(n)) => answer.extend_from_slice(&buf[..n]),
            Err(_) => panic!("no answer within 20 s"),
        }
    }
    let at = written.load(Ordering::Relaxed) as usize;
    writer.abort();
    let line = String::from_utf8_lossy(&answer)
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned();
    (line, at)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_100_mb_body_is_refused_early_and_never_buffered() {
    for target in targets() {
        let name = target.kind.name;
        let database = database(target.kind);
        let process = started(Launch::new(target.kind, &database)).await;
        let address = process.address.trim_start_matches("http://").to_owned();
        let before = process.rss_kib();
        let peak = RssPeak::watch(&process);
        let (method, path) = target.write;
        let (header, value) = (target.good.0, target.good.1.as_str());
        let head = |length: &str| {
            format!(
                "{method} {path} HTTP/1.1\r\nhost: limits\r\n{header}: {value}\r\ncontent-type: application/json\r\n{length}\r\n"
            )
        };
        // Declared: refused on the head, before the body is read. Undeclared (chunked): once past the limit.
        let declared = format!("content-length: {}\r\n", 100 * MB);
        for (framing, chunked) in [
            (declared.as_str(), false),
            ("transfer-encoding: chunked\r\n", true),
        ] {
            let (line, written) = send_streaming(&address, head(framing), 100 * MB, chunked).await;
            eprintln!(
                "{name}: {} body: {line:?} after {written} bytes sent",
                framing.trim()
            );
            assert!(
                line.contains(&target.too_large.to_string()),
                "{name}: {line}"
            );
            assert!(
                written < 100 * MB,
                "{name}: answered only after the whole body"
            );
        }
        let grown = peak.finish().await.saturating_sub(before);
        eprintln!("{name}: RSS {before} KiB before, peak +{grown} KiB over two 100 MB bodies");
        assert!(
            grown < 40 * 1024,
            "{name}: RSS grew {grown} KiB: the body was buffered"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversize_target_or_header_block_gets_a_clear_4xx() {
    for target in targets() {
        let name = target.kind.name;
        let database = database(target.kind);
        let process = started(Launch::new(target.kind, &database)).await;
        let client = reqwest::Client::new();
        let (header, value) = (target.good.0, target.good.1.as_str());
        let long = format!("{}?filler={}", target.read, "x".repeat(10_000));
        let long = client.get(process.url(&long)).header(header, value);
        assert_refused(target.kind, long, 414).await;
        let filled = client
            .get(process.url(target.read))
            .header(header, value)
            .header("x-filler", "y".repeat(20_000));
        assert_refused(target.kind, filled, 431).await;

        // Past what the HTTP parser buffers (128 KiB): its own bare 431, and the connection closed.
        let address = process.address.trim_start_matches("http://");
        let huge = format!(
            "GET {} HTTP/1.1\r\nhost: limits\r\nx-filler: {}\r\n\r\n",
            target.read,
            "z".repeat(200_000)
        );
        let (line, _) = send_streaming(address, huge, 0, false).await;
        assert!(line.contains("431"), "{name}: {line}");
    }
}

/// A connection that sends its head one byte at a time and never finishes it.
async fn trickle_head(address: String, closed: Arc<AtomicU64>) {
    let Ok(mut stream) = TcpStream::connect(&address).await else {
        return;
    };
    let _ = stream
        .write_all(b"GET /api/v1/users HTTP/1.1\r\nhost: limits\r\nx-slow: ")
        .await;
    trickle(stream, closed).await;
}

/// A connection that sends a complete head announcing a body, then the body one byte at a time.
async fn trickle_body(address: String, closed: Arc<AtomicU64>) {
    let Ok(mut stream) = TcpStream::connect(&address).await else {
        return;
    };
    let head = format!(
        "POST /api/v1/grouptypes HTTP/1.1\r\nhost: limits\r\nx-functions-key: {IDENTITY_KEY}\r\ncontent-type: application/json\r\ncontent-length: 100000\r\n\r\n{{"
    );
    let _ = stream.write_all(head.as_bytes()).await;
    trickle(stream, closed).await;
}

/// Sends a byte every 200 ms until the server answers or closes; counts it in `closed` then.
async fn trickle(mut stream: TcpStream, closed: Arc<AtomicU64>) {
    let mut buf = [0u8; 512];
    loop {
        tokio::select! {
            read = stream.read(&mut buf) => {
                let _ = read;
                closed.fetch_add(1, Ordering::Relaxed);
                return;
            }
            () = tokio::time::sleep(Duration::from_millis(200)) => {
                if stream.write_all(b"a").await.is_err() {
                    closed.fetch_add(1, Ordering::Relaxed);
                    return;
                }
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_slow_clients_neither_starve_a_request_nor_grow_the_process() {
    let kind = kind("identity");
    let database = database(kind);
    let process = started(
        Launch::new(kind, &database)
            .set("IDENTITY__HTTP__CLIENT_REQUEST_TIMEOUT_MS", "2000")
            .set("IDENTITY__HTTP__CLIENT_BODY_TIMEOUT_MS", "3000"),
    )
    .await;
    let address = process.address.trim_start_matches("http://").to_owned();
    let before = process.rss_kib();
    let peak = RssPeak::watch(&process);
    let (heads, bodies) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let started_at = Instant::now();
    let mut slow = Vec::new();
    for n in 0..1000 {
        let (address, closed) = (
            address.clone(),
            Arc::clone(if n % 2 == 0 { &heads } else { &bodies }),
        );
        slow.push(if n % 2 == 0 {
            tokio::spawn(trickle_head(address, closed))
        } else {
            tokio::spawn(trickle_body(address, closed))
        });
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let client = reqwest::Client::new();
    let mut slowest = Duration::ZERO;
    for _ in 0..5 {
        let asked = Instant::now();
        let res = client
            .get(process.url("/api/v1/users"))
            .header("x-functions-key", IDENTITY_KEY)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        slowest = slowest.max(asked.elapsed());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let open_heads = 500 - heads.load(Ordering::Relaxed);
    // Every slow connection is cut by its deadline (head 2 s, body 3 s), with room for a loaded machine.
    let deadline = Instant::now() + Duration::from_secs(8);
    while heads.load(Ordering::Relaxed) + bodies.load(Ordering::Relaxed) < 1000
        && Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (heads, bodies) = (
        heads.load(Ordering::Relaxed),
        bodies.load(Ordering::Relaxed),
    );
    let took = started_at.elapsed();
    for task in slow {
        task.abort();
    }
    let grown = peak.finish().await.saturating_sub(before);
    eprintln!(
        "1000 slow clients: {open_heads} slow heads open during the requests, slowest normal request {slowest:?}, \
         {heads} heads and {bodies} bodies cut after {took:?}, RSS {before} KiB + {grown} KiB"
    );
    assert!(
        open_heads > 400,
        "the slow clients were not connected while the requests ran"
    );
    assert!(
        slowest < Duration::from_secs(2),
        "a normal request took {slowest:?}"
    );
    assert_eq!((heads, bodies), (500, 500), "slow connections left open");
    assert!(grown < 100 * 1024, "RSS grew {grown} KiB");
}
