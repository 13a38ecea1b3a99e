//! The provider-connection service: per-tenant Microsoft Entra connections of workspace members, admin consent,
//! and verification runs done by a worker in the same process, with every decision audited and every change
//! published through the transactional outbox.
//!
//! [`build`] wires the real dependencies and binds the listener; `main` and the integration tests start the
//! service the same way.

pub mod audit;
pub mod auth;
pub mod connections;
pub mod consent;
pub mod db;
pub mod error;
pub mod events;
pub mod input;
pub mod routes;
pub mod settings;
pub mod verification;
pub mod worker;

use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use persistence::Pool;
use security::jwt::JwtVerifier;
use security::secret_box::SecretBox;
use service_kit::probes::{self, Probes, Spec};
use service_kit::service::{Foundation, Service};
use settings::Settings;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

/// The contract this service serves at `/openapi.yaml`.
pub const SPEC: &str = contracts::PROVIDER_CONNECTION;

/// What handlers share.
pub struct AppState {
    pub pool: Pool,
    pub verifier: JwtVerifier,
    pub secrets: Arc<SecretBox>,
    pub platform_client_id: String,
    pub consent_signer: consent::StateSigner,
    pub authority: String,
    pub redirect_uri: String,
    /// Wakes this process's worker when a run is queued (other replicas find it by polling).
    pub worker_wake: Arc<Notify>,
}

/// The verification worker configured from `settings` (tests build extra ones to race them).
pub fn worker(
    settings: &Settings,
    pool: Pool,
    wake: Arc<Notify>,
) -> anyhow::Result<worker::Worker> {
    Ok(worker::Worker {
        pool,
        tokens: microsoft::token::TokenClient::new(&settings.microsoft)?,
        microsoft: settings.microsoft.clone(),
        secrets: Arc::new(SecretBox::new(&settings.secrets)?),
        platform_client_id: settings.platform.client_id.clone(),
        platform_client_secret: settings.platform.client_secret.clone(),
        required_roles: settings.verification.required_roles.clone(),
        graph_probe_path: settings.verification.graph_probe_path.clone(),
        run_timeout: Duration::from_secs(settings.verification.run_timeout_secs),
        poll_interval: Duration::from_millis(settings.verification.poll_interval_ms),
        wake,
    })
}

/// Builds the service: shared foundation, the worker (when enabled), then the routes under `/admin`.
pub async fn build(settings: Settings) -> anyhow::Result<Service> {
    settings.check().map_err(|err| anyhow::anyhow!(err))?;
    let mut foundation = Foundation::build(
        settings::SERVICE,
        &settings.http,
        &settings.database,
        &settings.bus,
        db::MIGRATIONS,
    )
    .await?;
    let wake = Arc::new(Notify::new());
    let worker = Arc::new(worker(
        &settings,
        foundation.pool.clone(),
        Arc::clone(&wake),
    )?);
    if settings.verification.worker_enabled {
        let stop = foundation.background.token();
        foundation.background.spawn(Arc::clone(&worker).run(stop));
    }
    let state = web::Data::new(AppState {
        pool: foundation.pool.clone(),
        verifier: JwtVerifier::new(&settings.auth)?,
        secrets: Arc::clone(&worker.secrets),
        platform_client_id: settings.platform.client_id.clone(),
        consent_signer: consent::StateSigner::new(
            &settings.consent.state_secret,
            settings.consent.state_ttl_secs,
        )?,
        authority: settings.microsoft.authority.clone(),
        redirect_uri: settings.consent.redirect_uri.clone(),
        worker_wake: wake,
    });
    let probes = Probes {
        pool: foundation.pool.clone(),
        migrations: &db::MIGRATIONS,
        relay: Arc::clone(&foundation.relay_status),
        spec: Arc::new(Spec::new(SPEC)?),
    };
    let max_body = settings.http.max_body_bytes;
    let listener = foundation.listener.try_clone()?;
    let mut server = HttpServer::new(move || {
        App::new()
            .wrap(service_kit::problem::uniform_errors())
            .wrap(from_fn(service_kit::observe::observe))
            .app_data(state.clone())
            .app_data(web::PayloadConfig::new(max_body))
            .configure(|cfg| probes::configure(cfg, probes.clone()))
            .service(web::scope(routes::BASE).configure(routes::configure))
    })
    .listen(listener)?
    .shutdown_timeout(settings.http.shutdown_timeout_secs);
    if settings.http.workers > 0 {
        server = server.workers(settings.http.workers);
    }
    Ok(Service::new(
        settings::SERVICE,
        foundation,
        server.run(),
        &settings.http,
    ))
}
