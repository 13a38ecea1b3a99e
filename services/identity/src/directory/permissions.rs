//! Permissions: create, update, delete while unassigned, and the permissions a user holds in a group.

use super::on_conflict;
use crate::context::Ctx;
use crate::db::models::Permission;
use crate::db::schema::permissions;
use crate::error::ApiError;
use crate::events::{self, EMIT, Payload};
use crate::input::NameInput;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use domain::Paging;
use persistence::db::conn;
use persistence::{DbError, Pool, outbox};
use uuid::Uuid;

/// One page of permissions in `id` order, after `paging.after` or at `offset` (the primary key serves both).
pub async fn list(pool: &Pool, paging: Paging<Uuid>) -> Result<Vec<Permission>, ApiError> {
    let mut conn = conn(pool).await?;
    let mut query = permissions::table
        .order(permissions::id)
        .limit(paging.page.limit)
        .offset(paging.page.offset)
        .select(Permission::as_select())
        .into_boxed();
    if let Some(after) = paging.after {
        query = query.filter(permissions::id.gt(after));
    }
    Ok(query.load(&mut conn).await.map_err(DbError::from)?)
}

pub async fn get(pool: &Pool, id: Uuid) -> Result<Permission, ApiError> {
    let mut conn = conn(pool).await?;
    permissions::table
        .find(id)
        .select(Permission::as_select())
        .first(&mut conn)
        .await
        .optional()
        .map_err(DbError::from)?
        .ok_or_else(|| ApiError::not_found("permission", id))
}

pub async fn create(pool: &Pool, ctx: &Ctx, input: NameInput) -> Result<Permission, ApiError> {
    let mut conn = conn(pool).await?;
    Ok(outbox::wake_after_commit(
        conn.transaction::<_, DbError, _>(async |conn| {
            let row = diesel::insert_into(permissions::table)
                .values((
                    permissions::id.eq(Uuid::now_v7()),
                    permissions::name.eq(&input.name),
                ))
                .returning((Permission::as_returning(), permissions::version))
                .get_result::<(Permission, i64)>(conn)
                .await?;
            let (row, version) = row;
            events::append(
                conn,
                &[EMIT.event::<events::PermissionCreated>(ctx, row.id, &row.payload(), version)],
            )
            .await?;
            Ok(row)
        })
        .await,
    )?)
}

/// Locks the row as it is (the `changes` of the event), then updates it and bumps its version.
pub async fn update(
    pool: &Pool,
    ctx: &Ctx,
    id: Uuid,
    input: NameInput,
) -> Result<Permission, ApiError> {
    let mut conn = conn(pool).await?;
    outbox::wake_after_commit(
        conn.transaction::<_, DbError, _>(async |conn| {
            let before = permissions::table
                .find(id)
                .select(Permission::as_select())
                .for_update()
                .first(conn)
                .await
                .optional()?;
            let Some(before) = before else {
                return Ok(None);
            };
            let (row, version) = diesel::update(permissions::table.find(id))
                .set((
                    permissions::name.eq(&input.name),
                    permissions::updated.eq(diesel::dsl::now),
                    permissions::version.eq(permissions::version + 1),
                ))
                .returning((Permission::as_returning(), permissions::version))
                .get_result::<(Permission, i64)>(conn)
                .await?;
            let emitted = events::EMIT.updated::<events::PermissionUpdated>(
                ctx,
                row.id,
                &before.payload(),
                &row.payload(),
                version,
            );
            events::append(conn, &[emitted]).await?;
            Ok(Some(row))
        })
        .await,
    )?
    .ok_or_else(|| ApiError::not_found("permission", id))
}

/// Refused (409) while any assignment uses the permission: deletion does not cascade.
pub async fn delete(pool: &Pool, ctx: &Ctx, id: Uuid) -> Result<(), ApiError> {
    let mut conn = conn(pool).await?;
    outbox::wake_after_commit(conn.transaction::<_, DbError, _>(async |conn| {
        let row = diesel::delete(permissions::table.find(id))
            .returning((Permission::as_returning(), permissions::version))
            .get_result::<(Permission, i64)>(conn)
            .await
            .optional()?;
        if let Some((row, version)) = &row {
            events::append(conn, &[EMIT.event::<events::PermissionDeleted>(ctx, row.id, &row.payload(), version + 1)]).await?;
        }
        Ok(row)
    })
    .await)
    .map_err(|err| {
        on_conflict(err, "gup_permissionid_fkey", || {
            format!("permission {id} is assigned to users and cannot be deleted; revoke its assignments first")
        })
    })?
    .map(|_| ())
    .ok_or_else(|| ApiError::not_found("permission", id))
}

/// Permissions a user holds within a group; 404 when the user or the group does not exist.
pub async fn held(pool: &Pool, userid: Uuid, groupid: Uuid) -> Result<Vec<Permission>, ApiError> {
    use crate::db::schema::{group_user_permissions as gup, groups, users};
    let mut conn = conn(pool).await?;
    let (user_exists, group_exists) = diesel::select((
        diesel::dsl::exists(users::table.find(userid)),
        diesel::dsl::exists(groups::table.find(groupid)),
    ))
    .get_result::<(bool, bool)>(&mut conn)
    .await
    .map_err(DbError::from)?;
    if !user_exists {
        return Err(ApiError::not_found("user", userid));
    }
    if !group_exists {
        return Err(ApiError::not_found("group", groupid));
    }
    let held = gup::table
        .filter(gup::userid.eq(userid).and(gup::groupid.eq(groupid)))
        .select(gup::permissionid);
    Ok(permissions::table
        .filter(permissions::id.eq_any(held))
        .order(permissions::id)
        .select(Permission::as_select())
        .load(&mut conn)
        .await
        .map_err(DbError::from)?)
}
