//! Use cases. Each write is one transaction that first bumps the application's `change_id` (taking its row
//! lock, so writers of one application are serialized: no duplicate, no lost update), then checks `If-Match`,
//! makes the change and appends its events to the outbox. Each request runs a fixed number of statements.

use crate::db::models::{Application, Provider};
use crate::db::schema::{applications, identity_providers as ip, revoked_tokens};
use crate::error::ApiError;
use crate::events::{self, event, provider_subject};
use crate::input::{ProviderInput, SecretChange};
use crate::views::{ProviderV1, SetupV1};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::upsert::excluded;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use domain::CloudEvent;
use persistence::{DbError, Pool, PooledConn, outbox};
use security::secret_box::{Sealed, SecretBox};
use std::collections::HashMap;

impl From<diesel::result::Error> for ApiError {
    fn from(err: diesel::result::Error) -> Self {
        DbError::from(err).into()
    }
}

/// A pooled connection; pool exhaustion or database loss becomes 503.
pub async fn conn(pool: &Pool) -> Result<PooledConn, ApiError> {
    Ok(pool.get().await.map_err(DbError::from)?)
}

/// `If-Match` as parsed by `media::if_match`: absent, `*`, or the change ids listed.
pub type IfMatch = Option<Option<Vec<i64>>>;

fn check_if_match(if_match: &IfMatch, current: Option<i64>) -> Result<(), ApiError> {
    let stale = || {
        ApiError::Conflict(format!(
            "If-Match does not match the current changeId ({}); reload and retry.",
            current.map_or_else(
                || "none: the resource does not exist".to_owned(),
                |c| c.to_string()
            )
        ))
    };
    match (if_match, current) {
        (None, _) => Ok(()),
        (Some(None), Some(_)) => Ok(()),
        (Some(Some(tags)), Some(c)) if tags.contains(&c) => Ok(()),
        _ => Err(stale()),
    }
}

/// Associated data binding a sealed secret to its row.
fn aad(application_id: &str, key: &str) -> Vec<u8> {
    format!("{application_id}/{key}").into_bytes()
}

fn sealed_of(row: &Provider) -> Option<Sealed> {
    match (
        &row.client_secret_key_id,
        &row.client_secret_nonce,
        &row.client_secret_ciphertext,
    ) {
        (Some(key_id), Some(nonce), Some(ciphertext)) => Some(Sealed {
            key_id: key_id.clone(),
            nonce: nonce.clone(),
            ciphertext: ciphertext.clone(),
        }),
        _ => None,
    }
}

/// Who makes a change, when, and under which change id.
pub struct Stamp<'a> {
    pub actor: &'a str,
    pub now: DateTime<Utc>,
}

fn row(
    application_id: &str,
    input: ProviderInput,
    sealed: Option<Sealed>,
    existing: Option<&Provider>,
    stamp: &Stamp<'_>,
    change_id: i64,
) -> Provider {
    let (key_id, nonce, ciphertext) = match sealed {
        Some(s) => (Some(s.key_id), Some(s.nonce), Some(s.ciphertext)),
        None => (None, None, None),
    };
    let mut config = serde_json::Map::new();
    let parts = [
        ("name", input.name.map(serde_json::Value::String)),
        (
            "description",
            input.description.map(serde_json::Value::String),
        ),
        ("oauth2Config", input.oauth2_config),
        ("oidcConfig", input.oidc_config),
        (
            "additionalConfigEntries",
            Some(input.additional_config_entries),
        ),
    ];
    for (name, value) in parts {
        if let Some(value) = value {
            config.insert(name.to_owned(), value);
        }
    }
    Provider {
        application_id: application_id.to_owned(),
        key: input.key,
        subject_pool_key: input.subject_pool_key,
        idp_type: input.idp_type,
        status: input.status,
        visibility: input.visibility,
        config: serde_json::Value::Object(config),
        client_secret_key_id: key_id,
        client_secret_nonce: nonce,
        client_secret_ciphertext: ciphertext,
        created_at: existing.map_or(stamp.now, |e| e.created_at),
        created_by: existing.map_or_else(|| stamp.actor.to_owned(), |e| e.created_by.clone()),
        last_modified_at: stamp.now,
        last_modified_by: stamp.actor.to_owned(),
        change_id,
    }
}

/// The sealed secret a write stores: sealed anew, kept from the existing row, or none. Sealing is CPU only,
/// so it happens before the transaction.
fn secret_for(
    secrets: &SecretBox,
    application_id: &str,
    input: &ProviderInput,
    existing: Option<&Provider>,
) -> Result<Option<Sealed>, ApiError> {
    match &input.client_secret {
        SecretChange::Set(plain) => secrets
            .seal(plain, &aad(application_id, &input.key))
            .map(Some)
            .map_err(|e| ApiError::Internal(e.to_string())),
        SecretChange::Remove => Ok(None),
        // An OIDC provider carries no OAuth2 secret; a kept secret stays only on an OAuth2 provider.
        SecretChange::Keep if input.oauth2_config.is_some() => Ok(existing.and_then(sealed_of)),
        SecretChange::Keep => Ok(None),
    }
}

