//! Layered configuration: compiled defaults < optional file < environment.
//!
//! Everything is reachable as `<SERVICE>__SECTION__KEY` (e.g. `IDENTITY__DATABASE__POOL_SIZE`), and the
//! conventional `DATABASE_URL`, `AMQP_URL` and `BIND_ADDR` are honoured directly, taking precedence.

use config::{Config, ConfigError, Environment, File, FileFormat};
use serde::Deserialize;
use serde::de::DeserializeOwned;
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
}

#[derive(Debug, Clone, Deserialize)]
pub struct LogSettings {
    /// Default filter (`info`, `identity=debug,info`, ...); `RUST_LOG` overrides it.
    pub level: String,
    /// `json` (one object per line) or `pretty`.
    pub format: String,
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
    if !list_keys.is_empty() {
        env = env.list_separator(",");
        for key in list_keys {
            env = env.with_list_parse_key(key);
        }
    }
    if !sources.environment {
        return builder.build()?.try_deserialize();
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
    builder.build()?.try_deserialize()
}
