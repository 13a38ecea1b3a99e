//! Users: read, update, and delete with their assignments (each revocation its own event). Creation is the
//! connectors' and the AAD look-up's (see `connectors::provisioning`); [`create`] seeds tests and tools.

use std::collections::HashMap;

use super::increment;
use crate::context::Ctx;
use crate::db::models::{Assignment, User};
use crate::db::schema::{group_user_permissions as gup, users};
use crate::error::ApiError;
use crate::events::{self, EMIT, Payload};
use crate::input::UserInput;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use domain::Paging;
use persistence::db::conn;
use persistence::{DbError, Pool, outbox};
use uuid::Uuid;

/// One page of users in `oid` order: after `paging.after` (keyset) or at `offset`; one statement either way,
/// served by the primary key.
pub async fn list(pool: &Pool, paging: Paging<Uuid>) -> Result<Vec<User>, ApiError> {
    let mut conn = conn(pool).await?;
    let mut query = users::table
        .order(users::oid)
        .limit(paging.page.limit)
        .offset(paging.page.offset)
        .select(User::as_select())
        .into_boxed();
    if let Some(after) = paging.after {
        query = query.filter(users::oid.gt(after));
    }
    Ok(query.load(&mut conn).await.map_err(DbError::from)?)
}

/// Members of a group (users holding any permission in it); 404 when the group does not exist.
pub async fn in_group(pool: &Pool, groupid: Uuid) -> Result<Vec<User>, ApiError> {
    use crate::db::schema::groups;
    let mut conn = conn(pool).await?;
    let group_exists = diesel::select(diesel::dsl::exists(groups::table.find(groupid)))
        .get_result::<bool>(&mut conn)
        .await
        .map_err(DbError::from)?;
    if !group_exists {
        return Err(ApiError::not_found("group", groupid));
    }
    let members = gup::table
        .filter(gup::groupid.eq(groupid))
        .select(gup::userid);
    Ok(users::table
        .filter(users::oid.eq_any(members))
        .order(users::oid)
        .select(User::as_select())
        .load(&mut conn)
        .await
        .map_err(DbError::from)?)
}

pub async fn get(pool: &Pool, oid: Uuid) -> Result<User, ApiError> {
    let mut conn = conn(pool).await?;
    users::table
        .find(oid)
        .select(User::as_select())
        .first(&mut conn)
        .await
        .optional()
        .map_err(DbError::from)?
        .ok_or_else(|| ApiError::not_found("user", oid))
}

/// Registers a user under the oid its identity provider gave it. The public API has no call for this: users
/// arrive through the B2C connectors and the AAD look-up.
pub async fn create(pool: &Pool, ctx: &Ctx, oid: Uuid, input: UserInput) -> Result<User, ApiError> {
    let mut conn = conn(pool).await?;
    Ok(outbox::wake_after_commit(
        conn.transaction::<_, DbError, _>(async |conn| {
            let (row, version) = diesel::insert_into(users::table)
                .values((
                    users::oid.eq(oid),
                    users::email.eq(input.email.as_str()),
                    users::firstname.eq(&input.firstname),
                    users::lastname.eq(&input.lastname),
                    users::country.eq(&input.country),
                ))
                .returning((User::as_returning(), users::version))
                .get_result::<(User, i64)>(conn)
                .await?;
            events::append(
                conn,
                &[EMIT.event::<events::UserCreated>(ctx, row.oid, &row.payload(), version)],
            )
            .await?;
            Ok(row)
        })
        .await,
    )?)
}

/// Locks the user as it is (the `changes` of the event), then updates it and bumps its version.
pub async fn update(pool: &Pool, ctx: &Ctx, oid: Uuid, input: UserInput) -> Result<User, ApiError> {
    let mut conn = conn(pool).await?;
    outbox::wake_after_commit(
        conn.transaction::<_, DbError, _>(async |conn| {
            let before = users::table
                .find(oid)
                .select(User::as_select())
                .for_update()
                .first(conn)
                .await
                .optional()?;
            let Some(before) = before else {
                return Ok(None);
            };
            let (row, version) = diesel::update(users::table.find(oid))
                .set((
                    users::email.eq(input.email.as_str()),
                    users::firstname.eq(&input.firstname),
                    users::lastname.eq(&input.lastname),
                    users::country.eq(&input.country),
                    users::updated.eq(diesel::dsl::now),
                    users::version.eq(users::version + 1),
                ))
                .returning((User::as_returning(), users::version))
                .get_result::<(User, i64)>(conn)
                .await?;
            let emitted = events::EMIT.updated::<events::UserUpdated>(
                ctx,
                row.oid,
                &before.payload(),
                &row.payload(),
                version,
            );
            events::append(conn, &[emitted]).await?;
            Ok(Some(row))
        })
        .await,
    )?
    .ok_or_else(|| ApiError::not_found("user", oid))
}

/// Deletes the user and, first, its assignments, each with its own `revoked` event (see groups::delete): the
/// user's next versions in order, then the deletion with the one after.
pub async fn delete(pool: &Pool, ctx: &Ctx, oid: Uuid) -> Result<(), ApiError> {
    let mut conn = conn(pool).await?;
    outbox::wake_after_commit(
        conn.transaction::<_, DbError, _>(async |conn| {
            let locked = users::table
                .find(oid)
                .select(users::version)
                .for_update()
                .first::<i64>(conn)
                .await
                .optional()?;
            let Some(version) = locked else {
                return Ok(None);
            };
            let revoked = diesel::delete(gup::table.filter(gup::userid.eq(oid)))
                .returning(Assignment::as_returning())
                .get_results(conn)
                .await?;
            let row = diesel::delete(users::table.find(oid))
                .returning(User::as_returning())
                .get_result(conn)
                .await?;
            let last_revoked = version + increment(revoked.len());
            let mut emitted = events::cascade(ctx, &revoked, &HashMap::from([(oid, last_revoked)]));
            emitted.push(EMIT.event::<events::UserDeleted>(
                ctx,
                row.oid,
                &row.payload(),
                last_revoked + 1,
            ));
            events::append(conn, &emitted).await?;
            Ok(Some(row))
        })
        .await,
    )?
    .map(|_| ())
    .ok_or_else(|| ApiError::not_found("user", oid))
}
