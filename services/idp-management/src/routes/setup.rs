//! Discovery: `/applications/{application}/public-identity-provider-setup` (no token) and
//! `/identity-provider-setup` (the caller's own application), JSON or NDJSON.

use super::application;
use super::render::one;
use crate::AppState;
use crate::auth;
use crate::error::ApiError;
use crate::input::media::{self, BOTH};
use actix_web::{HttpRequest, HttpResponse, web};

/// `getPublicIdentityProviderSetup`: no token; ENABLED + PUBLIC providers only.
pub async fn public(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let application = application(&req, "application-expression")?;
    let media = media::negotiate(&req, BOTH)?;
    let setup = crate::setup::public(&state.pool, &application).await?;
    one(media, setup.change_id, &setup)
}

/// `getIdentityProviderSetup`: the caller's own application, ENABLED providers visible to APPLICATION or PUBLIC.
/// Any valid token of the application may read it.
pub async fn own(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let caller = auth::authenticate(&req, &state).await?;
    let media = media::negotiate(&req, BOTH)?;
    let setup = crate::setup::own(&state.pool, &caller).await?;
    one(media, setup.change_id, &setup)
}
