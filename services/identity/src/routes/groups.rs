//! `/groups` and `/groupsbylocal`: groups, by id, name or local id, and their members.

use super::{BASE, params};
use crate::AppState;
use crate::context::Ctx;
use crate::directory::{groups, users};
use crate::error::ApiError;
use crate::input::GroupInput;
use crate::views::{self, created};
use actix_web::{HttpRequest, HttpResponse, web};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/groups")
            .route(web::get().to(list))
            .route(web::post().to(create)),
    )
    // Registered before `/groups/{groupid}` so a name is never parsed as an id.
    .service(web::resource("/groups/name/{name}").route(web::get().to(id_by_name)))
    .service(
        web::resource("/groups/{groupid}")
            .route(web::get().to(get))
            .route(web::put().to(update))
            .route(web::delete().to(delete)),
    )
    .service(web::resource("/groups/{groupid}/users").route(web::get().to(members)))
    .service(web::resource("/groupsbylocal/{localid}").route(web::get().to(by_localid)));
}

async fn list(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let paging = params::GROUPS.paging(&req)?;
    let rows = groups::list(&state.pool, paging).await?;
    Ok(params::GROUPS.respond(&req, &paging, &rows, |row| row.group.id))
}

async fn create(
    ctx: Ctx,
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let input = GroupInput::for_create(params::json(&req, &body)?)?;
    let row = groups::create(&state.pool, &ctx, input).await?;
    Ok(created(format!("{BASE}/groups/{}", row.group.id), &row))
}

async fn get(
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = params::uuid("groupid", &path)?;
    Ok(HttpResponse::Ok().json(groups::get(&state.pool, id).await?))
}

async fn update(
    ctx: Ctx,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = params::uuid("groupid", &path)?;
    let input = GroupInput::for_update(params::json(&req, &body)?, &id)?;
    Ok(HttpResponse::Ok().json(groups::update(&state.pool, &ctx, id, input).await?))
}

async fn delete(
    ctx: Ctx,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = params::uuid("groupid", &path)?;
    groups::delete(&state.pool, &ctx, id).await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn members(
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = params::uuid("groupid", &path)?;
    Ok(HttpResponse::Ok().json(users::in_group(&state.pool, id).await?))
}

/// Answers the bare uuid as `text/plain`, as the contract's example shows, or as a JSON string when the caller
/// prefers `application/json` (extension).
async fn id_by_name(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    params::text("name", &path)?;
    let media = params::id_media(&req);
    let id = groups::id_by_name(&state.pool, &path).await?;
    Ok(views::bare_id(HttpResponse::Ok(), media, id))
}

async fn by_localid(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    params::text("localid", &path)?;
    let paging = params::GROUPS.paging(&req)?;
    let rows = groups::by_localid(&state.pool, &path, paging).await?;
    Ok(params::GROUPS.respond(&req, &paging, &rows, |row| row.group.id))
}
