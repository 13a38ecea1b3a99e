//! Layered configuration: compiled defaults < optional file < environment, and the sections every service
//! shares, checked in one place.
//!
//! Everything is reachable as `<SERVICE>__SECTION__KEY` (e.g. `IDENTITY__DATABASE__POOL_SIZE`), and the
//! conventional `DATABASE_URL`, `AMQP_URL` and `BIND_ADDR` are honoured directly, taking precedence.

use bus::BusSettings;
use config::{Config, ConfigError, Environment, File, FileFormat};
use persistence::DbSettings;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use std::net::IpAddr;
use std::path::Path;

#[derive(Debug, Clone, Deserialize)]
pub struct HttpSettings {
    /// `host:port`; port 0 picks a free port (tests).
    pub bind: String,
    /// Worker threads; 0 means one per core.
    pub workers: usize,
    /// Seconds in-flight requests get to finish after SIGTERM.
    pub shutdown_timeout_secs: u64,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Longest request target (path and query) accepted, in bytes; a longer one is 414 in the contract's format.
    pub max_uri_bytes: usize,
    /// Largest total of header names and values accepted, in bytes; more is 431 in the contract's format. The
    /// HTTP parser itself closes a request head past 128 KiB, with a bare 431.
    pub max_header_bytes: usize,
    /// Milliseconds a client gets to send its whole request head; a slower one is answered 408 and dropped, so
    /// idle or trickling connections cannot pile up.
    pub client_request_timeout_ms: u64,
    /// Milliseconds a client gets to send its whole body once the head is in; a slower one is answered 408
    /// (the HTTP server has no such bound of its own, so a trickled body would hold its connection for ever).
    pub client_body_timeout_ms: u64,
    /// Open connections per worker; past it the listener stops accepting until one closes.
    pub max_connections: usize,
    /// Failed authentications (401s) from one source within the window after which the source is refused
    /// with 429 for a window, before any credential is checked; 0 turns the limit off.
    pub auth_failure_limit: u32,
    /// The window failures are counted over, and how long a source that reached the limit is refused.
    pub auth_failure_window_secs: u64,
    /// Proxies whose `Forwarded` / `X-Forwarded-For` is believed about the client's address; empty (the
    /// default): the peer address is the source, and those headers are ignored.
    pub trusted_proxies: Vec<IpAddr>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct LogSettings {
    /// Default filter (`info`, `identity=debug,info`, ...); `RUST_LOG` overrides it.
    pub level: String,
    /// `json` (one object per line) or `pretty`.
    pub format: LogFormat,
    /// OpenTelemetry collector base URL (OTLP/HTTP, e.g. `http://otel-collector:4318`); empty: no traces.
    pub otlp_endpoint: String,
    /// Share of new traces recorded (0.0 to 1.0); a request continuing a caller's trace follows its decision.
    pub trace_sample_ratio: f64,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// One JSON object per line, for collectors.
    Json,
    /// Human-readable lines, for a terminal.
    Pretty,
}

/// The sections every service has: `[http]`, `[database]`, `[bus]`, `[log]`. A service's settings flatten
/// this in, so the keys stay where they always were.
#[derive(Debug, Clone, Deserialize)]
pub struct CommonSettings {
    pub http: HttpSettings,
    pub database: DbSettings,
    pub bus: BusSettings,
    pub log: LogSettings,
}

impl CommonSettings {
    /// The rules the shared sections' types cannot express, each naming its setting.
    pub fn check(&self) -> Result<(), String> {
        let fail = |what: &str| Err(format!("configuration error: {what}"));
        if self.database.pool_size == 0 {
            return fail("database.pool_size must be at least 1");
        }
        if self.bus.batch_size < 1 {
            return fail("bus.batch_size must be at least 1");
        }
        if self.bus.in_flight_batches == 0 {
            return fail("bus.in_flight_batches must be at least 1");
        }
        if self.bus.poll_interval_ms == 0 {
            return fail("bus.poll_interval_ms must be at least 1");
        }
        if self.http.max_body_bytes == 0 {
            return fail("http.max_body_bytes must be at least 1");
        }
        if self.http.max_uri_bytes == 0 || self.http.max_header_bytes == 0 {
            return fail("http.max_uri_bytes and http.max_header_bytes must be at least 1");
        }
        if self.http.client_request_timeout_ms == 0 || self.http.client_body_timeout_ms == 0 {
            return fail(
                "http.client_request_timeout_ms and http.client_body_timeout_ms must be at least 1",
            );
        }
        if self.http.max_connections == 0 {
            return fail("http.max_connections must be at least 1");
        }
        if self.http.auth_failure_limit > 0 && self.http.auth_failure_window_secs == 0 {
            return fail(
                "http.auth_failure_window_secs must be at least 1 while http.auth_failure_limit is on",
            );
        }
        if !(0.0..=1.0).contains(&self.log.trace_sample_ratio) {
            return fail("log.trace_sample_ratio must be between 0.0 and 1.0");
        }
        let endpoint = &self.log.otlp_endpoint;
        if !endpoint.is_empty() && url::Url::parse(endpoint).is_err() {
            return fail(
                "log.otlp_endpoint must be empty (no traces) or a URL such as http://collector:4318",
            );
        }
        Ok(())
    }
}

/// What a service's settings type tells the shared loader: its name, compiled defaults, list-valued keys, where
/// its shared sections are, and the rules of its own sections.
pub trait ServiceSettings: DeserializeOwned + Sized {
    /// The service's name: the environment prefix (`identity-x` reads `IDENTITY_X__…`) and the event source.
    const SERVICE: &'static str;
    /// The compiled defaults (`config/defaults.toml`).
    const DEFAULTS: &'static str;
    /// Settings that are lists, written comma-separated in the environment.
    const LIST_KEYS: &'static [&'static str] = &[];

