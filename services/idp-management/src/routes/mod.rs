//! HTTP routes: the contract's paths under `/idp/v1`, plus the extensions (configuration checks, the
//! application registry, token revocation), one file per resource. Handlers authenticate and authorize
//! (`auth`), parse (`input`), call one use case and render (`render`).

mod applications;
mod checks;
mod providers;
mod render;
mod revoked_tokens;
mod setup;

use crate::AppState;
use crate::auth::{self, Caller};
use crate::error::ApiError;
use crate::ids::ApplicationId;
use actix_web::{HttpRequest, web};

/// Base path of every contract route.
pub const BASE: &str = "/idp/v1";

/// Mounts every route (under [`BASE`]).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/applications/{application}/identity-providers")
            .route(web::get().to(providers::list))
            .route(web::put().to(providers::replace_all))
            .route(web::delete().to(providers::delete_all)),
    )
    .service(
        web::resource("/applications/{application}/identity-providers/{key}")
            .route(web::get().to(providers::get_one))
            .route(web::put().to(providers::upsert_one))
            .route(web::delete().to(providers::delete_one)),
    )
    .service(
        web::resource("/applications/{application}/public-identity-provider-setup")
            .route(web::get().to(setup::public)),
    )
    .service(
        web::resource("/applications/{application}/identity-provider-checks")
            .route(web::post().to(checks::check)),
    )
    .service(web::resource("/identity-provider-setup").route(web::get().to(setup::own)))
    .service(
        web::resource("/admin/applications/{application}")
            .route(web::put().to(applications::register)),
    )
    .service(web::resource("/admin/revoked-tokens").route(web::post().to(revoked_tokens::revoke)));
}

/// A path segment as sent (the router's segment names have no hyphens, which it cannot take; the contract's
/// parameter names are given where they are parsed).
fn segment<'r>(req: &'r HttpRequest, name: &str) -> &'r str {
    req.match_info().get(name).unwrap_or_default()
}

/// The application of the path, reported as parameter `name`.
fn application(req: &HttpRequest, name: &str) -> Result<ApplicationId, ApiError> {
    crate::input::application_id(name, segment(req, "application"))
}

/// Authenticates, validates the application in the path and authorizes `permission` on it.
async fn caller_for(
    req: &HttpRequest,
    state: &AppState,
    permission: &'static str,
) -> Result<(Caller, ApplicationId), ApiError> {
    let caller = auth::authenticate(req, state).await?;
    let application = application(req, "application-expression")?;
    caller.authorize(&application, permission)?;
    Ok((caller, application))
}
