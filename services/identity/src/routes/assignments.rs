//! `/users/{useroid}/groups/{groupid}/permissions`: the permissions a user holds in a group; grant and revoke.

use super::{BASE, params};
use crate::AppState;
use crate::context::Ctx;
use crate::directory::assignments::{self, Granted, Key};
use crate::directory::permissions;
use crate::error::ApiError;
use actix_web::{HttpResponse, web};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/users/{useroid}/groups/{groupid}/permissions").route(web::get().to(held)),
    )
    .service(
        web::resource("/users/{useroid}/groups/{groupid}/permissions/{permissionid}")
            .route(web::get().to(get))
            .route(web::post().to(grant))
            .route(web::delete().to(revoke)),
    );
}

fn key(path: web::Path<(String, String, String)>) -> Result<Key, ApiError> {
    let (user, group, permission) = path.into_inner();
    Ok(Key {
        userid: params::uuid("useroid", &user)?,
        groupid: params::uuid("groupid", &group)?,
        permissionid: params::uuid("permissionid", &permission)?,
    })
}

async fn held(
    path: web::Path<(String, String)>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (user, group) = path.into_inner();
    let userid = params::uuid("useroid", &user)?;
    let groupid = params::uuid("groupid", &group)?;
    Ok(HttpResponse::Ok().json(permissions::held(&state.pool, userid, groupid).await?))
}

async fn get(
    path: web::Path<(String, String, String)>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(assignments::get(&state.pool, key(path)?).await?))
}

/// 201 with `Location` when the grant is new; 200 with the existing assignment otherwise.
async fn grant(
    ctx: Ctx,
    path: web::Path<(String, String, String)>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let key = key(path)?;
    Ok(match assignments::grant(&state.pool, &ctx, key).await? {
        Granted::Created(row) => HttpResponse::Created()
            .insert_header((
                "Location",
                format!(
                    "{BASE}/users/{}/groups/{}/permissions/{}",
                    row.userid, row.groupid, row.permissionid
                ),
            ))
            .json(row),
        Granted::Existing(row) => HttpResponse::Ok().json(row),
    })
}

async fn revoke(
    ctx: Ctx,
    path: web::Path<(String, String, String)>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    assignments::revoke(&state.pool, &ctx, key(path)?).await?;
    Ok(HttpResponse::NoContent().finish())
}