async fn bump(conn: &mut AsyncPgConnection, application_id: &str) -> Result<i64, ApiError> {
    diesel::update(applications::table.find(application_id))
        .set(applications::change_id.eq(applications::change_id + 1))
        .returning(applications::change_id)
        .get_result::<i64>(conn)
        .await
        .optional()?
        .ok_or_else(|| ApiError::ApplicationNotFound(application_id.to_owned()))
}

async fn upsert_rows(
    conn: &mut AsyncPgConnection,
    rows: &[Provider],
) -> Result<Vec<Provider>, ApiError> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    Ok(diesel::insert_into(ip::table)
        .values(rows)
        .on_conflict((ip::application_id, ip::key))
        .do_update()
        .set((
            ip::subject_pool_key.eq(excluded(ip::subject_pool_key)),
            ip::idp_type.eq(excluded(ip::idp_type)),
            ip::status.eq(excluded(ip::status)),
            ip::visibility.eq(excluded(ip::visibility)),
            ip::config.eq(excluded(ip::config)),
            ip::client_secret_key_id.eq(excluded(ip::client_secret_key_id)),
            ip::client_secret_nonce.eq(excluded(ip::client_secret_nonce)),
            ip::client_secret_ciphertext.eq(excluded(ip::client_secret_ciphertext)),
            ip::last_modified_at.eq(excluded(ip::last_modified_at)),
            ip::last_modified_by.eq(excluded(ip::last_modified_by)),
            ip::change_id.eq(excluded(ip::change_id)),
        ))
        .returning(Provider::as_returning())
        .get_results(conn)
        .await?)
}

async fn public_rows(
    conn: &mut AsyncPgConnection,
    application_id: &str,
) -> Result<Vec<Provider>, ApiError> {
    Ok(ip::table
        .filter(ip::application_id.eq(application_id))
        .filter(ip::status.eq("ENABLED"))
        .filter(ip::visibility.eq("PUBLIC"))
        .order(ip::key)
        .select(Provider::as_select())
        .load(conn)
        .await?)
}

fn public_view(row: Option<&Provider>) -> Option<crate::views::DiscoveredV1> {
    row.filter(|r| r.discoverable(true)).map(Into::into)
}

/// Creates or replaces one provider. Returns the stored row and whether it was created.
pub async fn upsert_one(
    pool: &Pool,
    secrets: &SecretBox,
    application_id: &str,
    input: ProviderInput,
    if_match: &IfMatch,
    stamp: &Stamp<'_>,
) -> Result<(Provider, bool), ApiError> {
    let mut conn = conn(pool).await?;
    // Sealing needs the existing row only to keep its secret; seal a new one up front, outside the transaction.
    let fresh = match &input.client_secret {
        SecretChange::Set(_) => Some(secret_for(secrets, application_id, &input, None)?),
        _ => None,
    };
    conn.transaction::<_, ApiError, _>(async |conn| {
        let change_id = bump(conn, application_id).await?;
        let existing = ip::table
            .find((application_id, &input.key))
            .select(Provider::as_select())
            .first(conn)
            .await
            .optional()?;
        check_if_match(if_match, existing.as_ref().map(|e| e.change_id))?;
        let sealed = match fresh {
            Some(sealed) => sealed,
            None => secret_for(secrets, application_id, &input, existing.as_ref())?,
        };
        let new = row(
            application_id,
            input,
            sealed,
            existing.as_ref(),
            stamp,
            change_id,
        );
        let stored = upsert_rows(conn, std::slice::from_ref(&new))
            .await?
            .pop()
            .ok_or_else(|| ApiError::Internal("upsert returned no row".to_owned()))?;
        let mut emitted = vec![event(
            if existing.is_some() {
                events::PROVIDER_REPLACED
            } else {
                events::PROVIDER_CREATED
            },
            provider_subject(application_id, &stored.key),
            &ProviderV1::from(&stored),
        )];
        if public_view(existing.as_ref()) != public_view(Some(&stored)) {
            let rows = public_rows(conn, application_id).await?;
            let setup = SetupV1::of(application_id, change_id, &rows, true);
            emitted.push(event(events::PUBLIC_SETUP_CHANGED, application_id, &setup));
        }
        outbox::append(conn, &emitted).await?;
        Ok((stored, existing.is_none()))
    })
    .await
}

