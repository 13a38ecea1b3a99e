//! Groups: create, update, delete with their assignments, and the reads by id, name, local id, type and member.

use crate::db::models::{Assignment, Group};
use crate::db::schema::{group_user_permissions as gup, groups, grouptypes, users};
use crate::error::ApiError;
use crate::events::{self, event};
use crate::input::GroupInput;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use domain::Page;
use persistence::db::conn;
use persistence::{DbError, Pool, outbox};
use uuid::Uuid;

pub async fn list(pool: &Pool, page: Page) -> Result<Vec<Group>, ApiError> {
    let mut conn = conn(pool).await?;
    Ok(groups::table
        .order(groups::id)
        .limit(page.limit)
        .offset(page.offset)
        .select(Group::as_select())
        .load(&mut conn)
        .await
        .map_err(DbError::from)?)
}

/// Groups carrying a local id (not unique: several groups may share one).
pub async fn by_localid(pool: &Pool, localid: &str, page: Page) -> Result<Vec<Group>, ApiError> {
    let mut conn = conn(pool).await?;
    Ok(groups::table
        .filter(groups::localid.eq(localid))
        .order(groups::id)
        .limit(page.limit)
        .offset(page.offset)
        .select(Group::as_select())
        .load(&mut conn)
        .await
        .map_err(DbError::from)?)
}

/// Groups of one type, optionally narrowed to a local id; 404 when the type does not exist.
pub async fn by_type(
    pool: &Pool,
    typeid: i32,
    localid: Option<&str>,
    page: Page,
) -> Result<Vec<Group>, ApiError> {
    let mut conn = conn(pool).await?;
    let type_exists = diesel::select(diesel::dsl::exists(grouptypes::table.find(typeid)))
        .get_result::<bool>(&mut conn)
        .await
        .map_err(DbError::from)?;
    if !type_exists {
        return Err(ApiError::not_found("group type", typeid));
    }
    let mut query = groups::table.filter(groups::typeid.eq(typeid)).into_boxed();
    if let Some(localid) = localid {
        query = query.filter(groups::localid.eq(localid));
    }
    Ok(query
        .order(groups::id)
        .limit(page.limit)
        .offset(page.offset)
        .select(Group::as_select())
        .load(&mut conn)
        .await
        .map_err(DbError::from)?)
}

/// Groups a user holds any permission in; 404 when the user does not exist.
pub async fn of_user(pool: &Pool, userid: Uuid) -> Result<Vec<Group>, ApiError> {
    let mut conn = conn(pool).await?;
    let user_exists = diesel::select(diesel::dsl::exists(users::table.find(userid)))
        .get_result::<bool>(&mut conn)
        .await
        .map_err(DbError::from)?;
    if !user_exists {
        return Err(ApiError::not_found("user", userid));
    }
    let member_of = gup::table
        .filter(gup::userid.eq(userid))
        .select(gup::groupid);
    Ok(groups::table
        .filter(groups::id.eq_any(member_of))
        .order(groups::id)
        .select(Group::as_select())
        .load(&mut conn)
        .await
        .map_err(DbError::from)?)
}

pub async fn get(pool: &Pool, id: Uuid) -> Result<Group, ApiError> {
    let mut conn = conn(pool).await?;
    groups::table
        .find(id)
        .select(Group::as_select())
        .first(&mut conn)
        .await
        .optional()
        .map_err(DbError::from)?
        .ok_or_else(|| ApiError::not_found("group", id))
}

/// The id of the group with this exact name (names are unique).
pub async fn id_by_name(pool: &Pool, name: &str) -> Result<Uuid, ApiError> {
    let mut conn = conn(pool).await?;
    groups::table
        .filter(groups::name.eq(name))
        .select(groups::id)
        .first(&mut conn)
        .await
        .optional()
        .map_err(DbError::from)?
        .ok_or_else(|| ApiError::NotFound(format!("no group is named {name:?}")))
}

pub async fn create(pool: &Pool, input: GroupInput) -> Result<Group, ApiError> {
    let mut conn = conn(pool).await?;
    Ok(outbox::wake_after_commit(
        conn.transaction::<_, DbError, _>(async |conn| {
            let row = diesel::insert_into(groups::table)
                .values((
                    groups::id.eq(Uuid::now_v7()),
                    groups::name.eq(&input.name),
                    groups::typeid.eq(input.typeid),
                    groups::localid.eq(&input.localid),
                ))
                .returning(Group::as_returning())
                .get_result(conn)
                .await?;
            outbox::append(conn, &[event(events::GROUP_CREATED, row.id, &row)]).await?;
            Ok(row)
        })
        .await,
    )?)
}

pub async fn update(pool: &Pool, id: Uuid, input: GroupInput) -> Result<Group, ApiError> {
    let mut conn = conn(pool).await?;
    outbox::wake_after_commit(
        conn.transaction::<_, DbError, _>(async |conn| {
            let row = diesel::update(groups::table.find(id))
                .set((
                    groups::name.eq(&input.name),
                    groups::typeid.eq(input.typeid),
                    groups::localid.eq(&input.localid),
                    groups::updated.eq(diesel::dsl::now),
                ))
                .returning(Group::as_returning())
                .get_result(conn)
                .await
                .optional()?;
            if let Some(row) = &row {
                outbox::append(conn, &[event(events::GROUP_UPDATED, row.id, row)]).await?;
            }
            Ok(row)
        })
        .await,
    )?
    .ok_or_else(|| ApiError::not_found("group", id))
}

/// Deletes the group and, first, its assignments, each with its own `revoked` event.
///
/// The group row is locked first so no assignment can be added between the two deletes (an insert's foreign-key
/// check needs a lock the `FOR UPDATE` holds).
pub async fn delete(pool: &Pool, id: Uuid) -> Result<(), ApiError> {
    let mut conn = conn(pool).await?;
    outbox::wake_after_commit(
        conn.transaction::<_, DbError, _>(async |conn| {
            let locked = groups::table
                .find(id)
                .select(groups::id)
                .for_update()
                .first::<Uuid>(conn)
                .await
                .optional()?;
            if locked.is_none() {
                return Ok(None);
            }
            let revoked = diesel::delete(gup::table.filter(gup::groupid.eq(id)))
                .returning(Assignment::as_returning())
                .get_results(conn)
                .await?;
            let row = diesel::delete(groups::table.find(id))
                .returning(Group::as_returning())
                .get_result(conn)
                .await?;
            let emitted = events::cascade(&revoked, event(events::GROUP_DELETED, row.id, &row));
            outbox::append(conn, &emitted).await?;
            Ok(Some(row))
        })
        .await,
    )?
    .map(|_| ())
    .ok_or_else(|| ApiError::not_found("group", id))
}
