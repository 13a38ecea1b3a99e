//! `/tenants/{tenant}/audit-records`.

use crate::AppState;
use crate::audit;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::input;
use actix_web::{HttpRequest, HttpResponse, web};

pub(super) async fn records(
    req: HttpRequest,
    caller: Caller,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let tenant = input::tenant(&path)?;
    let page = service_kit::request::page(&req)?;
    Ok(HttpResponse::Ok().json(audit::list(&state, &caller, &tenant, page).await?))
}
