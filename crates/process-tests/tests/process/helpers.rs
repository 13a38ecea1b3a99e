//! Starting a service binary as a child process against a database and exchange of the test's own.

use reqwest::StatusCode;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};
use test_support::TestDatabase;

/// What the tests need to know about one service binary.
pub struct Kind {
    pub name: &'static str,
    /// The `<SERVICE>` of `<SERVICE>__SECTION__KEY`.
    pub prefix: &'static str,
    pub spec: &'static str,
    /// A `--config` file (TOML) for settings the environment cannot express (lists of tables); empty for none.
    pub config: &'static str,
    /// Settings without which the service refuses to start: `SECTION__KEY`, its value, and what the error line
    /// must name when it is missing.
    pub required: &'static [(&'static str, &'static str, &'static str)],
}

/// The HS256 secret of the `process-test` JWT key in the kinds' config files below.
pub const JWT_SECRET: &str = "process-test-hs256-secret-0123456789abcdef";

/// A token for `kind` signed with [`JWT_SECRET`], minted by the workspace's own `mint-jwt` tool.
pub fn mint(issuer: &str, audience: &str, claims: &serde_json::Value) -> String {
    let output = Command::new(binary("mint-jwt"))
        .args([
            "--secret",
            JWT_SECRET,
            "--kid",
            "process-test",
            "--iss",
            issuer,
            "--aud",
            audience,
        ])
        .args(["--ttl-secs", "600", "--claims", &claims.to_string()])
        .output()
        .expect("mint-jwt runs");
    assert!(
        output.status.success(),
        "mint-jwt: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .expect("token")
        .trim()
        .to_owned()
}

/// The function key the identity process is started with.
pub const IDENTITY_KEY: &str = "process-test-key";

pub const KINDS: &[Kind] = &[
    Kind {
        name: "identity",
        prefix: "IDENTITY",
        spec: contracts::IDENTITY,
        config: "",
        required: &[(
            "AUTH__FUNCTION_KEYS",
            IDENTITY_KEY,
            "IDENTITY__AUTH__FUNCTION_KEYS",
        )],
    },
    Kind {
        name: "idp-management",
        prefix: "IDP_MANAGEMENT",
        spec: contracts::IDP_MANAGEMENT,
        config: r#"
[jwt]
keys = [{ kid = "process-test", alg = "HS256", secret = "process-test-hs256-secret-0123456789abcdef" }]
[secrets.keys]
k1 = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
"#,
        required: &[("SECRETS__ACTIVE_KEY_ID", "k1", "secrets")],
    },
    Kind {
        name: "provider-connection",
        prefix: "PROVIDER_CONNECTION",
        spec: contracts::PROVIDER_CONNECTION,
        config: r#"
[auth]
keys = [{ kid = "process-test", alg = "HS256", secret = "process-test-hs256-secret-0123456789abcdef" }]
[secrets.keys]
k1 = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
"#,
        required: &[
            ("SECRETS__ACTIVE_KEY_ID", "k1", "secrets"),
            (
                "PLATFORM__CLIENT_ID",
                "00000000-0000-0000-0000-000000000001",
                "platform.client_id",
            ),
            (
                "PLATFORM__CLIENT_SECRET",
                "process-test-platform-secret",
                "platform.client_secret",
            ),
            (
                "CONSENT__STATE_SECRET",
                "process-test-consent-state-secret-0123456789",
                "consent.state_secret",
            ),
        ],
    },
];

/// A fresh database for `kind`, its name short enough for PostgreSQL's 63-byte identifiers (a longer one is
/// silently truncated, and then neither found again nor dropped).
pub fn database(kind: &Kind) -> TestDatabase {
    let short = match kind.name {
        "idp-management" => "idp",
        "provider-connection" => "pc",
        other => other,
    };
    TestDatabase::new(&format!("proc_{short}"))
}

/// The kinds whose crate exists under `services/` (a service being written elsewhere joins when it lands).
pub fn present() -> Vec<&'static Kind> {
    let services = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../services");
    KINDS
        .iter()
        .filter(|kind| services.join(kind.name).join("Cargo.toml").exists())
        .collect()
}

/// The binary, from the target directory these tests were built in.
pub fn binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    // target/<profile>/deps/<test> -> target/<profile>/<name>
    let dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target dir");
    let path = dir.join(name);
    assert!(
        path.exists(),
        "{} is not built; run `cargo build --workspace --bins` first (deploy/local/test.sh does)",
        path.display()
    );
    path
}

/// A free loopback port (bound then released; the child binds it right after).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

/// A running service process; killed on drop if a test left it running.
pub struct ServiceProcess {
    pub kind: &'static Kind,
    pub address: String,
    child: Child,
    log: PathBuf,
    _config: Option<ConfigFile>,
    _exchange: Exchange,
}

/// How a process is started: the test's own database, exchange and port, plus extra settings.
pub struct Launch {
    pub kind: &'static Kind,
    pub env: Vec<(String, String)>,
    /// `--config FILE` when the kind has a config file.
    pub args: Vec<String>,
    config: Option<ConfigFile>,
    exchange: Exchange,
}

/// The test's own exchange, deleted from RabbitMQ with it (the relay declares it on first connect).
pub struct Exchange(String);

impl Drop for Exchange {
    fn drop(&mut self) {
        let name = self.0.clone();
        test_support::cleanup(async move { test_support::delete_exchange(&name).await });
    }
}

