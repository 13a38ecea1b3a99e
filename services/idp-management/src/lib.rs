//! The idp-management service: per-application identity-provider configurations (bearer-JWT protected) and
//! their discovery, with every change published through the transactional outbox.
//!
//! [`build`] makes the state and mounts the routes on the shared foundation; `main` and the integration tests
//! start the service the same way ([`IdpManagement`]).

/// The application registry (use case).
pub mod applications;
/// Bearer tokens and the authorization rules.
pub mod auth;
/// The configuration dry-run check (extension use case).
pub mod check;
/// Who caused a change and in which trace (`Ctx`), stamped on its events.
pub mod context;
/// Schema, rows, column types, migrations.
pub mod db;
/// `ErrorV1` and the one error type.
pub mod error;
/// Event types and envelopes.
pub mod events;
/// Ids that cross layers.
pub mod ids;
/// Validation of what comes in: path ids, bodies, media types, `If-Match`.
pub mod input;
/// Provider configurations: read, put, delete (use cases).
pub mod providers;
/// The token revocation list (use case).
pub mod revocation;
/// The HTTP routes.
pub mod routes;
/// Client secrets at rest.
pub mod secrets;
/// Settings.
pub mod settings;
/// Discovery (use case).
pub mod setup;
/// The contract's representations.
pub mod views;

use actix_web::web;
use diesel_migrations::EmbeddedMigrations;
use persistence::Pool;
use security::jwt::TokenVerifier;
use security::secret_box::SecretBox;
use service_kit::service::{Foundation, Service};
use service_kit::{ServiceApp, ServiceSettings};
use settings::Settings;
use std::sync::Arc;

/// The contract this service serves at `/openapi.yaml`.
pub const SPEC: &str = contracts::IDP_MANAGEMENT;

/// What handlers share.
pub struct AppState {
    pub pool: Pool,
    /// Bearer-token keys: configured ones and the issuer's JWKS.
    pub verifier: Arc<TokenVerifier>,
    pub secrets: SecretBox,
    pub policy: input::UrlPolicy,
    /// Largest request body, in bytes.
    pub max_body: usize,
    /// HTTP client of the configuration check.
    pub checker: reqwest::Client,
}

/// The service, as the shared `main` and test harness start it.
pub struct IdpManagement;

impl ServiceApp for IdpManagement {
    type Settings = Settings;
    const MIGRATIONS: &'static EmbeddedMigrations = &db::MIGRATIONS;

    fn build(settings: Settings) -> impl Future<Output = anyhow::Result<Service>> {
        build(settings)
    }
}

/// Builds the service: shared foundation (errors as `ErrorV1`), the configured applications registered, then
/// the state and routes.
pub async fn build(settings: Settings) -> anyhow::Result<Service> {
    settings.check().map_err(anyhow::Error::msg)?;
    let verifier = Arc::new(TokenVerifier::new(&settings.jwt)?);
    let secrets = SecretBox::new(&settings.secrets)?;
    let foundation = Foundation::build(Settings::SERVICE, &settings.common, &db::MIGRATIONS)
        .await?
        .with_framework_errors(error::framework_error)
        .with_token_verifier(&verifier);
    applications::register_configured(&foundation.pool, &settings.registry.applications).await?;
    let state = web::Data::new(AppState {
        pool: foundation.pool.clone(),
        verifier,
        secrets,
        policy: input::UrlPolicy {
            allow_http_loopback: settings.validation.allow_http_loopback,
        },
        max_body: settings.common.http.max_body_bytes,
        checker: check::client(std::time::Duration::from_millis(settings.checks.timeout_ms))?,
    });
    foundation.serve(
        &settings.common,
        SPEC,
        move |cfg: &mut web::ServiceConfig| {
            cfg.app_data(state.clone());
            cfg.service(web::scope(routes::BASE).configure(routes::configure));
        },
    )
}
