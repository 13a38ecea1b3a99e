//! HTTP routes, mounted under [`BASE`] (the contract's server URL). Handlers only parse, call one use case and
//! render. Contract routes first, then the extensions (`x-extension: true` in the spec).

mod audit;
mod connections;
mod consent;
mod credentials;
mod verification;

use crate::authz::CONFIRM_HEADER;
use actix_web::{HttpRequest, web};
use domain::FieldError;

/// Base path of every route (the contract's server URL).
pub const BASE: &str = "/admin";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/tenants/{tenant}/provider-connections")
            .route(web::post().to(connections::create)),
    )
    .service(
        web::resource("/provider-connections/{connection}/admin-consent-link")
            .route(web::post().to(consent::link)),
    )
    .service(web::resource("/consent/callback").route(web::get().to(consent::callback)))
    .service(
        web::resource("/provider-connections/{connection}/verification")
            .route(web::post().to(verification::start)),
    )
    .service(
        web::resource("/provider-connections/{connection}/connection-type")
            .route(web::put().to(connections::change_type)),
    )
    .service(
        web::resource("/provider-connections/{connection}/dedicated-credential")
            .route(web::put().to(credentials::put))
            .route(web::delete().to(credentials::delete)),
    )
    // Extensions.
    .service(
        web::resource("/provider-connections/{connection}").route(web::get().to(connections::get)),
    )
    .service(web::resource("/verification-runs/{run}").route(web::get().to(verification::run)))
    .service(web::resource("/tenants/{tenant}/audit-records").route(web::get().to(audit::records)));
}

/// The body parsed by `parse`, if its declared media type is JSON (an absent `Content-Type` is taken as JSON).
/// The result goes to the use case, which authorizes first: an unauthorized caller learns nothing from
/// validation, and a rejected body is an audited decision like any other.
fn body<T>(
    req: &HttpRequest,
    body: &[u8],
    parse: impl FnOnce(&[u8]) -> Result<T, FieldError>,
) -> Result<T, FieldError> {
    service_kit::request::require_json(req)?;
    parse(body)
}

/// The confirmation header of a destructive change, if sent.
fn confirmation(req: &HttpRequest) -> Option<&str> {
    req.headers()
        .get(CONFIRM_HEADER)
        .and_then(|v| v.to_str().ok())
}
