//! The resources a test owns, dropped when the test ends: its database and, once `settings::for_test` has named
//! one, its bus exchange (so test runs leave nothing behind in PostgreSQL or RabbitMQ).
//!
//! A migrated test database is cloned from a template migrated once per test run (`CREATE DATABASE … TEMPLATE`,
//! as crates.io's test harness does), so a test pays for a file copy instead of every migration.

use diesel_migrations::EmbeddedMigrations;
use lapin::options::ExchangeDeleteOptions;
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

/// Names a fresh database and drops it, and the test's exchange, on `Drop`.
pub struct TestDatabase {
    pub url: String,
    exchange: Mutex<Option<String>>,
}

fn server_url() -> String {
    std::env::var("TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".to_owned())
}

impl TestDatabase {
    /// A name for a database that does not exist yet (the service creates and migrates it on start).
    /// `prefix` names the service, e.g. `identity` gives `identity_test_<uuid>`.
    pub fn new(prefix: &str) -> Self {
        Self {
            url: format!("{}/{prefix}_test_{}", server_url(), crate::unique_suffix()),
            exchange: Mutex::new(None),
        }
    }

    /// A database already migrated with the outbox's and `migrations`, cloned from this run's template.
    pub fn migrated(prefix: &str, migrations: &'static EmbeddedMigrations) -> Self {
        let database = Self::new(prefix);
        let template = template(prefix, migrations);
        let url = database.url.clone();
        run_blocking(async move { persistence::db::create_from_template(&url, &template).await })
            .expect("test database cloned from its template");
        database
    }

    /// Deletes `exchange` too when the test ends.
    pub fn owns_exchange(&self, exchange: &str) {
        if let Ok(mut slot) = self.exchange.lock() {
            *slot = Some(exchange.to_owned());
        }
    }
}

/// The template for `prefix` in this test run, created and migrated by the first test that asks;
/// concurrent test processes (one per test binary, or one per test under nextest) share it through an
/// advisory lock in `persistence::db::ensure_template`. The run id (`TEST_RUN_ID`, set by
/// `deploy/local/test.sh`; else a hash of this test binary's path and build time) keeps a template migrated
/// by older code from being reused.
fn template(prefix: &str, migrations: &'static EmbeddedMigrations) -> String {
    static TEMPLATES: OnceLock<Mutex<HashMap<String, String>>> = OnceLock::new();
    let templates = TEMPLATES.get_or_init(|| Mutex::new(HashMap::new()));
    let mut known = templates
        .lock()
        .unwrap_or_else(|poison| poison.into_inner());
    if let Some(url) = known.get(prefix) {
        return url.clone();
    }
    let run = std::env::var("TEST_RUN_ID")
        .ok()
        .filter(|id| !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric()))
        .unwrap_or_else(this_build);
    let url = format!("{}/{prefix}_tpl_{}", server_url(), run.to_ascii_lowercase());
    let target = url.clone();
    run_blocking(async move { persistence::db::ensure_template(&target, migrations).await })
        .expect("test template database migrated");
    known.insert(prefix.to_owned(), url.clone());
    url
}

/// `b` + a hash of this executable's path and modification time: the same for every process of one build.
fn this_build() -> String {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    if let Ok(exe) = std::env::current_exe() {
        exe.hash(&mut hasher);
        if let Ok(modified) = std::fs::metadata(&exe).and_then(|m| m.modified()) {
            modified.hash(&mut hasher);
        }
    }
    format!("b{:x}", hasher.finish())
}

/// Runs `work` to completion on a runtime of its own: callers may be inside a test's runtime, which cannot
/// block on itself.
fn run_blocking<T: Send + 'static>(
    work: impl std::future::Future<Output = T> + Send + 'static,
) -> T {
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
            .block_on(work)
    })
    .join()
    .expect("blocking helper thread")
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let url = self.url.clone();
        let exchange = self.exchange.lock().ok().and_then(|mut slot| slot.take());
        cleanup(async move {
            let _ = persistence::db::drop_database(&url).await;
            if let Some(exchange) = exchange {
                delete_exchange(&exchange).await;
            }
        });
    }
}

/// Runs best-effort clean-up `work` to completion from a `Drop`: on a thread and runtime of its own (a drop runs
/// inside the test's runtime, which cannot block on itself), and never panicking (a drop during a failing
/// test's unwinding must not abort the test binary).
pub fn cleanup(work: impl std::future::Future<Output = ()> + Send + 'static) {
    let _ = std::thread::spawn(move || {
        let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        else {
            return;
        };
        runtime.block_on(work);
    })
    .join();
}

/// Deletes a test's exchange and its event stream (best effort).
pub async fn delete_exchange(exchange: &str) {
    let Ok(connection) =
        lapin::Connection::connect(&crate::amqp_url(), lapin::ConnectionProperties::default())
            .await
    else {
        return;
    };
    if let Ok(channel) = connection.create_channel().await {
        let _ = channel
            .exchange_delete(exchange.into(), ExchangeDeleteOptions::default())
            .await;
        // The relay's event stream for this exchange (bus::settings::stream_name).
        let _ = channel
            .queue_delete(
                bus::settings::stream_name(exchange).as_str().into(),
                lapin::options::QueueDeleteOptions::default(),
            )
            .await;
    }
    let _ = connection.close(200, "test done".into()).await;
}
