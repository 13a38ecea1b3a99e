//! `/provider-connections/{connection}/verification` and `/verification-runs/{run}`.

use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::ids::{ConnectionId, RunId};
use crate::verification;
use actix_web::{HttpRequest, HttpResponse, web};

pub(super) async fn start(
    req: HttpRequest,
    caller: Caller,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = ConnectionId::parse("connection", &path)?;
    Ok(HttpResponse::Accepted().json(
        verification::start(&state, &caller, &crate::context::member(&caller, &req), id).await?,
    ))
}

pub(super) async fn run(
    caller: Caller,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = RunId::parse("run", &path)?;
    Ok(HttpResponse::Ok().json(verification::get_run(&state, &caller, id).await?))
}
