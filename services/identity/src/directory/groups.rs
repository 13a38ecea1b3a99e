//! Groups: create, update, delete with their assignments, and the reads by id, name, local id, type and member.

use crate::context::Ctx;
use crate::db::models::{Assignment, Group};
use crate::db::schema::{group_user_permissions as gup, groups, grouptypes, users};
use crate::error::ApiError;
use crate::events::{self, EMIT, Payload};
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

pub async fn create(pool: &Pool, ctx: &Ctx, input: GroupInput) -> Result<Group, ApiError> {
    let mut conn = conn(pool).await?;
    Ok(outbox::wake_after_commit(
        conn.transaction::<_, DbError, _>(async |conn| {
            let (row, version) = diesel::insert_into(groups::table)
                .values((
                    groups::id.eq(Uuid::now_v7()),
                    groups::name.eq(&input.name),
                    groups::typeid.eq(input.typeid),
                    groups::localid.eq(&input.localid),
                ))
                .returning((Group::as_returning(), groups::version))
                .get_result::<(Group, i64)>(conn)
                .await?;
            events::append(
                conn,
                &[EMIT.event::<events::GroupCreated>(ctx, row.id, &row.payload(), version)],
            )
            .await?;
            Ok(row)
        })
        .await,
    )?)
}

/// Locks the group as it is (the `changes` of the event), then updates it and bumps its version.
pub async fn update(
    pool: &Pool,
    ctx: &Ctx,
    id: Uuid,
    input: GroupInput,
) -> Result<Group, ApiError> {
    let mut conn = conn(pool).await?;
    outbox::wake_after_commit(
        conn.transaction::<_, DbError, _>(async |conn| {
            let before = groups::table
                .find(id)
                .select(Group::as_select())
                .for_update()
                .first(conn)
                .await
                .optional()?;
            let Some(before) = before else {
                return Ok(None);
            };
            let (row, version) = diesel::update(groups::table.find(id))
                .set((
                    groups::name.eq(&input.name),
                    groups::typeid.eq(input.typeid),
                    groups::localid.eq(&input.localid),
                    groups::updated.eq(diesel::dsl::now),
                    groups::version.eq(groups::version + 1),
                ))
                .returning((Group::as_returning(), groups::version))
                .get_result::<(Group, i64)>(conn)
                .await?;
            let emitted = events::EMIT.updated::<events::GroupUpdated>(
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
    .ok_or_else(|| ApiError::not_found("group", id))
}

/// Deletes the group and, first, its assignments, each with its own `revoked` event carrying its user's next
/// version (each member's version is bumped by its number of revoked assignments).
///
/// Locks, in the order every write takes them (subject row before assignment rows): the group first, so no
/// assignment can be added between the statements (an insert's foreign-key check needs a lock the `FOR UPDATE`
/// holds); then its members, as a revocation (which bumps its user before deleting) and a user deletion do.
pub async fn delete(pool: &Pool, ctx: &Ctx, id: Uuid) -> Result<(), ApiError> {
    let mut conn = conn(pool).await?;
    outbox::wake_after_commit(
        conn.transaction::<_, DbError, _>(async |conn| {
            let locked = groups::table
                .find(id)
                .select(groups::version)
                .for_update()
                .first::<i64>(conn)
                .await
                .optional()?;
            let Some(version) = locked else {
                return Ok(None);
            };
            let members = gup::table.filter(gup::groupid.eq(id)).select(gup::userid);
            users::table
                .filter(users::oid.eq_any(members))
                .select(users::oid)
                .for_no_key_update()
                .load::<Uuid>(conn)
                .await?;
            let revoked = diesel::delete(gup::table.filter(gup::groupid.eq(id)))
                .returning(Assignment::as_returning())
                .get_results(conn)
                .await?;
            let after = super::bump_users(conn, &revoked).await?;
            let row = diesel::delete(groups::table.find(id))
                .returning(Group::as_returning())
                .get_result(conn)
                .await?;
            let mut emitted = events::cascade(ctx, &revoked, &after);
            emitted.push(EMIT.event::<events::GroupDeleted>(
                ctx,
                row.id,
                &row.payload(),
                version + 1,
            ));
            events::append(conn, &emitted).await?;
            Ok(Some(row))
        })
        .await,
    )?
    .map(|_| ())
    .ok_or_else(|| ApiError::not_found("group", id))
}
