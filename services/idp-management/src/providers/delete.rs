//! Deleting configurations: one provider, or every provider of an application.

use super::check_if_match;
use super::store::{bump, provider_event, public_setup_changed};
use crate::db::models::Provider;
use crate::db::schema::identity_providers as ip;
use crate::error::ApiError;
use crate::events::{self, event};
use crate::ids::{ApplicationId, ProviderKey};
use crate::input::media::IfMatch;
use crate::views::SetupV1;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use domain::CloudEvent;
use persistence::{Pool, outbox};

/// Deletes one provider; 404 `IAM_IDP_NOT_FOUND` when absent (nothing is bumped then).
pub async fn delete_one(
    pool: &Pool,
    application_id: &ApplicationId,
    key: &ProviderKey,
    if_match: &IfMatch,
) -> Result<(), ApiError> {
    let mut conn = persistence::db::conn(pool).await?;
    persistence::outbox::wake_after_commit(
        conn.transaction::<_, ApiError, _>(async |conn| {
            let change_id = bump(conn, application_id).await?;
            let removed = diesel::delete(ip::table.find((application_id, key)))
                .returning(Provider::as_returning())
                .get_result(conn)
                .await
                .optional()?
                .ok_or_else(|| ApiError::IdpNotFound(key.clone()))?;
            check_if_match(if_match, Some(removed.change_id))?;
            let mut emitted = vec![provider_event(events::PROVIDER_DELETED, &removed)];
            if removed.discoverable(true) {
                emitted.push(public_setup_changed(conn, application_id, change_id).await?);
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
    application_id: &ApplicationId,
    if_match: &IfMatch,
) -> Result<(), ApiError> {
    let mut conn = persistence::db::conn(pool).await?;
    persistence::outbox::wake_after_commit(
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
                .map(|r| provider_event(events::PROVIDER_DELETED, r))
                .collect();
            if removed.iter().any(|r| r.discoverable(true)) {
                let setup = SetupV1::of(application_id, change_id, &[], true);
                emitted.push(event(events::PUBLIC_SETUP_CHANGED, application_id, &setup));
            }
            outbox::append(conn, &emitted).await?;
            Ok(())
        })
        .await,
    )
}
