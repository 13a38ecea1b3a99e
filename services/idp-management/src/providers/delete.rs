//! Deleting configurations: one provider, or every provider of an application.

use super::check_if_match;
use super::store::{Versioned, bump, provider_deleted, public_setup_changed, setup_changed};
use crate::context::Ctx;
use crate::db::models::Provider;
use crate::db::schema::identity_providers as ip;
use crate::error::ApiError;
use crate::ids::{ApplicationId, ProviderKey};
use crate::input::media::IfMatch;
use crate::views;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use domain::CloudEvent;
use persistence::{Pool, outbox};

/// Deletes one provider; 404 `IAM_IDP_NOT_FOUND` when absent (nothing is bumped then).
pub async fn delete_one(
    pool: &Pool,
    ctx: &Ctx,
    application_id: &ApplicationId,
    key: &ProviderKey,
    if_match: &IfMatch,
) -> Result<(), ApiError> {
    let mut conn = persistence::db::conn(pool).await?;
    persistence::outbox::wake_after_commit(
        conn.transaction::<_, ApiError, _>(async |conn| {
            let change_id = bump(conn, application_id).await?;
            let removed: Versioned = diesel::delete(ip::table.find((application_id, key)))
                .returning((Provider::as_returning(), ip::version))
                .get_result(conn)
                .await
                .optional()?
                .ok_or_else(|| ApiError::IdpNotFound(key.clone()))?;
            let (row, _) = &removed;
            check_if_match(if_match, Some(row.change_id))?;
            let mut emitted = vec![provider_deleted(ctx, &removed)];
            if row.discoverable(true) {
                let setup =
                    public_setup_changed(conn, ctx, application_id, change_id, key, Some(row));
                emitted.push(setup.await?);
            }
            outbox::append(conn, &emitted).await?;
            Ok(())
        })
        .await,
    )
}

/// Deletes every provider of an application.
pub async fn delete_all(
    pool: &Pool,
    ctx: &Ctx,
    application_id: &ApplicationId,
    if_match: &IfMatch,
) -> Result<(), ApiError> {
    let mut conn = persistence::db::conn(pool).await?;
    persistence::outbox::wake_after_commit(
        conn.transaction::<_, ApiError, _>(async |conn| {
            let change_id = bump(conn, application_id).await?;
            check_if_match(if_match, Some(change_id - 1))?;
            let removed: Vec<Versioned> =
                diesel::delete(ip::table.filter(ip::application_id.eq(application_id)))
                    .returning((Provider::as_returning(), ip::version))
                    .get_results(conn)
                    .await?;
            let mut emitted: Vec<CloudEvent> =
                removed.iter().map(|r| provider_deleted(ctx, r)).collect();
            let mut rows: Vec<&Provider> = removed.iter().map(|(r, _)| r).collect();
            if rows.iter().any(|r| r.discoverable(true)) {
                rows.sort_by(|a, b| a.key.cmp(&b.key));
                let before = views::setup(application_id, change_id - 1, rows, true);
                let after = views::setup(application_id, change_id, &[], true);
                emitted.push(setup_changed(conn, ctx, application_id, &before, &after).await?);
            }
            outbox::append(conn, &emitted).await?;
            Ok(())
        })
        .await,
    )
}