/// Replaces the whole set of an application's providers (an empty list removes all). Returns the new change id
/// and the new set.
pub async fn replace_all(
    pool: &Pool,
    secrets: &SecretBox,
    application_id: &str,
    inputs: Vec<ProviderInput>,
    if_match: &IfMatch,
    stamp: &Stamp<'_>,
) -> Result<(i64, Vec<Provider>), ApiError> {
    let mut fresh: HashMap<String, Option<Sealed>> = HashMap::new();
    for input in inputs
        .iter()
        .filter(|i| matches!(i.client_secret, SecretChange::Set(_)))
    {
        fresh.insert(
            input.key.clone(),
            secret_for(secrets, application_id, input, None)?,
        );
    }
    let mut conn = conn(pool).await?;
    conn.transaction::<_, ApiError, _>(async |conn| {
        let change_id = bump(conn, application_id).await?;
        check_if_match(if_match, Some(change_id - 1))?;
        let before: Vec<Provider> = ip::table
            .filter(ip::application_id.eq(application_id))
            .order(ip::key)
            .select(Provider::as_select())
            .load(conn)
            .await?;
        let keys: Vec<String> = inputs.iter().map(|i| i.key.clone()).collect();
        let removed: Vec<Provider> = diesel::delete(
            ip::table
                .filter(ip::application_id.eq(application_id))
                .filter(diesel::dsl::not(ip::key.eq_any(&keys))),
        )
        .returning(Provider::as_returning())
        .get_results(conn)
        .await?;
        let by_key: HashMap<&str, &Provider> = before.iter().map(|p| (p.key.as_str(), p)).collect();
        let mut rows = Vec::with_capacity(inputs.len());
        for input in inputs {
            let existing = by_key.get(input.key.as_str()).copied();
            let sealed = match fresh.remove(&input.key) {
                Some(sealed) => sealed,
                None => secret_for(secrets, application_id, &input, existing)?,
            };
            rows.push(row(
                application_id,
                input,
                sealed,
                existing,
                stamp,
                change_id,
            ));
        }
        let mut stored = upsert_rows(conn, &rows).await?;
        stored.sort_by(|a, b| a.key.cmp(&b.key));
        let mut emitted: Vec<CloudEvent> = removed
            .iter()
            .map(|r| {
                event(
                    events::PROVIDER_DELETED,
                    provider_subject(application_id, &r.key),
                    &ProviderV1::from(r),
                )
            })
            .collect();
        emitted.extend(stored.iter().map(|r| {
            let kind = if by_key.contains_key(r.key.as_str()) {
                events::PROVIDER_REPLACED
            } else {
                events::PROVIDER_CREATED
            };
            event(
                kind,
                provider_subject(application_id, &r.key),
                &ProviderV1::from(r),
            )
        }));
        let old_setup = SetupV1::of(application_id, 0, &before, true);
        let new_setup = SetupV1::of(application_id, change_id, &stored, true);
        if old_setup.identity_providers != new_setup.identity_providers {
            emitted.push(event(
                events::PUBLIC_SETUP_CHANGED,
                application_id,
                &new_setup,
            ));
        }
        outbox::append(conn, &emitted).await?;
        Ok((change_id, stored))
    })
    .await
}

/// Deletes one provider; 404 `IAM_IDP_NOT_FOUND` when absent (nothing is bumped then).
pub async fn delete_one(
    pool: &Pool,
    application_id: &str,
    key: &str,
    if_match: &IfMatch,
) -> Result<(), ApiError> {
    let mut conn = conn(pool).await?;
    conn.transaction::<_, ApiError, _>(async |conn| {
        let change_id = bump(conn, application_id).await?;
        let removed = diesel::delete(ip::table.find((application_id, key)))
            .returning(Provider::as_returning())
            .get_result(conn)
            .await
            .optional()?
            .ok_or_else(|| ApiError::IdpNotFound(key.to_owned()))?;
        check_if_match(if_match, Some(removed.change_id))?;
        let mut emitted = vec![event(
            events::PROVIDER_DELETED,
            provider_subject(application_id, key),
            &ProviderV1::from(&removed),
        )];
        if removed.discoverable(true) {
            let rows = public_rows(conn, application_id).await?;
            let setup = SetupV1::of(application_id, change_id, &rows, true);
            emitted.push(event(events::PUBLIC_SETUP_CHANGED, application_id, &setup));
        }
        outbox::append(conn, &emitted).await?;
        Ok(())
    })
    .await
}

