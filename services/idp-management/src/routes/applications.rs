//! `/admin/applications/{application}` (extension): registers an application (idempotent); `idp:admin` only.

use super::application;
use super::render::etag;
use crate::AppState;
use crate::auth::{self, ADMIN};
use crate::error::ApiError;
use crate::views::ApplicationV1;
use actix_web::http::header::ETAG;
use actix_web::{HttpRequest, HttpResponse, web};

/// 201 when new, 200 when known.
pub async fn register(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let caller = auth::authenticate(&req, &state).await?;
    let application = application(&req, "application-id")?;
    caller.require(ADMIN)?;
    let ctx = crate::context::caller(&caller, &req);
    let (app, created) =
        crate::applications::register(&state.pool, &ctx, &application, &caller.actor).await?;
    let mut response = if created {
        HttpResponse::Created()
    } else {
        HttpResponse::Ok()
    };
    Ok(response
        .insert_header((ETAG, etag(app.change_id)))
        .json(ApplicationV1::from(&app)))
}
