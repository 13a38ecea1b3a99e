//! The statements and row building the provider writes share: the change-id bump that serializes an
//! application's writers, the upsert of rows, the public rows behind a `public-setup.changed` event, and the
//! events themselves with their subjects' versions (a provider's `version`, bumped by its upsert or carried + 1
//! by its deletion; the application's `version`, bumped here when its public setup changes).

use crate::context::Ctx;
use crate::db::models::{Provider, Status, Visibility};
use crate::db::schema::{applications, identity_providers as ip};
use crate::error::ApiError;
use crate::events::{self, EMIT, provider_subject};
use crate::ids::{ApplicationId, ProviderKey};
use crate::input::ProviderInput;
use crate::views::{self, DiscoveredV1, ProviderV1, SetupV1};
use diesel::prelude::*;
use diesel::upsert::excluded;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use domain::CloudEvent;
use domain::event::EventType;
use security::secret_box::Sealed;

use super::Stamp;

/// A provider row as stored and its version (the subject version of its events).
pub type Versioned = (Provider, i64);

/// Bumps the application's change id, taking its row lock; 404 when it is not registered.
pub async fn bump(
    conn: &mut AsyncPgConnection,
    application_id: &ApplicationId,
) -> Result<i64, ApiError> {
    diesel::update(applications::table.find(application_id))
        .set(applications::change_id.eq(applications::change_id + 1))
        .returning(applications::change_id)
        .get_result::<i64>(conn)
        .await
        .optional()?
        .ok_or_else(|| ApiError::ApplicationNotFound(application_id.clone()))
}

/// The row a write stores for `input`, keeping the creation stamp of the row it replaces.
pub fn row(
    application_id: &ApplicationId,
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
        application_id: application_id.clone(),
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

/// Inserts or replaces `rows` in one statement, returning them as stored with their versions (1 when inserted,
/// the replaced row's + 1 otherwise).
pub async fn upsert_rows(
    conn: &mut AsyncPgConnection,
    rows: &[Provider],
) -> Result<Vec<Versioned>, ApiError> {
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
            ip::version.eq(ip::version + 1),
        ))
        .returning((Provider::as_returning(), ip::version))
        .get_results(conn)
        .await?)
}

/// The application's rows public discovery shows, by key.
async fn public_rows(
    conn: &mut AsyncPgConnection,
    application_id: &ApplicationId,
) -> Result<Vec<Provider>, ApiError> {
    Ok(ip::table
        .filter(ip::application_id.eq(application_id))
        .filter(ip::status.eq(Status::Enabled))
        .filter(ip::visibility.eq(Visibility::Public))
        .order(ip::key)
        .select(Provider::as_select())
        .load(conn)
        .await?)
}

/// What public discovery shows of `row` (nothing when it is not publicly discoverable).
pub fn public_view(row: Option<&Provider>) -> Option<DiscoveredV1> {
    row.filter(|r| r.discoverable(true)).map(Into::into)
}

/// `public-setup.changed` after the write of the provider `key` (`existing`: the row it replaced or deleted),
/// with the application's public setup as it is now, inside the transaction; its `changes` are from the setup
/// before the write (the current public rows with `existing` back in place of `key`'s).
pub async fn public_setup_changed(
    conn: &mut AsyncPgConnection,
    ctx: &Ctx,
    application_id: &ApplicationId,
    change_id: i64,
    key: &ProviderKey,
    existing: Option<&Provider>,
) -> Result<CloudEvent, ApiError> {
    let rows = public_rows(conn, application_id).await?;
    let mut earlier: Vec<&Provider> = rows
        .iter()
        .filter(|r| r.key != *key)
        .chain(existing.filter(|e| e.discoverable(true)))
        .collect();
    earlier.sort_by(|a, b| a.key.cmp(&b.key));
    let before = views::setup(application_id, change_id - 1, earlier, true);
    let after = views::setup(application_id, change_id, &rows, true);
    setup_changed(conn, ctx, application_id, &before, &after).await
}

/// `public-setup.changed` from `before` to `after`, bumping the application's version (its row is already
/// locked by [`bump`]).
pub async fn setup_changed(
    conn: &mut AsyncPgConnection,
    ctx: &Ctx,
    application_id: &ApplicationId,
    before: &SetupV1,
    after: &SetupV1,
) -> Result<CloudEvent, ApiError> {
    let version = diesel::update(applications::table.find(application_id))
        .set(applications::version.eq(applications::version + 1))
        .returning(applications::version)
        .get_result::<i64>(conn)
        .await?;
    Ok(EMIT.updated::<events::PublicSetupChanged>(ctx, application_id, before, after, version))
}

/// The event about `row` of type `E` (created, deleted): the provider as the API shows it, with the
/// provider's `version` after the change.
pub fn provider_event<E: EventType<Data = ProviderV1>>(
    ctx: &Ctx,
    row: &Provider,
    version: i64,
) -> CloudEvent {
    EMIT.event::<E>(
        ctx,
        provider_subject(&row.application_id, &row.key),
        &ProviderV1::from(row),
        version,
    )
}

/// `identity-provider.replaced`: `row` as its data, what changed since `before` as its `changes`.
pub fn provider_replaced(ctx: &Ctx, before: &Provider, row: &Provider, version: i64) -> CloudEvent {
    EMIT.updated::<events::ProviderReplaced>(
        ctx,
        provider_subject(&row.application_id, &row.key),
        &ProviderV1::from(before),
        &ProviderV1::from(row),
        version,
    )
}

/// A deleted row's event: its last version + 1.
pub fn provider_deleted(ctx: &Ctx, (row, version): &Versioned) -> CloudEvent {
    provider_event::<events::ProviderDeleted>(ctx, row, version + 1)
}
