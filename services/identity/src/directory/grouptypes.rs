//! Group types: create, update, and delete while no group uses the type.

use super::on_conflict;
use crate::context::Ctx;
use crate::db::models::GroupType;
use crate::db::schema::grouptypes;
use crate::error::ApiError;
use crate::events::{self, EMIT, Payload};
use crate::input::NameInput;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use domain::Paging;
use persistence::db::conn;
use persistence::{DbError, Pool, outbox};

/// One page of group types in `id` order, after `paging.after` or at `offset` (the primary key serves both).
pub async fn list(pool: &Pool, paging: Paging<i32>) -> Result<Vec<GroupType>, ApiError> {
    let mut conn = conn(pool).await?;
    let mut query = grouptypes::table
        .order(grouptypes::id)
        .limit(paging.page.limit)
        .offset(paging.page.offset)
        .select(GroupType::as_select())
        .into_boxed();
    if let Some(after) = paging.after {
        query = query.filter(grouptypes::id.gt(after));
    }
    Ok(query.load(&mut conn).await.map_err(DbError::from)?)
}

pub async fn get(pool: &Pool, id: i32) -> Result<GroupType, ApiError> {
    let mut conn = conn(pool).await?;
    grouptypes::table
        .find(id)
        .select(GroupType::as_select())
        .first(&mut conn)
        .await
        .optional()
        .map_err(DbError::from)?
        .ok_or_else(|| ApiError::not_found("group type", id))
}

pub async fn create(pool: &Pool, ctx: &Ctx, input: NameInput) -> Result<GroupType, ApiError> {
    let mut conn = conn(pool).await?;
    Ok(outbox::wake_after_commit(
        conn.transaction::<_, DbError, _>(async |conn| {
            let row = diesel::insert_into(grouptypes::table)
                .values(grouptypes::name.eq(&input.name))
                .returning((GroupType::as_returning(), grouptypes::version))
                .get_result::<(GroupType, i64)>(conn)
                .await?;
            let (row, version) = row;
            events::append(
                conn,
                &[EMIT.event::<events::GroupTypeCreated>(ctx, row.id, &row.payload(), version)],
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
    id: i32,
    input: NameInput,
) -> Result<GroupType, ApiError> {
    let mut conn = conn(pool).await?;
    outbox::wake_after_commit(
        conn.transaction::<_, DbError, _>(async |conn| {
            let before = grouptypes::table
                .find(id)
                .select(GroupType::as_select())
                .for_update()
                .first(conn)
                .await
                .optional()?;
            let Some(before) = before else {
                return Ok(None);
            };
            let (row, version) = diesel::update(grouptypes::table.find(id))
                .set((
                    grouptypes::name.eq(&input.name),
                    grouptypes::updated.eq(diesel::dsl::now),
                    grouptypes::version.eq(grouptypes::version + 1),
                ))
                .returning((GroupType::as_returning(), grouptypes::version))
                .get_result::<(GroupType, i64)>(conn)
                .await?;
            let emitted = events::EMIT.updated::<events::GroupTypeUpdated>(
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
    .ok_or_else(|| ApiError::not_found("group type", id))
}

/// Refused (409) while any group has this type: deletion does not cascade.
pub async fn delete(pool: &Pool, ctx: &Ctx, id: i32) -> Result<(), ApiError> {
    let mut conn = conn(pool).await?;
    outbox::wake_after_commit(
        conn.transaction::<_, DbError, _>(async |conn| {
            let row = diesel::delete(grouptypes::table.find(id))
                .returning((GroupType::as_returning(), grouptypes::version))
                .get_result::<(GroupType, i64)>(conn)
                .await
                .optional()?;
            if let Some((row, version)) = &row {
                events::append(
                    conn,
                    &[EMIT.event::<events::GroupTypeDeleted>(
                        ctx,
                        row.id,
                        &row.payload(),
                        version + 1,
                    )],
                )
                .await?;
            }
            Ok(row)
        })
        .await,
    )
    .map_err(|err| {
        on_conflict(err, "groups_typeid_fkey", || {
            format!("group type {id} is used by groups and cannot be deleted")
        })
    })?
    .map(|_| ())
    .ok_or_else(|| ApiError::not_found("group type", id))
}
