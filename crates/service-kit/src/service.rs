//! The start-up every service shares (metrics, database, migrations, pool, relay, listener), the HTTP server
//! assembled around a service's routes (errors, observation, body limit, probes), and the running service's
//! lifecycle (serve, then drain background work). A service's `build` only makes its state and routes.

use crate::probes::{self, Probes, ReadinessCheck, ReadinessProbe, Spec};
use crate::run::{Background, with_retry};
use crate::settings::CommonSettings;
use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use bus::{Relay, RelayStatus};
use diesel_migrations::EmbeddedMigrations;
use persistence::Pool;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

/// How long start-up waits for PostgreSQL before giving up.
const STARTUP_BUDGET: Duration = Duration::from_secs(60);

/// Everything a service needs before it builds its HTTP app.
pub struct Foundation {
    pub name: &'static str,
    pub pool: Pool,
    pub relay_status: Arc<RelayStatus>,
    pub background: Background,
    pub listener: TcpListener,
    pub port: u16,
    migrations: &'static EmbeddedMigrations,
    framework_errors: crate::problem::FrameworkErrors,
    readiness: Vec<ReadinessCheck>,
}

impl Foundation {
    /// Creates and migrates the database (when `auto_migrate`), retrying while PostgreSQL comes up; builds the
    /// pool; starts the outbox relay (when enabled); binds the listener.
    pub async fn build(
        name: &'static str,
        common: &CommonSettings,
        migrations: &'static EmbeddedMigrations,
    ) -> anyhow::Result<Self> {
        let (db, bus, http) = (&common.database, &common.bus, &common.http);
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
        if let Some(handle) = crate::metrics::handle() {
            background.spawn(crate::metrics::upkeep(handle, background.token()));
        }
        let relay = Relay::new(&db.url, bus.clone(), name);
        let relay_status = relay.status();
        if bus.relay_enabled {
            background.spawn(relay.run(background.token()));
        }
        let listener = TcpListener::bind(&http.bind)
            .map_err(|err| anyhow::anyhow!("cannot listen on http.bind {}: {err}", http.bind))?;
        let port = listener.local_addr()?.port();
        Ok(Self {
            name,
            pool,
            relay_status,
            background,
            listener,
            port,
            migrations,
            framework_errors: crate::problem::framework_problem,
            readiness: Vec::new(),
        })
    }

    /// Renders the framework's own errors (no route, wrong method) with `render` instead of problem documents,
    /// for a service whose contract names another error format.
    pub fn with_framework_errors(mut self, render: crate::problem::FrameworkErrors) -> Self {
        self.framework_errors = render;
        self
    }

    /// Adds a condition of the service's own to `/readyz`: reported under `name`, and failing readiness while
    /// `probe` says not ready.
    pub fn with_readiness(mut self, name: &'static str, probe: ReadinessProbe) -> Self {
        self.readiness.push(ReadinessCheck { name, probe });
        self
    }

    /// Runs `verifier`'s JWKS refresh beside the server (stopped with the other background work) and reports
    /// its keys in readiness as `token_keys` (`configured`, `ok`, `stale`, `unavailable`), not ready while it
    /// can verify nothing (a JWKS never fetched and no configured key).
    pub fn with_token_verifier(mut self, verifier: &Arc<security::jwt::TokenVerifier>) -> Self {
        let stop = self.background.token();
        self.background
            .spawn(Arc::clone(verifier).refresh_in_background(stop));
        let verifier = Arc::clone(verifier);
        self.with_readiness(
            "token_keys",
            Arc::new(move || (verifier.ready(), verifier.status().as_str())),
        )
    }

    /// Starts the HTTP server: uniform problem errors, request observation, the body, head and
    /// authentication-failure limits (`guard`), the slow-client bounds and the open probes around `routes`, which mounts the service's own state and paths. Consumes the foundation into the
    /// running [`Service`].
    pub fn serve<F>(
        self,
        common: &CommonSettings,
        spec: &'static str,
        routes: F,
    ) -> anyhow::Result<Service>
    where
        F: Fn(&mut web::ServiceConfig) + Clone + Send + 'static,
    {
        let http = &common.http;
        let probes = Probes {
            pool: self.pool.clone(),
            migrations: self.migrations,
            relay: Arc::clone(&self.relay_status),
            spec: Arc::new(Spec::new(spec)?),
            checks: self.readiness.into(),
        };
        let max_body = http.max_body_bytes;
        let listener = self.listener.try_clone()?;
        let framework_errors = self.framework_errors;
        let guard = crate::guard::Guard::new(http, framework_errors);
        let mut server = HttpServer::new(move || {
            let guard = guard.clone();
            App::new()
                .wrap(from_fn(move |req, next| guard.clone().check(req, next)))
                .wrap(crate::problem::uniform_errors(framework_errors))
                .wrap(from_fn(crate::observe::observe))
                .app_data(web::PayloadConfig::new(max_body))
                .configure(|cfg| probes::configure(cfg, probes.clone()))
                .configure(routes.clone())
        })
        .client_request_timeout(Duration::from_millis(http.client_request_timeout_ms))
        .max_connections(http.max_connections)
        .listen(listener)?
        .shutdown_timeout(http.shutdown_timeout_secs);
        if http.workers > 0 {
            server = server.workers(http.workers);
        }
        Ok(Service {
            name: self.name,
            port: self.port,
            server: server.run(),
            background: self.background,
            pool: self.pool,
            shutdown_timeout: Duration::from_secs(http.shutdown_timeout_secs),
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
