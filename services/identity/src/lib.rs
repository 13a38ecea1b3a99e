//! The identity service: users, groups, group types, permissions and their assignments, with every change
//! published through the transactional outbox; the B2C / Entra External ID connectors that provision people as
//! they sign in; and the Microsoft Graph look-ups.
//!
//! [`build`] makes the state and mounts the routes on the shared foundation; `main` (through [`Identity`]) and
//! the integration tests start the service the same way.

pub mod connectors;
pub mod context;
pub mod db;
pub mod directory;
pub mod error;
pub mod events;
pub mod graph;
pub mod input;
pub mod routes;
pub mod settings;
pub mod views;

use actix_web::web;
use diesel_migrations::EmbeddedMigrations;
use persistence::Pool;
use service_kit::api_key::ApiKeys;
use service_kit::service::{Foundation, Service};
use service_kit::{ServiceApp, ServiceSettings};
use settings::{ConnectorSettings, Settings};

/// The contract this service serves at `/openapi.yaml`.
pub const SPEC: &str = contracts::IDENTITY;

/// What handlers share.
pub struct AppState {
    pub pool: Pool,
    /// The Graph clients of the configured tenants.
    pub graphs: graph::Graphs,
    /// The connectors' rules and messages.
    pub connectors: ConnectorSettings,
}

/// The identity service, as the shared `main` and test harness know it.
pub struct Identity;

impl ServiceApp for Identity {
    type Settings = Settings;
    const MIGRATIONS: &'static EmbeddedMigrations = &db::MIGRATIONS;

    async fn build(settings: Settings) -> anyhow::Result<Service> {
        build(settings).await
    }
}

/// Builds the identity service: shared foundation, then its state and routes (the directory and Graph paths
/// behind the function key, the connector paths behind their own authentication).
pub async fn build(settings: Settings) -> anyhow::Result<Service> {
    let connector_auth =
        connectors::auth::ConnectorAuth::new(&settings.auth.function_keys, &settings.connectors)?;
    let mut foundation =
        Foundation::build(Settings::SERVICE, &settings.common, &db::MIGRATIONS).await?;
    // Only with Entra validation on: the tenant's keys refreshed in the background, and `/readyz` not ready
    // while they were never fetched (every `/entra/*` call would be refused).
    if let Some(verifier) = connector_auth.entra_verifier() {
        foundation = foundation.with_token_verifier(verifier);
    }
    let state = web::Data::new(AppState {
        pool: foundation.pool.clone(),
        graphs: graph::Graphs::new(&settings.microsoft, &settings.graph)?,
        connectors: settings.connectors.clone(),
    });
    let keys = web::Data::new(ApiKeys::new(settings.auth.function_keys.clone()));
    let key_positions = web::Data::new(context::FunctionKeys::new(&settings.auth.function_keys));
    let connector_auth = web::Data::new(connector_auth);
    foundation.serve(
        &settings.common,
        SPEC,
        move |cfg: &mut web::ServiceConfig| {
            cfg.app_data(state.clone())
                .app_data(keys.clone())
                .app_data(key_positions.clone())
                .app_data(connector_auth.clone());
            routes::configure(cfg);
        },
    )
}
