//! `/applications/{application}/identity-providers[/{key}]`: an application's provider configurations, the
//! whole set (JSON or NDJSON both ways) and one by key (JSON only, as the contract lists).

use super::render::{etag, many, one, streamed};
use super::{caller_for, segment};
use crate::AppState;
use crate::auth::{READ, WRITE};
use crate::error::ApiError;
use crate::ids::ProviderKey;
use crate::input::media::{self, BOTH, JSON};
use crate::providers::{self, Stamp};
use crate::views::ProviderV1;
use actix_web::http::header::ETAG;
use actix_web::{HttpRequest, HttpResponse, web};

fn key(req: &HttpRequest) -> Result<ProviderKey, ApiError> {
    crate::input::provider_key(segment(req, "key"))
}

/// `getApplicationIdentityProviders`: streamed as it is read (one statement; rows go out as they arrive).
pub async fn list(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let (_, application) = caller_for(&req, &state, READ).await?;
    let media = media::negotiate(&req, BOTH)?;
    let (change_id, rows) = providers::list(&state.pool, &application).await?;
    Ok(streamed(media, change_id, rows))
}

/// `upsertApplicationIdentityProviders`: atomic replace of the whole set.
pub async fn replace_all(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (caller, application) = caller_for(&req, &state, WRITE).await?;
    let ctx = crate::context::caller(&caller, &req);
    let return_updated = media::return_updated(&req)?;
    let media_in = media::content_type(&req, BOTH)?;
    let media_out = if return_updated {
        Some(media::negotiate(&req, BOTH)?)
    } else {
        None
    };
    let if_match = media::if_match(&req)?;
    let body = media::read_body(&req, payload, state.max_body).await?;
    let items = media::items(&body, media_in)?;
    let inputs = crate::input::list(items, state.policy)?;
    let stamp = Stamp {
        actor: &caller.actor,
        now: chrono::Utc::now(),
    };
    let (change_id, rows) = providers::replace_all(
        &state.pool,
        &ctx,
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
            .insert_header((ETAG, etag(change_id)))
            .finish()),
    }
}

/// `deleteApplicationIdentityProviders`.
pub async fn delete_all(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (caller, application) = caller_for(&req, &state, WRITE).await?;
    let ctx = crate::context::caller(&caller, &req);
    let if_match = media::if_match(&req)?;
    providers::delete_all(&state.pool, &ctx, &application, &if_match).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `getApplicationIdentityProvider` (JSON only, as the contract lists).
pub async fn get_one(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (_, application) = caller_for(&req, &state, READ).await?;
    let key = key(&req)?;
    let media = media::negotiate(&req, JSON)?;
    let row = providers::get_one(&state.pool, &application, &key).await?;
    one(media, row.change_id, &ProviderV1::from(&row))
}

/// `upsertApplicationIdentityProvider` (JSON body only, as the contract lists).
pub async fn upsert_one(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (caller, application) = caller_for(&req, &state, WRITE).await?;
    let ctx = crate::context::caller(&caller, &req);
    let key = key(&req)?;
    let return_updated = media::return_updated(&req)?;
    media::content_type(&req, JSON)?;
    let media_out = if return_updated {
        Some(media::negotiate(&req, JSON)?)
    } else {
        None
    };
    let if_match = media::if_match(&req)?;
    let body = media::read_body(&req, payload, state.max_body).await?;
    let input = crate::input::single(media::object(&body)?, &key, state.policy)?;
    let stamp = Stamp {
        actor: &caller.actor,
        now: chrono::Utc::now(),
    };
    let (row, _created) = providers::upsert_one(
        &state.pool,
        &ctx,
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
            .insert_header((ETAG, etag(row.change_id)))
            .finish()),
    }
}

/// `deleteApplicationIdentityProvider`.
pub async fn delete_one(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (caller, application) = caller_for(&req, &state, WRITE).await?;
    let ctx = crate::context::caller(&caller, &req);
    let key = key(&req)?;
    let if_match = media::if_match(&req)?;
    providers::delete_one(&state.pool, &ctx, &application, &key, &if_match).await?;
    Ok(HttpResponse::NoContent().finish())
}
