//! `/tenants/{tenant}/audit-records`.

use crate::AppState;
use crate::audit;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::input;
use actix_web::{HttpRequest, HttpResponse, web};
use service_kit::request::Keyset;

/// The audit trail's keyset paging (extension `after`, `Link: rel="next"`): newest first, by record id.
pub const AUDIT: Keyset<i64> = Keyset::new(b'a');

pub(super) async fn records(
    req: HttpRequest,
    caller: Caller,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let tenant = input::tenant(&path)?;
    let paging = AUDIT.paging(&req)?;
    let rows = audit::list(&state, &caller, &tenant, paging).await?;
    Ok(AUDIT.respond(&req, &paging, &rows, |row| row.id))
}
