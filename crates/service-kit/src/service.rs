//! The start-up every service shares (metrics, database, migrations, pool, relay, listener) and the running
//! service's lifecycle (serve, then drain background work), so a service's `Application` only adds its routes.

use crate::HttpSettings;
use crate::run::{Background, with_retry};
use actix_web::dev::{Server, ServerHandle};
use bus::{BusSettings, Relay, RelayStatus};
use diesel_migrations::EmbeddedMigrations;
use persistence::{DbSettings, Pool};
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

/// How long start-up waits for PostgreSQL before giving up.
const STARTUP_BUDGET: Duration = Duration::from_secs(60);

/// Everything a service needs before it builds its HTTP app.
pub struct Foundation {
    pub pool: Pool,
    pub relay_status: Arc<RelayStatus>,
    pub background: Background,
    pub listener: TcpListener,
    pub port: u16,
}

impl Foundation {
    /// Creates and migrates the database (when `auto_migrate`), retrying while PostgreSQL comes up; builds the
    /// pool; starts the outbox relay (when enabled); binds the listener.
    pub async fn build(
        service: &str,
        http: &HttpSettings,
        db: &DbSettings,
        bus: &BusSettings,
        migrations: EmbeddedMigrations,
    ) -> anyhow::Result<Self> {
        // Install the recorder before anything records, or early counts are lost.
        let _ = crate::metrics::handle();
        if db.auto_migrate {
            with_retry("database", STARTUP_BUDGET, || {
                persistence::db::ensure_database(&db.url)
            })
            .await?;
            let applied = persistence::db::migrate(&db.url, migrations).await?;
            if !applied.is_empty() {
                tracing::info!(?applied, "applied migrations");
            }
        }
        let pool = persistence::db::build_pool(db)?;
        let mut background = Background::new();
        let relay = Relay::new(&db.url, bus.clone(), service);
        let relay_status = relay.status();
        if bus.relay_enabled {
            background.spawn(relay.run(background.token()));
        }
        let listener = TcpListener::bind(&http.bind)
            .map_err(|err| anyhow::anyhow!("cannot listen on http.bind {}: {err}", http.bind))?;
        let port = listener.local_addr()?.port();
        Ok(Self {
            pool,
            relay_status,
            background,
            listener,
            port,
        })
    }
}

/// A bound service: its HTTP server and the background work to stop after it.
pub struct Service {
    name: &'static str,
    port: u16,
    server: Server,
    background: Background,
    pool: Pool,
    shutdown_timeout: Duration,
}

impl Service {
    pub fn new(
        name: &'static str,
        foundation: Foundation,
        server: Server,
        http: &HttpSettings,
    ) -> Self {
        Self {
            name,
            port: foundation.port,
            server,
            background: foundation.background,
            pool: foundation.pool,
            shutdown_timeout: Duration::from_secs(http.shutdown_timeout_secs),
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The service's pool (tests seed data through it where the API has no call for that).
    pub fn pool(&self) -> Pool {
        self.pool.clone()
    }

    /// A handle that stops the server gracefully (what SIGTERM does).
    pub fn server_handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Serves until SIGTERM/SIGINT (or a stop through the handle), lets in-flight requests finish, then stops
    /// background work after its current batch.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let served = self.server.await;
        self.background.stop(self.shutdown_timeout).await;
        tracing::info!(service = self.name, "stopped");
        served
    }
}
