//! HTTP routes (mounted under `/api/v1`): the directory's resources behind the function key, the connector
//! paths behind the connectors' own authentication, and the Graph-backed paths. Handlers only parse, call one
//! use case and render; rules live in `input`, `directory`, `connectors` and `graph`, shapes in `views`.

mod assignments;
mod b2c;
mod entra;
mod graph;
mod groups;
mod grouptypes;
mod params;
mod permissions;
mod users;

use actix_web::middleware::from_fn;
use actix_web::web;
use service_kit::api_key::require_api_key;

use crate::connectors::auth::{require_connector_auth, require_entra_auth};

/// Base path of every contract route (the contract's server URL ends in `/api/v1`).
pub const BASE: &str = "/api/v1";

/// Every path of the service; the connector and Graph scopes are registered before the directory's so they
/// match first.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope(&format!("{BASE}/b2c"))
            .wrap(from_fn(require_connector_auth))
            .configure(b2c::configure)
            .configure(graph::configure_b2c),
    )
    .service(
        web::scope(&format!("{BASE}/entra"))
            .wrap(from_fn(require_entra_auth))
            .configure(entra::configure),
    )
    .service(
        web::scope(&format!("{BASE}/aad"))
            .wrap(from_fn(require_api_key))
            .configure(graph::configure_aad),
    )
    .service(
        web::scope(BASE)
            .wrap(from_fn(require_api_key))
            .configure(directory),
    );
}

/// The directory's resources.
fn directory(cfg: &mut web::ServiceConfig) {
    users::configure(cfg);
    assignments::configure(cfg);
    groups::configure(cfg);
    grouptypes::configure(cfg);
    permissions::configure(cfg);
}
