//! The provider-connection service: per-tenant Microsoft Entra connections of workspace members, admin consent,
//! and verification runs done by a worker in the same process, with every decision audited and every change
//! published through the transactional outbox.
//!
//! [`build`] wires the real dependencies and binds the listener; `main` and the integration tests start the
//! service the same way, through [`ProviderConnection`].

pub mod audit;
pub mod auth;
pub mod authz;
pub mod connections;
pub mod consent;
pub mod context;
pub mod credentials;
pub mod db;
pub mod error;
pub mod events;
pub mod ids;
pub mod input;
pub mod routes;
pub mod settings;
pub mod verification;
pub mod views;
pub mod worker;

use actix_web::web;
use diesel_migrations::EmbeddedMigrations;
use persistence::Pool;
use security::jwt::TokenVerifier;
use security::secret_box::SecretBox;
use service_kit::ServiceApp;
use service_kit::service::{Foundation, Service};
use settings::Settings;
use std::sync::Arc;
use tokio::sync::Notify;

/// The contract this service serves at `/openapi.yaml`.
pub const SPEC: &str = contracts::PROVIDER_CONNECTION;

/// What handlers share.
pub struct AppState {
    pub pool: Pool,
    /// Members' bearer-token keys: configured ones and the issuer's JWKS.
    pub verifier: Arc<TokenVerifier>,
    pub secrets: Arc<SecretBox>,
    pub platform_client_id: String,
    pub consent_signer: consent::StateSigner,
    pub authority: String,
    pub redirect_uri: String,
    /// Wakes this process's worker when a run is queued (other replicas find it by polling).
    pub worker_wake: Arc<Notify>,
}

/// The service, as the shared `main` and test harness start it.
pub struct ProviderConnection;

impl ServiceApp for ProviderConnection {
    type Settings = Settings;
    const MIGRATIONS: &'static EmbeddedMigrations = &db::MIGRATIONS;

    async fn build(settings: Settings) -> anyhow::Result<Service> {
        build(settings).await
    }
}

/// Builds the service: shared foundation, the worker (when enabled), then the routes under `/admin`.
pub async fn build(settings: Settings) -> anyhow::Result<Service> {
    use service_kit::ServiceSettings as _;
    settings.check().map_err(|err| anyhow::anyhow!(err))?;
    let verifier = Arc::new(TokenVerifier::new(&settings.auth)?);
    let mut foundation = Foundation::build(settings::SERVICE, &settings.common, &db::MIGRATIONS)
        .await?
        .with_token_verifier(&verifier);
    let wake = Arc::new(Notify::new());
    let worker = Arc::new(worker::Worker::from_settings(
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
        verifier,
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
    foundation.serve(
        &settings.common,
        SPEC,
        move |cfg: &mut web::ServiceConfig| {
            cfg.app_data(state.clone())
                .service(web::scope(routes::BASE).configure(routes::configure));
        },
    )
}