    fn common(&self) -> &CommonSettings;
    fn common_mut(&mut self) -> &mut CommonSettings;

    /// The rules of the service's own sections, each reported naming its setting.
    fn check_own(&self) -> Result<(), String> {
        Ok(())
    }

    /// Every rule: the shared sections', then the service's own.
    fn check(&self) -> Result<(), String> {
        self.common().check()?;
        self.check_own()
    }

    /// Defaults < file < environment, then checked.
    fn load(file: Option<&Path>) -> Result<Self, String> {
        let sources = Sources {
            file,
            environment: true,
        };
        let settings: Self = load_service(Self::SERVICE, Self::DEFAULTS, sources, Self::LIST_KEYS)
            .map_err(|err| format!("configuration error: {err}"))?;
        settings.check()?;
        Ok(settings)
    }

    /// The compiled defaults alone, unchecked (tests start from these and fill in what they need).
    fn defaults() -> Result<Self, String> {
        let sources = Sources {
            file: None,
            environment: false,
        };
        load_service(Self::SERVICE, Self::DEFAULTS, sources, &[])
            .map_err(|err| format!("configuration error: {err}"))
    }
}

/// Where settings come from besides the compiled defaults.
pub struct Sources<'a> {
    pub file: Option<&'a Path>,
    /// Read the process environment (off in tests, which must not depend on the runner's variables).
    pub environment: bool,
}

/// Loads `T` from `defaults` (TOML), then the file, then the environment.
///
/// `list_keys` names the settings that are lists, written comma-separated in the environment.
pub fn load<T: DeserializeOwned>(
    service: &str,
    defaults: &str,
    sources: Sources<'_>,
    list_keys: &[&str],
) -> Result<T, ConfigError> {
    build(service, defaults, sources, list_keys)?.try_deserialize()
}