/// A `--config` file of the test's own, removed with it.
pub struct ConfigFile(PathBuf);

impl ConfigFile {
    fn write(text: &str) -> Self {
        let path = std::env::temp_dir().join(format!(
            "process-test-{}.toml",
            test_support::unique_suffix()
        ));
        std::fs::write(&path, text).expect("config file");
        Self(path)
    }
}

impl Drop for ConfigFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

impl Launch {
    pub fn new(kind: &'static Kind, database: &TestDatabase) -> Self {
        let mut env = vec![
            ("DATABASE_URL".to_owned(), database.url.clone()),
            ("AMQP_URL".to_owned(), test_support::amqp_url()),
        ];
        let exchange = Exchange(format!("test.process.{}", test_support::unique_suffix()));
        for (key, value) in [
            ("BUS__EXCHANGE", exchange.0.clone()),
            ("HTTP__WORKERS", "2".to_owned()),
            (
                "HTTP__SHUTDOWN_TIMEOUT_SECS",
                SHUTDOWN_TIMEOUT_SECS.to_string(),
            ),
            ("DATABASE__POOL_SIZE", "4".to_owned()),
            // Off, as in the in-process suites; the limit's own test turns it on.
            ("HTTP__AUTH_FAILURE_LIMIT", "0".to_owned()),
            ("BUS__POLL_INTERVAL_MS", "200".to_owned()),
        ] {
            env.push((format!("{}__{key}", kind.prefix), value));
        }
        for (key, value, _) in kind.required {
            env.push((format!("{}__{key}", kind.prefix), (*value).to_owned()));
        }
        let config = (!kind.config.is_empty()).then(|| ConfigFile::write(kind.config));
        let args = config
            .iter()
            .flat_map(|file| ["--config".to_owned(), file.0.display().to_string()])
            .collect();
        Self {
            kind,
            env,
            args,
            config,
            exchange,
        }
    }

    /// Sets (or replaces) one variable.
    pub fn set(mut self, key: &str, value: &str) -> Self {
        self.env.retain(|(k, _)| k != key);
        self.env.push((key.to_owned(), value.to_owned()));
        self
    }

    /// Removes one variable.
    pub fn unset(mut self, key: &str) -> Self {
        self.env.retain(|(k, _)| k != key);
        self
    }

    /// Starts the binary with a clean environment (only these settings and PATH) on a free port.
    pub fn spawn(self) -> ServiceProcess {
        let port = free_port();
        let log = std::env::temp_dir().join(format!(
            "process-test-{}-{}.log",
            self.kind.name,
            test_support::unique_suffix()
        ));
        let out = std::fs::File::create(&log).expect("log file");
        let err = out.try_clone().expect("log file");
        let child = Command::new(binary(self.kind.name))
            .args(&self.args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("BIND_ADDR", format!("127.0.0.1:{port}"))
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .expect("service binary starts");
        ServiceProcess {
            kind: self.kind,
            address: format!("http://127.0.0.1:{port}"),
            child,
            log,
            _config: self.config,
            _exchange: self.exchange,
        }
    }
}

/// What the tests configure as the drain bound.
pub const SHUTDOWN_TIMEOUT_SECS: u64 = 10;

impl ServiceProcess {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// Waits until `/readyz` answers 200, failing with the process's log if it does not within `within`.
    pub async fn wait_ready(&mut self, within: Duration) {
        let client = reqwest::Client::new();
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "{} exited early ({status}):\n{}",
                    self.kind.name,
                    self.log()
                );
            }
            if let Ok(res) = client.get(self.url("/readyz")).send().await
                && res.status() == StatusCode::OK
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "{} not ready within {within:?}:\n{}",
            self.kind.name,
            self.log()
        );
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The process's resident memory now, in KiB.
    pub fn rss_kib(&self) -> u64 {
        rss_kib(self.pid()).expect("the process's VmRSS")
    }

    /// Whether the process still runs.
    pub fn running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Sends SIGTERM, as a container runtime or `kill` does.
    pub fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -TERM failed");
    }

    /// Kills the process at once (SIGKILL: no drain, no goodbye to the database or the broker); the fault suite
    /// (tests/faults) uses it.
    #[allow(dead_code)]
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Waits for the exit, up to `bound`; `None` if still running then.
    pub async fn wait_exit(&mut self, bound: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + bound;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Everything the process wrote to stdout and stderr so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for ServiceProcess {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        let _ = std::fs::remove_file(&self.log);
    }
}

/// A process's resident memory (`VmRSS` of /proc/<pid>/status), in KiB; `None` once it is gone.
pub fn rss_kib(pid: u32) -> Option<u64> {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()?
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

/// Runs the binary to completion with `args` and only `env` (a start-up that must fail fast); returns (code, stdout, stderr).
pub fn run_to_exit(
    kind: &Kind,
    args: &[String],
    env: &[(String, String)],
    bound: Duration,
) -> (Option<i32>, String, String) {
    let mut child = Command::new(binary(kind.name))
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("service binary starts");
    let deadline = Instant::now() + bound;
    while matches!(child.try_wait(), Ok(None)) {
        if Instant::now() >= deadline {
            let _ = child.kill();
            let output = child.wait_with_output().expect("output");
            panic!(
                "{} still running after {bound:?} with a bad setting:\n{}",
                kind.name,
                String::from_utf8_lossy(&output.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let output = child.wait_with_output().expect("output");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}
