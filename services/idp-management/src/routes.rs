//! HTTP routes (the contract's paths under `/idp/v1`, plus the admin extensions). Handlers authenticate,
//! parse and authorize, call a use case and shape the response.

use crate::AppState;
use crate::auth::{self, ADMIN, Caller, READ, WRITE};
use crate::db::models::Provider;
use crate::db::schema::{applications, identity_providers as ip};
use crate::error::{ApiError, AuthFailure, Detail};
use crate::media::{self, BOTH, JSON, Media};
use crate::store::{self, Stamp};
use crate::views::{ProviderV1, SetupV1};
use actix_web::http::header::{CONTENT_TYPE, ETAG};
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use futures_util::StreamExt;
use serde::Serialize;
use serde_json::Value;

/// Base path of every contract route.
pub const BASE: &str = "/idp/v1";

/// Mounts every route (under [`BASE`]).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/applications/{application}/identity-providers")
            .route(web::get().to(list))
            .route(web::put().to(replace_all))
            .route(web::delete().to(delete_all)),
    )
    .service(
        web::resource("/applications/{application}/identity-providers/{key}")
            .route(web::get().to(get_one))
            .route(web::put().to(upsert_one))
            .route(web::delete().to(delete_one)),
    )
    .service(
        web::resource("/applications/{application}/public-identity-provider-setup")
            .route(web::get().to(public_setup)),
    )
    .service(
        web::resource("/applications/{application}/identity-provider-checks")
            .route(web::post().to(check_configuration)),
    )
    .service(web::resource("/identity-provider-setup").route(web::get().to(own_setup)))
    .service(web::resource("/admin/applications/{application}").route(web::put().to(register)))
    .service(web::resource("/admin/revoked-tokens").route(web::post().to(revoke)));
}

/// A path parameter that must match the contract's key pattern; `name` is the contract's parameter name
/// (the route segment is named without hyphens, which the router cannot take).
fn key_param(req: &HttpRequest, name: &str) -> Result<String, ApiError> {
    let segment = match name {
        "identity-provider-key" => "key",
        _ => "application",
    };
    let raw = req.match_info().get(segment).unwrap_or_default();
    if crate::input::is_key(raw) {
        Ok(raw.to_owned())
    } else {
        Err(ApiError::malformed(
            name,
            Some(raw.chars().take(128).collect()),
            "must match ^[a-zA-Z0-9-_.]{1,64}$",
        ))
    }
}

/// Authenticates, validates the application in the path and authorizes `permission` on it.
async fn caller_for(
    req: &HttpRequest,
    state: &AppState,
    permission: &'static str,
) -> Result<(Caller, String), ApiError> {
    let caller = auth::authenticate(req, state).await?;
    let application = key_param(req, "application-expression")?;
    caller.authorize(&application, permission)?;
    Ok((caller, application))
}

fn encode(value: &impl Serialize) -> Result<Vec<u8>, ApiError> {
    serde_json::to_vec(value).map_err(|e| ApiError::Internal(e.to_string()))
}

/// One representation, as JSON or as one NDJSON line.
fn one(media: Media, change_id: i64, value: &impl Serialize) -> Result<HttpResponse, ApiError> {
    let mut body = encode(value)?;
    if media == Media::Ndjson {
        body.push(b'\n');
    }
    Ok(HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, media.mime()))
        .insert_header((ETAG, media::etag(change_id)))
        .body(body))
}

/// A list already in memory, as a JSON array or NDJSON lines.
fn many(media: Media, change_id: i64, rows: &[Provider]) -> Result<HttpResponse, ApiError> {
    let views: Vec<ProviderV1> = rows.iter().map(ProviderV1::from).collect();
    let body = match media {
        Media::Json => encode(&views)?,
        Media::Ndjson => {
            let mut out = Vec::new();
            for v in &views {
                out.extend(encode(v)?);
                out.push(b'\n');
            }
            out
        }
    };
    Ok(HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, media.mime()))
        .insert_header((ETAG, media::etag(change_id)))
        .body(body))
}