/// Loads a service's settings. The shared sections are read on their own first: through `#[serde(flatten)]`
/// a type error would lose the key it is about, and "configuration error: invalid type" names nothing.
fn load_service<T: DeserializeOwned>(
    service: &str,
    defaults: &str,
    sources: Sources<'_>,
    list_keys: &[&str],
) -> Result<T, ConfigError> {
    let config = build(service, defaults, sources, list_keys)?;
    config.clone().try_deserialize::<CommonSettings>()?;
    config.try_deserialize()
}

/// The shared sections' list-valued settings, comma-separated in the environment like a service's own.
const COMMON_LIST_KEYS: &[&str] = &["http.trusted_proxies"];

fn build(
    service: &str,
    defaults: &str,
    sources: Sources<'_>,
    list_keys: &[&str],
) -> Result<Config, ConfigError> {
    let file = sources.file;
    let prefix = service.to_uppercase().replace('-', "_");
    let mut builder = Config::builder().add_source(File::from_str(defaults, FileFormat::Toml));
    if let Some(path) = file {
        builder = builder.add_source(File::from(path).required(true));
    }
    let mut env = Environment::with_prefix(&prefix)
        .prefix_separator("__")
        .separator("__")
        .try_parsing(true);
    env = env.list_separator(",");
    for key in COMMON_LIST_KEYS.iter().chain(list_keys) {
        env = env.with_list_parse_key(key);
    }
    if !sources.environment {
        return builder.build();
    }
    builder = builder.add_source(env);
    for (var, key) in [
        ("DATABASE_URL", "database.url"),
        ("AMQP_URL", "bus.url"),
        ("BIND_ADDR", "http.bind"),
    ] {
        if let Ok(value) = std::env::var(var) {
            builder = builder.set_override(key, value)?;
        }
    }
    builder.build()
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEFAULTS: &str = r#"
        [http]
        bind = "127.0.0.1:0"
        workers = 0
        shutdown_timeout_secs = 1
        max_body_bytes = 10
        max_uri_bytes = 10
        max_header_bytes = 10
        client_request_timeout_ms = 1
        client_body_timeout_ms = 1
        max_connections = 1
        auth_failure_limit = 0
        auth_failure_window_secs = 1
        trusted_proxies = []
        [database]
        url = "postgres://h/db"
        pool_size = 1
        acquire_timeout_ms = 1
        auto_migrate = false
        [bus]
        url = "amqp://h"
        exchange = "x"
        relay_enabled = false
        batch_size = 1
        in_flight_batches = 1
        poll_interval_ms = 1
        connect_timeout_ms = 1
        confirm_timeout_ms = 1
        max_backoff_ms = 1
        retention_hours = 1
        stream_enabled = false
        stream_max_age = "1h"
        stream_max_length_bytes = 1
        [log]
        level = "info"
        format = "json"
        otlp_endpoint = ""
        trace_sample_ratio = 1.0
        [own]
        count = 3
    "#;

    #[derive(Debug, Deserialize)]
    struct Own {
        count: u32,
    }

    #[derive(Debug, Deserialize)]
    struct Example {
        #[serde(flatten)]
        common: CommonSettings,
        own: Own,
    }

    fn with(extra: &str) -> Result<Example, ConfigError> {
        let file = std::env::temp_dir().join(format!("kit-settings-{}.toml", std::process::id()));
        std::fs::write(&file, extra).unwrap();
        let sources = Sources {
            file: Some(&file),
            environment: false,
        };
        let loaded = load_service::<Example>("example", DEFAULTS, sources, &[]);
        let _ = std::fs::remove_file(&file);
        loaded
    }

    #[test]
    fn flattened_sections_load_and_errors_name_the_key() {
        let example = with("").unwrap();
        assert_eq!(example.common.database.pool_size, 1);
        assert_eq!(example.own.count, 3);
        let err = with("[http]\nworkers = \"many\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("http.workers"), "{err}");
        let err = with("[own]\ncount = \"x\"\n").unwrap_err().to_string();
        assert!(err.contains("own.count"), "{err}");
    }
}
