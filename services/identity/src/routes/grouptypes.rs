//! `/grouptypes`: group types, and the groups of a type (optionally narrowed to a local id).

use super::{BASE, params};
use crate::AppState;
use crate::context::Ctx;
use crate::directory::{groups, grouptypes};
use crate::error::ApiError;
use crate::input::NameInput;
use crate::views::created;
use actix_web::{HttpRequest, HttpResponse, web};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/grouptypes")
            .route(web::get().to(list))
            .route(web::post().to(create)),
    )
    .service(
        web::resource("/grouptypes/{grouptypeid}")
            .route(web::get().to(get))
            .route(web::put().to(update))
            .route(web::delete().to(delete)),
    )
    .service(web::resource("/grouptypes/{grouptypeid}/groups").route(web::get().to(groups_of_type)))
    .service(
        web::resource("/grouptypes/{grouptypeid}/groups/{localid}")
            .route(web::get().to(groups_of_type_and_localid)),
    );
}

async fn list(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let paging = params::GROUPTYPES.paging(&req)?;
    let rows = grouptypes::list(&state.pool, paging).await?;
    Ok(params::GROUPTYPES.respond(&req, &paging, &rows, |row| row.id))
}

async fn create(
    ctx: Ctx,
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let input = NameInput::for_create(params::json(&req, &body)?)?;
    let row = grouptypes::create(&state.pool, &ctx, input).await?;
    Ok(created(format!("{BASE}/grouptypes/{}", row.id), &row))
}

async fn get(
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = params::int32("grouptypeid", &path)?;
    Ok(HttpResponse::Ok().json(grouptypes::get(&state.pool, id).await?))
}

async fn update(
    ctx: Ctx,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = params::int32("grouptypeid", &path)?;
    let input = NameInput::for_update(params::json(&req, &body)?, &id)?;
    Ok(HttpResponse::Ok().json(grouptypes::update(&state.pool, &ctx, id, input).await?))
}

async fn delete(
    ctx: Ctx,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = params::int32("grouptypeid", &path)?;
    grouptypes::delete(&state.pool, &ctx, id).await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn groups_of_type(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let typeid = params::int32("grouptypeid", &path)?;
    let paging = params::GROUPS.paging(&req)?;
    let rows = groups::by_type(&state.pool, typeid, None, paging).await?;
    Ok(params::GROUPS.respond(&req, &paging, &rows, |row| row.group.id))
}

async fn groups_of_type_and_localid(
    req: HttpRequest,
    path: web::Path<(String, String)>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (typeid, localid) = path.into_inner();
    let typeid = params::int32("grouptypeid", &typeid)?;
    params::text("localid", &localid)?;
    let paging = params::GROUPS.paging(&req)?;
    let rows = groups::by_type(&state.pool, typeid, Some(&localid), paging).await?;
    Ok(params::GROUPS.respond(&req, &paging, &rows, |row| row.group.id))
}