/// Deletes every provider of an application.
pub async fn delete_all(
    pool: &Pool,
    application_id: &str,
    if_match: &IfMatch,
) -> Result<(), ApiError> {
    let mut conn = conn(pool).await?;
    conn.transaction::<_, ApiError, _>(async |conn| {
        let change_id = bump(conn, application_id).await?;
        check_if_match(if_match, Some(change_id - 1))?;
        let removed: Vec<Provider> =
            diesel::delete(ip::table.filter(ip::application_id.eq(application_id)))
                .returning(Provider::as_returning())
                .get_results(conn)
                .await?;
        let mut emitted: Vec<CloudEvent> = removed
            .iter()
            .map(|r| {
                event(
                    events::PROVIDER_DELETED,
                    provider_subject(application_id, &r.key),
                    &ProviderV1::from(r),
                )
            })
            .collect();
        if removed.iter().any(|r| r.discoverable(true)) {
            let setup = SetupV1::of(application_id, change_id, &[], true);
            emitted.push(event(events::PUBLIC_SETUP_CHANGED, application_id, &setup));
        }
        outbox::append(conn, &emitted).await?;
        Ok(())
    })
    .await
}

/// One provider and its application's existence, in one statement.
pub async fn get_one(pool: &Pool, application_id: &str, key: &str) -> Result<Provider, ApiError> {
    let mut conn = conn(pool).await?;
    let found: Option<(String, Option<Provider>)> = applications::table
        .left_join(
            ip::table.on(ip::application_id
                .eq(applications::application_id)
                .and(ip::key.eq(key))),
        )
        .filter(applications::application_id.eq(application_id))
        .select((
            applications::application_id,
            Option::<Provider>::as_select(),
        ))
        .first(&mut conn)
        .await
        .optional()?;
    match found {
        None => Err(ApiError::ApplicationNotFound(application_id.to_owned())),
        Some((_, None)) => Err(ApiError::IdpNotFound(key.to_owned())),
        Some((_, Some(row))) => Ok(row),
    }
}

/// A discovery setup, in one statement (a consistent snapshot of the change id and the providers).
pub async fn setup(
    pool: &Pool,
    application_id: &str,
    public_only: bool,
) -> Result<SetupV1, ApiError> {
    let mut conn = conn(pool).await?;
    let visible: &[&str] = if public_only {
        &["PUBLIC"]
    } else {
        &["PUBLIC", "APPLICATION"]
    };
    let rows: Vec<(i64, Option<Provider>)> = applications::table
        .left_join(
            ip::table.on(ip::application_id
                .eq(applications::application_id)
                .and(ip::status.eq("ENABLED"))
                .and(ip::visibility.eq_any(visible))),
        )
        .filter(applications::application_id.eq(application_id))
        .order(ip::key)
        .select((applications::change_id, Option::<Provider>::as_select()))
        .load(&mut conn)
        .await?;
    let change_id = <[_]>::first(&rows)
        .map(|(c, _)| *c)
        .ok_or_else(|| ApiError::ApplicationNotFound(application_id.to_owned()))?;
    let providers: Vec<Provider> = rows.into_iter().filter_map(|(_, p)| p).collect();
    Ok(SetupV1::of(
        application_id,
        change_id,
        &providers,
        public_only,
    ))
}

/// Registers an application (idempotent). Returns it and whether it was new.
pub async fn register(
    pool: &Pool,
    application_id: &str,
    actor: &str,
) -> Result<(Application, bool), ApiError> {
    let mut conn = conn(pool).await?;
    conn.transaction::<_, ApiError, _>(async |conn| {
        let inserted = diesel::insert_into(applications::table)
            .values((
                applications::application_id.eq(application_id),
                applications::created_by.eq(actor),
            ))
            .on_conflict_do_nothing()
            .returning(Application::as_returning())
            .get_result(conn)
            .await
            .optional()?;
        match inserted {
            Some(app) => {
                let data = serde_json::json!({
                    "applicationId": app.application_id,
                    "changeId": app.change_id.to_string(),
                    "createdBy": app.created_by,
                });
                outbox::append(
                    conn,
                    &[event(events::APPLICATION_REGISTERED, application_id, &data)],
                )
                .await?;
                Ok((app, true))
            }
            None => {
                let app = applications::table
                    .find(application_id)
                    .select(Application::as_select())
                    .first(conn)
                    .await?;
                Ok((app, false))
            }
        }
    })
    .await
}

/// Puts a token id on the revocation list (idempotent), and drops entries of tokens expired for a day (such a
/// token is refused as expired anyway), so the list stays small.
pub async fn revoke(
    pool: &Pool,
    jti: &str,
    expires_at: Option<DateTime<Utc>>,
    actor: &str,
) -> Result<(), ApiError> {
    let mut conn = conn(pool).await?;
    let horizon = Utc::now() - chrono::Duration::days(1);
    diesel::delete(revoked_tokens::table.filter(revoked_tokens::expires_at.lt(horizon)))
        .execute(&mut conn)
        .await?;
    diesel::insert_into(revoked_tokens::table)
        .values((
            revoked_tokens::jti.eq(jti),
            revoked_tokens::revoked_by.eq(actor),
            revoked_tokens::expires_at.eq(expires_at),
        ))
        .on_conflict_do_nothing()
        .execute(&mut conn)
        .await?;
    Ok(())
}