type Row = (i64, Option<Provider>);

/// `getApplicationIdentityProviders`: streamed as it is read (one statement; rows go out as they arrive).
async fn list(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let (_, application) = caller_for(&req, &state, READ).await?;
    let media = media::negotiate(&req, BOTH)?;
    let mut conn = store::conn(&state.pool).await?;
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Result<Row, ApiError>>(64);
    let app = application.clone();
    tokio::spawn(async move {
        let query = applications::table
            .left_join(ip::table.on(ip::application_id.eq(applications::application_id)))
            .filter(applications::application_id.eq(&app))
            .order(ip::key)
            .select((applications::change_id, Option::<Provider>::as_select()));
        match query.load_stream::<Row>(&mut conn).await {
            Err(err) => {
                let _ = tx.send(Err(err.into())).await;
            }
            Ok(stream) => {
                let mut stream = std::pin::pin!(stream);
                while let Some(item) = stream.next().await {
                    if tx.send(item.map_err(ApiError::from)).await.is_err() {
                        break;
                    }
                }
            }
        }
    });
    let (change_id, first) = match rx.recv().await {
        None => return Err(ApiError::ApplicationNotFound(application)),
        Some(item) => item?,
    };
    struct State {
        rx: tokio::sync::mpsc::Receiver<Result<Row, ApiError>>,
        pending: Option<Provider>,
        media: Media,
        sent: usize,
        done: bool,
    }
    let start = State {
        rx,
        pending: first,
        media,
        sent: 0,
        done: false,
    };
    let body = futures_util::stream::unfold(start, |mut st| async move {
        if st.done {
            return None;
        }
        let next = match st.pending.take() {
            Some(row) => Some(Ok(row)),
            None => st.rx.recv().await.map(|item| {
                item.map(|(_, row)| row).and_then(|row| {
                    row.ok_or_else(|| ApiError::Internal("unexpected empty row".to_owned()))
                })
            }),
        };
        match next {
            Some(Ok(row)) => {
                let mut chunk = Vec::new();
                if st.media == Media::Json {
                    chunk.push(if st.sent == 0 { b'[' } else { b',' });
                }
                if let Err(err) = serde_json::to_writer(&mut chunk, &ProviderV1::from(&row)) {
                    st.done = true;
                    return Some((Err(std::io::Error::other(err)), st));
                }
                if st.media == Media::Ndjson {
                    chunk.push(b'\n');
                }
                st.sent += 1;
                Some((Ok(Bytes::from(chunk)), st))
            }
            Some(Err(err)) => {
                tracing::error!(error = %err, "list stream failed");
                st.done = true;
                Some((Err(std::io::Error::other(err.to_string())), st))
            }
            None => {
                st.done = true;
                let tail: &'static [u8] = match (st.media, st.sent) {
                    (Media::Json, 0) => b"[]",
                    (Media::Json, _) => b"]",
                    (Media::Ndjson, _) => b"",
                };
                Some((Ok(Bytes::from_static(tail)), st))
            }
        }
    });
    Ok(HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, media.mime()))
        .insert_header((ETAG, media::etag(change_id)))
        .streaming(body))
}

/// `upsertApplicationIdentityProviders`: atomic replace of the whole set.
async fn replace_all(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (caller, application) = caller_for(&req, &state, WRITE).await?;
    let return_updated = media::return_updated(&req)?;
    let media_in = media::content_type(&req, BOTH)?;
    let media_out = if return_updated {
        Some(media::negotiate(&req, BOTH)?)
    } else {
        None
    };
    let if_match = media::if_match(&req)?;
    let body = media::read_body(payload, state.max_body).await?;
    let items = media::items(&body, media_in)?;
    let inputs = crate::input::list(items, state.policy)?;
    let stamp = Stamp {
        actor: &caller.actor,
        now: chrono::Utc::now(),
    };
    let (change_id, rows) = store::replace_all(
        &state.pool,
        &state.secrets,
        &application,
        inputs,
        &if_match,
        &stamp,
    )
    .await?;
    match media_out {
        Some(media) => many(media, change_id, &rows),
        None => Ok(HttpResponse::NoContent()
            .insert_header((ETAG, media::etag(change_id)))
            .finish()),
    }
}

