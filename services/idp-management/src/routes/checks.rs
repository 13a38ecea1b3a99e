//! `/applications/{application}/identity-provider-checks` (extension): a dry-run check of a configuration
//! (`ApplicationIdentityProviderInWithoutKeyV1`); `idp:write` on the application. Nothing is stored.

use super::caller_for;
use crate::AppState;
use crate::auth::WRITE;
use crate::error::ApiError;
use crate::input::media::{self, JSON};
use actix_web::{HttpRequest, HttpResponse, web};

/// Schema violations are 400 as for a PUT; a configuration that cannot work, or whose issuer does not answer as
/// it must, is a 200 report with failed checks.
pub async fn check(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (_, _application) = caller_for(&req, &state, WRITE).await?;
    media::content_type(&req, JSON)?;
    media::negotiate(&req, JSON)?;
    let body = media::read_body(&req, payload, state.max_body).await?;
    let report =
        crate::check::configuration(&state.checker, state.policy, media::object(&body)?).await?;
    Ok(HttpResponse::Ok().json(report))
}
