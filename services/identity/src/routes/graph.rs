//! The routes backed by Microsoft Graph: `/b2c/userdetails/{useroid}`, `/aad/userdetails/{useroid}` (the user
//! as Graph knows it, in the contract's PascalCase shape) and `POST /aad/getoidbyemail` (the local oid, creating
//! the user from the Entra directory when only Graph knows the address).

use actix_web::{HttpRequest, HttpResponse, web};

use super::{BASE, params};
use crate::AppState;
use crate::context::Ctx;
use crate::error::ApiError;
use crate::graph::lookup::{self, OidByEmail};
use crate::settings::Tenant;
use crate::views::{self, graph::user_details_body};

pub fn configure_b2c(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/userdetails/{useroid}").route(web::get().to(b2c_user_details)));
}

pub fn configure_aad(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/userdetails/{useroid}").route(web::get().to(aad_user_details)))
        .service(web::resource("/getoidbyemail").route(web::post().to(get_oid_by_email)));
}

async fn b2c_user_details(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    user_details(&state, Tenant::B2c, &path).await
}

async fn aad_user_details(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    user_details(&state, Tenant::Aad, &path).await
}

async fn user_details(
    state: &AppState,
    tenant: Tenant,
    raw_oid: &str,
) -> Result<HttpResponse, ApiError> {
    let oid = params::uuid("useroid", raw_oid)?;
    let user = lookup::user_details(&state.graphs, tenant, oid).await?;
    Ok(HttpResponse::Ok().json(user_details_body(&user)))
}

/// `POST /aad/getoidbyemail?email=`: 200 with the local oid; else 201 after creating the user Graph knows;
/// else 404. The email is read from the query (first occurrence), as the contract says; the oid is `text/plain`
/// or, for a caller preferring `application/json`, a JSON string (extension).
async fn get_oid_by_email(
    req: HttpRequest,
    ctx: Ctx,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let email = params::query_email(&req)?;
    let media = params::id_media(&req);
    Ok(
        match lookup::oid_by_email(&state.pool, &state.graphs, &ctx, email).await? {
            OidByEmail::Registered(oid) => views::bare_id(HttpResponse::Ok(), media, oid),
            OidByEmail::Created(oid) => views::bare_id(
                HttpResponse::Created()
                    .insert_header(("Location", format!("{BASE}/users/{oid}")))
                    .take(),
                media,
                oid,
            ),
        },
    )
}
