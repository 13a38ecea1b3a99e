//! `/tenants/{tenant}/provider-connections`, `/provider-connections/{connection}` and its `connection-type`.

use super::{BASE, body, confirmation};
use crate::AppState;
use crate::auth::Caller;
use crate::connections;
use crate::error::ApiError;
use crate::ids::ConnectionId;
use crate::input::{self, CreateInput, connection_type_body};
use actix_web::{HttpRequest, HttpResponse, web};

pub(super) async fn create(
    req: HttpRequest,
    caller: Caller,
    path: web::Path<String>,
    bytes: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let tenant = input::tenant(&path)?;
    let input = body(&req, &bytes, CreateInput::parse);
    let created = connections::create(
        &state,
        &caller,
        &crate::context::member(&caller, &req),
        &tenant,
        input,
    )
    .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            "Location",
            format!("{BASE}/provider-connections/{}", created.id),
        ))
        .json(created))
}

pub(super) async fn get(
    caller: Caller,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = ConnectionId::parse("connection", &path)?;
    Ok(HttpResponse::Ok().json(connections::get(&state, &caller, id).await?))
}

pub(super) async fn change_type(
    req: HttpRequest,
    caller: Caller,
    path: web::Path<String>,
    bytes: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = ConnectionId::parse("connection", &path)?;
    let target = body(&req, &bytes, connection_type_body);
    let ctx = crate::context::member(&caller, &req);
    let shown =
        connections::change_type(&state, &caller, &ctx, id, target, confirmation(&req)).await?;
    Ok(HttpResponse::Ok().json(shown))
}
