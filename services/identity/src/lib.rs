//! The identity service: users, groups, group types, permissions and their assignments, with every change
//! published through the transactional outbox.
//!
//! [`build`] wires the real dependencies and binds the listener; `main` and the integration tests start the
//! service the same way.

pub mod connectors;
pub mod db;
pub mod directory;
pub mod error;
pub mod events;
pub mod graph;
pub mod input;
pub mod routes;
pub mod settings;

use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use persistence::Pool;
use service_kit::api_key::{ApiKeys, require_api_key};
use service_kit::probes::{self, Probes, Spec};
use service_kit::service::{Foundation, Service};
use settings::Settings;
use std::sync::Arc;

/// The contract this service serves at `/openapi.yaml`.
pub const SPEC: &str = contracts::IDENTITY;

/// What handlers share.
pub struct AppState {
    pub pool: Pool,
}

/// Builds the identity service: shared foundation, then its routes behind the function key.
pub async fn build(settings: Settings) -> anyhow::Result<Service> {
    let foundation = Foundation::build(
        settings::SERVICE,
        &settings.http,
        &settings.database,
        &settings.bus,
        db::MIGRATIONS,
    )
    .await?;
    let state = web::Data::new(AppState {
        pool: foundation.pool.clone(),
    });
    let keys = web::Data::new(ApiKeys::new(settings.auth.function_keys.clone()));
    let graphs = web::Data::new(graph::Graphs::new(&settings)?);
    let connector_settings = web::Data::new(settings.connectors.clone());
    let connector_auth = web::Data::new(connectors::auth::ConnectorAuth::new(
        &settings.auth.function_keys,
        &settings.connectors,
    ));
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
            .app_data(keys.clone())
            .app_data(web::PayloadConfig::new(max_body))
            .configure(|cfg| probes::configure(cfg, probes.clone()))
            // The connector and Graph paths, registered before the directory's scope so they match first.
            .app_data(graphs.clone())
            .app_data(connector_settings.clone())
            .app_data(connector_auth.clone())
            .service(
                web::scope(&format!("{}/b2c", routes::BASE))
                    .wrap(from_fn(connectors::auth::require_connector_auth))
                    .configure(connectors::b2c::configure)
                    .configure(graph::configure_b2c),
            )
            .service(
                web::scope(&format!("{}/entra", routes::BASE))
                    .wrap(from_fn(connectors::auth::require_connector_auth))
                    .configure(connectors::entra::configure),
            )
            .service(
                web::scope(&format!("{}/aad", routes::BASE))
                    .wrap(from_fn(require_api_key))
                    .configure(graph::configure_aad),
            )
            .service(
                web::scope(routes::BASE)
                    .wrap(from_fn(require_api_key))
                    .configure(routes::configure),
            )
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
