//! Putting configurations: one provider created or replaced, or the whole set of an application replaced
//! atomically (keys not listed are deleted).

use super::store::{
    Versioned, bump, provider_deleted, provider_event, provider_replaced, public_setup_changed,
    public_view, row, setup_changed, upsert_rows,
};
use super::{Stamp, check_if_match};
use crate::context::Ctx;
use crate::db::models::Provider;
use crate::db::schema::identity_providers as ip;
use crate::error::ApiError;
use crate::events;
use crate::ids::{ApplicationId, ProviderKey};
use crate::input::ProviderInput;
use crate::input::media::IfMatch;
use crate::secrets;
use crate::views;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use domain::CloudEvent;
use persistence::{Pool, outbox};
use security::secret_box::{Sealed, SecretBox};
use std::collections::HashMap;

/// Creates or replaces one provider. Returns the stored row and whether it was created.
pub async fn upsert_one(
    pool: &Pool,
    ctx: &Ctx,
    secrets: &SecretBox,
    application_id: &ApplicationId,
    input: ProviderInput,
    if_match: &IfMatch,
    stamp: &Stamp<'_>,
) -> Result<(Provider, bool), ApiError> {
    let mut conn = persistence::db::conn(pool).await?;
    let fresh = secrets::seal_new(secrets, application_id, &input)?;
    persistence::outbox::wake_after_commit(
        conn.transaction::<_, ApiError, _>(async |conn| {
            let change_id = bump(conn, application_id).await?;
            let existing = ip::table
                .find((application_id, &input.key))
                .select(Provider::as_select())
                .first(conn)
                .await
                .optional()?;
            check_if_match(if_match, existing.as_ref().map(|e| e.change_id))?;
            let sealed = secrets::to_store(fresh, &input, existing.as_ref());
            let new = row(
                application_id,
                input,
                sealed,
                existing.as_ref(),
                stamp,
                change_id,
            );
            let (stored, version) = upsert_rows(conn, std::slice::from_ref(&new))
                .await?
                .pop()
                .ok_or_else(|| ApiError::bug("upsert returned no row"))?;
            let mut emitted = vec![match &existing {
                Some(before) => provider_replaced(ctx, before, &stored, version),
                None => provider_event::<events::ProviderCreated>(ctx, &stored, version),
            }];
            if public_view(existing.as_ref()) != public_view(Some(&stored)) {
                let key = &stored.key;
                let setup = public_setup_changed(
                    conn,
                    ctx,
                    application_id,
                    change_id,
                    key,
                    existing.as_ref(),
                );
                emitted.push(setup.await?);
            }
            outbox::append(conn, &emitted).await?;
            Ok((stored, existing.is_none()))
        })
        .await,
    )
}

/// Replaces the whole set of an application's providers (an empty list removes all). Returns the new change id
/// and the new set.
pub async fn replace_all(
    pool: &Pool,
    ctx: &Ctx,
    secrets: &SecretBox,
    application_id: &ApplicationId,
    inputs: Vec<ProviderInput>,
    if_match: &IfMatch,
    stamp: &Stamp<'_>,
) -> Result<(i64, Vec<Provider>), ApiError> {
    let mut fresh: HashMap<ProviderKey, Sealed> = HashMap::new();
    for input in &inputs {
        if let Some(sealed) = secrets::seal_new(secrets, application_id, input)? {
            fresh.insert(input.key.clone(), sealed);
        }
    }
    let mut conn = persistence::db::conn(pool).await?;
    persistence::outbox::wake_after_commit(
        conn.transaction::<_, ApiError, _>(async |conn| {
            let change_id = bump(conn, application_id).await?;
            check_if_match(if_match, Some(change_id - 1))?;
            let before: Vec<Provider> = ip::table
                .filter(ip::application_id.eq(application_id))
                .order(ip::key)
                .select(Provider::as_select())
                .load(conn)
                .await?;
            let keys: Vec<ProviderKey> = inputs.iter().map(|i| i.key.clone()).collect();
            let removed: Vec<Versioned> = diesel::delete(
                ip::table
                    .filter(ip::application_id.eq(application_id))
                    .filter(diesel::dsl::not(ip::key.eq_any(&keys))),
            )
            .returning((Provider::as_returning(), ip::version))
            .get_results(conn)
            .await?;
            let by_key: HashMap<&ProviderKey, &Provider> =
                before.iter().map(|p| (&p.key, p)).collect();
            let mut rows = Vec::with_capacity(inputs.len());
            for input in inputs {
                let existing = by_key.get(&input.key).copied();
                let sealed = secrets::to_store(fresh.remove(&input.key), &input, existing);
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
            stored.sort_by(|(a, _), (b, _)| a.key.cmp(&b.key));
            let mut emitted: Vec<CloudEvent> =
                removed.iter().map(|r| provider_deleted(ctx, r)).collect();
            emitted.extend(stored.iter().map(|(r, version)| match by_key.get(&r.key) {
                Some(before) => provider_replaced(ctx, before, r, *version),
                None => provider_event::<events::ProviderCreated>(ctx, r, *version),
            }));
            let stored: Vec<Provider> = stored.into_iter().map(|(r, _)| r).collect();
            let old_setup = views::setup(application_id, change_id - 1, &before, true);
            let new_setup = views::setup(application_id, change_id, &stored, true);
            if old_setup.identity_providers != new_setup.identity_providers {
                emitted
                    .push(setup_changed(conn, ctx, application_id, &old_setup, &new_setup).await?);
            }
            outbox::append(conn, &emitted).await?;
            Ok((change_id, stored))
        })
        .await,
    )
}
