//! `/provider-connections/{connection}/dedicated-credential`.

use super::{body, confirmation};
use crate::AppState;
use crate::auth::Caller;
use crate::connections;
use crate::error::ApiError;
use crate::ids::ConnectionId;
use crate::input::CredentialInput;
use actix_web::{HttpRequest, HttpResponse, web};

pub(super) async fn put(
    req: HttpRequest,
    caller: Caller,
    path: web::Path<String>,
    bytes: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = ConnectionId::parse("connection", &path)?;
    let input = body(&req, &bytes, CredentialInput::parse);
    Ok(HttpResponse::Ok().json(
        connections::put_credential(
            &state,
            &caller,
            &crate::context::member(&caller, &req),
            id,
            input,
        )
        .await?,
    ))
}

pub(super) async fn delete(
    req: HttpRequest,
    caller: Caller,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = ConnectionId::parse("connection", &path)?;
    connections::delete_credential(
        &state,
        &caller,
        &crate::context::member(&caller, &req),
        id,
        confirmation(&req),
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
