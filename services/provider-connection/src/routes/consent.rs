//! `/provider-connections/{connection}/admin-consent-link` and `/consent/callback`.

use crate::AppState;
use crate::auth::Caller;
use crate::consent;
use crate::error::ApiError;
use crate::ids::ConnectionId;
use crate::input::CallbackQuery;
use actix_web::http::StatusCode;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use service_kit::observe::RequestId;

pub(super) async fn link(
    req: HttpRequest,
    caller: Caller,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = ConnectionId::parse("connection", &path)?;
    Ok(HttpResponse::Ok()
        .json(consent::link(&state, &caller, &crate::context::member(&caller, &req), id).await?))
}

/// Reached by the administrator's browser: the answer is an HTML page that is never cached, loads nothing and
/// leaks no referrer.
pub(super) async fn callback(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let query = CallbackQuery::read(&req);
    let request_id = req.extensions().get::<RequestId>().map(|id| id.0.clone());
    let page = consent::callback(
        &state,
        &crate::context::consent_callback(&req),
        query,
        request_id.as_deref(),
    )
    .await?;
    let status = StatusCode::from_u16(page.status).unwrap_or(StatusCode::OK);
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header(("Cache-Control", "no-store"))
        .insert_header(("Content-Security-Policy", "default-src 'none'"))
        .insert_header(("Referrer-Policy", "no-referrer"))
        .body(page.html()))
}
