//! `/permissions`: the permissions that can be granted.

use super::{BASE, params};
use crate::AppState;
use crate::context::Ctx;
use crate::directory::permissions;
use crate::error::ApiError;
use crate::input::NameInput;
use crate::views::created;
use actix_web::{HttpRequest, HttpResponse, web};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/permissions")
            .route(web::get().to(list))
            .route(web::post().to(create)),
    )
    .service(
        web::resource("/permissions/{permissionid}")
            .route(web::get().to(get))
            .route(web::put().to(update))
            .route(web::delete().to(delete)),
    );
}

async fn list(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let paging = params::PERMISSIONS.paging(&req)?;
    let rows = permissions::list(&state.pool, paging).await?;
    Ok(params::PERMISSIONS.respond(&req, &paging, &rows, |row| row.id))
}

async fn create(
    ctx: Ctx,
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let input = NameInput::for_create(params::json(&req, &body)?)?;
    let row = permissions::create(&state.pool, &ctx, input).await?;
    Ok(created(format!("{BASE}/permissions/{}", row.id), &row))
}

async fn get(
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = params::uuid("permissionid", &path)?;
    Ok(HttpResponse::Ok().json(permissions::get(&state.pool, id).await?))
}

async fn update(
    ctx: Ctx,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = params::uuid("permissionid", &path)?;
    let input = NameInput::for_update(params::json(&req, &body)?, &id)?;
    Ok(HttpResponse::Ok().json(permissions::update(&state.pool, &ctx, id, input).await?))
}

async fn delete(
    ctx: Ctx,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = params::uuid("permissionid", &path)?;
    permissions::delete(&state.pool, &ctx, id).await?;
    Ok(HttpResponse::NoContent().finish())
}
