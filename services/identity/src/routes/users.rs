//! `/users`: the directory's users (read, update, delete; they are created by the connectors and the AAD look-up).

use super::params;
use crate::AppState;
use crate::context::Ctx;
use crate::directory::{groups, users};
use crate::error::ApiError;
use crate::input::UserInput;
use actix_web::{HttpRequest, HttpResponse, web};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/users").route(web::get().to(list)))
        .service(
            web::resource("/users/{useroid}")
                .route(web::get().to(get))
                .route(web::put().to(update))
                .route(web::delete().to(delete)),
        )
        .service(web::resource("/users/{useroid}/groups").route(web::get().to(groups_of_user)));
}

async fn list(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let paging = params::USERS.paging(&req)?;
    let rows = users::list(&state.pool, paging).await?;
    Ok(params::USERS.respond(&req, &paging, &rows, |user| user.oid))
}

async fn get(
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let oid = params::uuid("useroid", &path)?;
    Ok(HttpResponse::Ok().json(users::get(&state.pool, oid).await?))
}

async fn update(
    ctx: Ctx,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let oid = params::uuid("useroid", &path)?;
    let input = UserInput::for_update(params::json(&req, &body)?, &oid)?;
    Ok(HttpResponse::Ok().json(users::update(&state.pool, &ctx, oid, input).await?))
}

async fn delete(
    ctx: Ctx,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let oid = params::uuid("useroid", &path)?;
    users::delete(&state.pool, &ctx, oid).await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn groups_of_user(
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let oid = params::uuid("useroid", &path)?;
    Ok(HttpResponse::Ok().json(groups::of_user(&state.pool, oid).await?))
}
