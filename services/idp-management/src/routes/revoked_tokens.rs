//! `/admin/revoked-tokens` (extension): puts a token id on the revocation list; `idp:admin` only. Body
//! `{"jti": "...", "expiresAt": "<RFC 3339>"}` (see `input::revocation`).

use crate::AppState;
use crate::auth::{self, ADMIN};
use crate::error::ApiError;
use crate::input::media::{self, JSON};
use actix_web::{HttpRequest, HttpResponse, web};

pub async fn revoke(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let caller = auth::authenticate(&req, &state).await?;
    caller.require(ADMIN)?;
    media::content_type(&req, JSON)?;
    let body = media::read_body(&req, payload, state.max_body).await?;
    let revocation = crate::input::revocation(&media::object(&body)?)?;
    crate::revocation::revoke(&state.pool, &revocation, &caller.actor).await?;
    Ok(HttpResponse::NoContent().finish())
}
