//! The idp-management service: per-application identity-provider configurations (bearer-JWT protected) and
//! their discovery, with every change published through the transactional outbox.
//!
//! [`build`] wires the real dependencies and binds the listener; `main` and the integration tests start the
//! service the same way.

/// Bearer tokens and the authorization rules.
pub mod auth;
/// The configuration dry-run check (extension).
pub mod check;
/// Schema, rows, migrations.
pub mod db;
/// `ErrorV1` and the one error type.
pub mod error;
/// Event types and envelopes.
pub mod events;
/// Request-body validation to the contract's letter.
pub mod input;
/// JSON / NDJSON negotiation, body reading, `If-Match`.
pub mod media;
/// The HTTP routes.
pub mod routes;
/// Settings.
pub mod settings;
/// Use cases over the database and the outbox.
pub mod store;
/// The contract's representations.
pub mod views;

use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use persistence::Pool;
use security::jwt::JwtVerifier;
use security::secret_box::SecretBox;
use service_kit::probes::{self, Probes, Spec};
use service_kit::service::{Foundation, Service};
use settings::Settings;
use std::sync::Arc;

/// The contract this service serves at `/openapi.yaml`.
pub const SPEC: &str = contracts::IDP_MANAGEMENT;

/// What handlers share.
pub struct AppState {
    pub pool: Pool,
    pub verifier: JwtVerifier,
    pub secrets: SecretBox,
    pub policy: input::UrlPolicy,
    /// Largest request body, in bytes.
    pub max_body: usize,
    /// HTTP client of the configuration check.
    pub checker: reqwest::Client,
}

/// Builds the service: shared foundation, the configured applications registered, then the routes.
pub async fn build(settings: Settings) -> anyhow::Result<Service> {
    settings.check().map_err(anyhow::Error::msg)?;
    let verifier = JwtVerifier::new(&settings.jwt)?;
    let secrets = SecretBox::new(&settings.secrets)?;
    let foundation = Foundation::build(
        settings::SERVICE,
        &settings.http,
        &settings.database,
        &settings.bus,
        db::MIGRATIONS,
    )
    .await?;
    for application in &settings.registry.applications {
        store::register(&foundation.pool, application, "configuration")
            .await
            .map_err(|e| anyhow::anyhow!("registering application {application}: {e}"))?;
    }
    let state = web::Data::new(AppState {
        pool: foundation.pool.clone(),
        verifier,
        secrets,
        policy: input::UrlPolicy {
            allow_http_loopback: settings.validation.allow_http_loopback,
        },
        max_body: settings.http.max_body_bytes,
        checker: check::client(std::time::Duration::from_millis(settings.checks.timeout_ms))?,
    });
    let probes = Probes {
        pool: foundation.pool.clone(),
        migrations: &db::MIGRATIONS,
        relay: Arc::clone(&foundation.relay_status),
        spec: Arc::new(Spec::new(SPEC)?),
    };
    let listener = foundation.listener.try_clone()?;
    let mut server = HttpServer::new(move || {
        App::new()
            .wrap(error::uniform_errors())
            .wrap(from_fn(service_kit::observe::observe))
            .app_data(state.clone())
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
