//! HTTP routes, mounted under `/admin` (the contract's server URL). Handlers only parse, call a use case and
//! shape the response. Contract routes first, then the extensions (`x-extension: true` in the spec).

use crate::AppState;
use crate::auth::{Caller, Capability};
use crate::connections::{self, CONFIRM_HEADER};
use crate::consent::{self, CallbackQuery};
use crate::error::ApiError;
use crate::input::{CreateInput, CredentialInput, connection_type_body};
use crate::verification;
use actix_web::http::StatusCode;
use actix_web::http::header::CONTENT_TYPE;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use domain::{FieldError, Page};
use service_kit::observe::RequestId;

/// Base path of every route (the contract's server URL).
pub const BASE: &str = "/admin";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/tenants/{tenant}/provider-connections").route(web::post().to(create)),
    )
    .service(
        web::resource("/provider-connections/{connection}/admin-consent-link")
            .route(web::post().to(consent_link)),
    )
    .service(web::resource("/consent/callback").route(web::get().to(consent_callback)))
    .service(
        web::resource("/provider-connections/{connection}/verification")
            .route(web::post().to(start_verification)),
    )
    .service(
        web::resource("/provider-connections/{connection}/connection-type")
            .route(web::put().to(change_type)),
    )
    .service(
        web::resource("/provider-connections/{connection}/dedicated-credential")
            .route(web::put().to(put_credential))
            .route(web::delete().to(delete_credential)),
    )
    // Extensions.
    .service(
        web::resource("/provider-connections/{connection}").route(web::get().to(get_connection)),
    )
    .service(web::resource("/verification-runs/{run}").route(web::get().to(get_run)))
    .service(web::resource("/tenants/{tenant}/audit-records").route(web::get().to(audit_records)));
}

/// A positive integer id from the path.
fn id(field: &str, raw: &str) -> Result<i64, ApiError> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| FieldError::new(field, "must be a positive integer").into())
}

/// The body parsed by `parse`, if its declared media type is JSON (an absent `Content-Type` is taken as JSON).
/// The result goes to the use case, which authorizes first: an unauthorized caller learns nothing from
/// validation, and a rejected body is an audited decision like any other.
fn body<T>(
    req: &HttpRequest,
    body: &[u8],
    parse: impl FnOnce(&[u8]) -> Result<T, FieldError>,
) -> Result<T, FieldError> {
    parse(json(req, body)?)
}

fn json<'a>(req: &HttpRequest, body: &'a [u8]) -> Result<&'a [u8], FieldError> {
    let declared = req
        .headers()
        .get(CONTENT_TYPE)
        .map(|v| v.to_str().unwrap_or_default().to_ascii_lowercase());
    match declared {
        Some(media) if !(media.starts_with("application/json") || media.contains("+json")) => {
            Err(FieldError::new("Content-Type", "must be application/json"))
        }
        _ => Ok(body),
    }
}

fn confirmation(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get(CONFIRM_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

async fn create(
    req: HttpRequest,
    caller: Caller,
    path: web::Path<String>,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let tenant = connections::tenant_param(&path)?;
    let input = self::body(&req, &body, CreateInput::parse);
    let created = connections::create(&state, &caller, &tenant, input).await?;
    Ok(HttpResponse::Created()
        .insert_header((
            "Location",
            format!("{BASE}/provider-connections/{}", created.id),
        ))
        .json(created))
}

async fn consent_link(
    caller: Caller,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = id("connection", &path)?;
    Ok(HttpResponse::Ok().json(consent::link(&state, &caller, id).await?))
}

async fn consent_callback(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let query = CallbackQuery::parse(req.query_string());
    let request_id = req.extensions().get::<RequestId>().map(|id| id.0.clone());
    let page = consent::callback(&state, query, request_id.as_deref()).await?;
    let status = StatusCode::from_u16(page.status).unwrap_or(StatusCode::OK);
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header(("Cache-Control", "no-store"))
        .insert_header(("Content-Security-Policy", "default-src 'none'"))
        .insert_header(("Referrer-Policy", "no-referrer"))
        .body(page.html()))
}

async fn start_verification(
    caller: Caller,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = id("connection", &path)?;
    Ok(HttpResponse::Accepted().json(verification::start(&state, &caller, id).await?))
}

async fn change_type(
    req: HttpRequest,
    caller: Caller,
    path: web::Path<String>,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = id("connection", &path)?;
    let target = self::body(&req, &body, connection_type_body);
    let shown =
        connections::change_type(&state, &caller, id, target, confirmation(&req).as_deref())
            .await?;
    Ok(HttpResponse::Ok().json(shown))
}

async fn put_credential(
    req: HttpRequest,
    caller: Caller,
    path: web::Path<String>,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = id("connection", &path)?;
    let input = self::body(&req, &body, CredentialInput::parse);
    Ok(HttpResponse::Ok().json(connections::put_credential(&state, &caller, id, input).await?))
}

async fn delete_credential(
    req: HttpRequest,
    caller: Caller,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = id("connection", &path)?;
    connections::delete_credential(&state, &caller, id, confirmation(&req).as_deref()).await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn get_connection(
    caller: Caller,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = id("connection", &path)?;
    Ok(HttpResponse::Ok().json(connections::get(&state, &caller, id).await?))
}

async fn get_run(
    caller: Caller,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = id("run", &path)?;
    Ok(HttpResponse::Ok().json(verification::get_run(&state, &caller, id).await?))
}

async fn audit_records(
    req: HttpRequest,
    caller: Caller,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let tenant = connections::tenant_param(&path)?;
    let mut limit = None;
    let mut offset = None;
    for (name, value) in url::form_urlencoded::parse(req.query_string().as_bytes()) {
        match name.as_ref() {
            "limit" if limit.is_none() => limit = Some(value.into_owned()),
            "offset" if offset.is_none() => offset = Some(value.into_owned()),
            _ => {}
        }
    }
    let page = Page::parse(limit.as_deref(), offset.as_deref())?;
    if !caller.reaches(&caller.workspace_id, &tenant) {
        return Err(ApiError::NotFound(format!(
            "tenant {tenant} is not accessible"
        )));
    }
    if !caller.has(Capability::ViewAudit) {
        return Err(ApiError::Forbidden(format!(
            "reading the audit trail needs the {} capability",
            Capability::ViewAudit.as_str()
        )));
    }
    let mut conn = connections::conn(&state).await?;
    let records = crate::audit::list(&mut conn, &caller.workspace_id, &tenant, page).await?;
    Ok(HttpResponse::Ok().json(records))
}