/// `deleteApplicationIdentityProviders`.
async fn delete_all(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (_, application) = caller_for(&req, &state, WRITE).await?;
    let if_match = media::if_match(&req)?;
    store::delete_all(&state.pool, &application, &if_match).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `getApplicationIdentityProvider` (JSON only, as the contract lists).
async fn get_one(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let (_, application) = caller_for(&req, &state, READ).await?;
    let key = key_param(&req, "identity-provider-key")?;
    let media = media::negotiate(&req, JSON)?;
    let row = store::get_one(&state.pool, &application, &key).await?;
    one(media, row.change_id, &ProviderV1::from(&row))
}

/// `upsertApplicationIdentityProvider` (JSON body only, as the contract lists).
async fn upsert_one(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (caller, application) = caller_for(&req, &state, WRITE).await?;
    let key = key_param(&req, "identity-provider-key")?;
    let return_updated = media::return_updated(&req)?;
    media::content_type(&req, JSON)?;
    let media_out = if return_updated {
        Some(media::negotiate(&req, JSON)?)
    } else {
        None
    };
    let if_match = media::if_match(&req)?;
    let body = media::read_body(payload, state.max_body).await?;
    let input = crate::input::single(media::object(&body)?, &key, state.policy)?;
    let stamp = Stamp {
        actor: &caller.actor,
        now: chrono::Utc::now(),
    };
    let (row, _created) = store::upsert_one(
        &state.pool,
        &state.secrets,
        &application,
        input,
        &if_match,
        &stamp,
    )
    .await?;
    match media_out {
        Some(media) => one(media, row.change_id, &ProviderV1::from(&row)),
        None => Ok(HttpResponse::NoContent()
            .insert_header((ETAG, media::etag(row.change_id)))
            .finish()),
    }
}

/// `deleteApplicationIdentityProvider`.
async fn delete_one(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (_, application) = caller_for(&req, &state, WRITE).await?;
    let key = key_param(&req, "identity-provider-key")?;
    let if_match = media::if_match(&req)?;
    store::delete_one(&state.pool, &application, &key, &if_match).await?;
    Ok(HttpResponse::NoContent().finish())
}

fn setup_response(media: Media, setup: &SetupV1) -> Result<HttpResponse, ApiError> {
    let change_id = setup.change_id.parse::<i64>().unwrap_or_default();
    one(media, change_id, setup)
}

/// `getPublicIdentityProviderSetup`: no token; ENABLED + PUBLIC providers only.
async fn public_setup(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let application = key_param(&req, "application-expression")?;
    let media = media::negotiate(&req, BOTH)?;
    let setup = store::setup(&state.pool, &application, true).await?;
    setup_response(media, &setup)
}

/// `getIdentityProviderSetup`: the caller's own application, ENABLED providers visible to APPLICATION or PUBLIC.
/// Any valid token of the application may read it; a token naming an unregistered application is
/// `AUTHENTICATION_INVALID_APPLICATION` (the operation lists no 404).
async fn own_setup(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let caller = auth::authenticate(&req, &state).await?;
    let media = media::negotiate(&req, BOTH)?;
    let setup = match store::setup(&state.pool, &caller.application, false).await {
        Err(ApiError::ApplicationNotFound(_)) => {
            return Err(ApiError::Unauthenticated(AuthFailure::InvalidApplication));
        }
        other => other?,
    };
    setup_response(media, &setup)
}

/// Extension: registers an application (idempotent); `idp:admin` only. 201 when new, 200 when known.
async fn register(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let caller = auth::authenticate(&req, &state).await?;
    let application = key_param(&req, "application-id")?;
    if !caller.has(ADMIN) {
        return Err(ApiError::MissingPermission(ADMIN));
    }
    let (app, created) = store::register(&state.pool, &application, &caller.actor).await?;
    let body = serde_json::json!({
        "applicationId": app.application_id,
        "changeId": app.change_id.to_string(),
        "createdAt": app.created_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "createdBy": app.created_by,
    });
    let mut response = if created {
        HttpResponse::Created()
    } else {
        HttpResponse::Ok()
    };
    Ok(response
        .insert_header((ETAG, media::etag(app.change_id)))
        .json(body))
}

/// Extension: puts a token id on the revocation list; `idp:admin` only. Body `{"jti": "...",
/// "expiresAt": "<RFC 3339>"}` (`expiresAt` optional: when the token expires anyway, for housekeeping).
async fn revoke(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let caller = auth::authenticate(&req, &state).await?;
    if !caller.has(ADMIN) {
        return Err(ApiError::MissingPermission(ADMIN));
    }
    media::content_type(&req, JSON)?;
    let body = media::read_body(payload, state.max_body).await?;
    let value = media::object(&body)?;
    let mut details = Vec::new();
    let map = value.as_object().cloned().unwrap_or_default();
    for name in map.keys().filter(|k| *k != "jti" && *k != "expiresAt") {
        details.push(Detail::new(name.clone(), None, "is not a known field"));
    }
    let jti = match map.get("jti") {
        Some(Value::String(s)) if (1..=256).contains(&s.chars().count()) => Some(s.clone()),
        Some(other) => {
            details.push(Detail::new(
                "jti",
                None,
                format!("must be a string of 1 to 256 characters, got {other}"),
            ));
            None
        }
        None => {
            details.push(Detail::new("jti", None, "is required"));
            None
        }
    };
    let expires_at = match map.get("expiresAt") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => match chrono::DateTime::parse_from_rfc3339(s) {
            Ok(t) => Some(t.with_timezone(&chrono::Utc)),
            Err(_) => {
                details.push(Detail::new(
                    "expiresAt",
                    Some(s.clone()),
                    "must be an RFC 3339 date-time",
                ));
                None
            }
        },
        Some(_) => {
            details.push(Detail::new("expiresAt", None, "must be a string"));
            None
        }
    };
    match jti {
        Some(jti) if details.is_empty() => {
            store::revoke(&state.pool, &jti, expires_at, &caller.actor).await?;
            Ok(HttpResponse::NoContent().finish())
        }
        _ => Err(ApiError::Malformed(details)),
    }
}

/// Extension: dry-run check of a configuration (`ApplicationIdentityProviderInWithoutKeyV1`); `idp:write` on the
/// application. Schema violations are 400 as for a PUT; a configuration that cannot work, or whose issuer does
/// not answer as it must, is a 200 report with failed checks. Nothing is stored.
async fn check_configuration(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (_, _application) = caller_for(&req, &state, WRITE).await?;
    media::content_type(&req, JSON)?;
    media::negotiate(&req, JSON)?;
    let body = media::read_body(payload, state.max_body).await?;
    let report = match crate::input::single(media::object(&body)?, "check", state.policy) {
        Ok(input) => crate::check::run(&state.checker, state.policy, &input).await,
        Err(ApiError::ConfigMalformed(details)) => crate::check::Report::of(
            details
                .into_iter()
                .map(|d| crate::check::Check {
                    name: "configuration",
                    ok: false,
                    message: format!("{}: {}", d.field, d.message),
                })
                .collect(),
        ),
        Err(other) => return Err(other),
    };
    Ok(HttpResponse::Ok().json(report))
}
