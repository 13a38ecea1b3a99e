//! Groups: create, update, delete with their assignments, and the reads by id, name, local id, type and member.
//! Every group the API shows carries its type's name (`typename`, an extension), read in the statement that reads
//! or writes the group: a join on reads, a subquery in `RETURNING` on writes. Events carry the bare row.

use crate::context::Ctx;
use crate::db::models::{Assignment, Group, ShownGroup};
use crate::db::schema::{group_user_permissions as gup, groups, grouptypes, users};
use crate::error::ApiError;
use crate::events::{self, EMIT, Payload};
use crate::input::GroupInput;
use diesel::expression::SqlLiteral;
use diesel::prelude::*;
use diesel::sql_types::{Nullable, Text};
use diesel_async::{AsyncConnection, RunQueryDsl};
use domain::Paging;
use persistence::db::conn;
use persistence::error::ConflictKind;
use persistence::{DbError, Pool, outbox};
use uuid::Uuid;

/// Groups with their type, as the API shows them.
fn shown() -> diesel::dsl::InnerJoin<groups::table, grouptypes::table> {
    groups::table.inner_join(grouptypes::table)
}

/// The written group's type name, in the `RETURNING` of the statement that wrote it (a scalar subquery on the
/// row's new `typeid`). `NULL` only when the type is not visible to that statement (committed after it began,
/// though before its foreign-key check): see [`type_not_visible`].
fn returned_typename() -> SqlLiteral<Nullable<Text>> {
    diesel::dsl::sql("(SELECT grouptypes.name FROM grouptypes WHERE grouptypes.id = groups.typeid)")
}

/// What a write whose statement could not see the group's type fails with, rolling it back: the refusal the
/// `typeid` foreign key gives a type that does not exist (409), as it did not when the statement began.
fn type_not_visible() -> DbError {
    DbError::Conflict {
        kind: ConflictKind::ForeignKey,
        constraint: "groups_typeid_fkey".to_owned(),
    }
}

/// One page of groups in `id` order (the primary key), after `paging.after` or at `offset`.
pub async fn list(pool: &Pool, paging: Paging<Uuid>) -> Result<Vec<ShownGroup>, ApiError> {
    let mut conn = conn(pool).await?;
    Ok(page_of(shown().into_boxed(), paging)
        .select(ShownGroup::as_select())
        .load(&mut conn)
        .await
        .map_err(DbError::from)?)
}

/// Groups carrying a local id (not unique: several groups may share one), in `id` order (`groups_localid_id`).
pub async fn by_localid(
    pool: &Pool,
    localid: &str,
    paging: Paging<Uuid>,
) -> Result<Vec<ShownGroup>, ApiError> {
    let mut conn = conn(pool).await?;
    let query = shown().filter(groups::localid.eq(localid)).into_boxed();
    Ok(page_of(query, paging)
        .select(ShownGroup::as_select())
        .load(&mut conn)
        .await
        .map_err(DbError::from)?)
}

/// Groups of one type, optionally narrowed to a local id, in `id` order (`groups_typeid_id`,
/// `groups_typeid_localid_id`); 404 when the type does not exist.
pub async fn by_type(
    pool: &Pool,
    typeid: i32,
    localid: Option<&str>,
    paging: Paging<Uuid>,
) -> Result<Vec<ShownGroup>, ApiError> {
    let mut conn = conn(pool).await?;
    let type_exists = diesel::select(diesel::dsl::exists(grouptypes::table.find(typeid)))
        .get_result::<bool>(&mut conn)
        .await
        .map_err(DbError::from)?;
    if !type_exists {
        return Err(ApiError::not_found("group type", typeid));
    }
    let mut query = shown().filter(groups::typeid.eq(typeid)).into_boxed();
    if let Some(localid) = localid {
        query = query.filter(groups::localid.eq(localid));
    }
    Ok(page_of(query, paging)
        .select(ShownGroup::as_select())
        .load(&mut conn)
        .await
        .map_err(DbError::from)?)
}

/// A filtered group list's page: `id` order, after the keyset cursor or at the offset; the same order both ways.
fn page_of<'a>(query: ShownQuery<'a>, paging: Paging<Uuid>) -> ShownQuery<'a> {
    let query = match paging.after {
        Some(after) => query.filter(groups::id.gt(after)),
        None => query,
    };
    query
        .order(groups::id)
        .limit(paging.page.limit)
        .offset(paging.page.offset)
}

type ShownQuery<'a> = diesel::dsl::IntoBoxed<
    'a,
    diesel::dsl::InnerJoin<groups::table, grouptypes::table>,
    diesel::pg::Pg,
>;

/// Groups a user holds any permission in; 404 when the user does not exist.
pub async fn of_user(pool: &Pool, userid: Uuid) -> Result<Vec<ShownGroup>, ApiError> {
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
    Ok(shown()
        .filter(groups::id.eq_any(member_of))
        .order(groups::id)
        .select(ShownGroup::as_select())
        .load(&mut conn)
        .await
        .map_err(DbError::from)?)
}

pub async fn get(pool: &Pool, id: Uuid) -> Result<ShownGroup, ApiError> {
    let mut conn = conn(pool).await?;
    shown()
        .filter(groups::id.eq(id))
        .select(ShownGroup::as_select())
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

pub async fn create(pool: &Pool, ctx: &Ctx, input: GroupInput) -> Result<ShownGroup, ApiError> {
    let mut conn = conn(pool).await?;
    Ok(outbox::wake_after_commit(
        conn.transaction::<_, DbError, _>(async |conn| {
            let (row, version, typename) = diesel::insert_into(groups::table)
                .values((
                    groups::id.eq(Uuid::now_v7()),
                    groups::name.eq(&input.name),
                    groups::typeid.eq(input.typeid),
                    groups::localid.eq(&input.localid),
                ))
                .returning((Group::as_returning(), groups::version, returned_typename()))
                .get_result::<(Group, i64, Option<String>)>(conn)
                .await?;
            let typename = typename.ok_or_else(type_not_visible)?;
            events::append(
                conn,
                &[EMIT.event::<events::GroupCreated>(ctx, row.id, &row.payload(), version)],
            )
            .await?;
            Ok(ShownGroup::new(row, typename))
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
) -> Result<ShownGroup, ApiError> {
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
            let (row, version, typename) = diesel::update(groups::table.find(id))
                .set((
                    groups::name.eq(&input.name),
                    groups::typeid.eq(input.typeid),
                    groups::localid.eq(&input.localid),
                    groups::updated.eq(diesel::dsl::now),
                    groups::version.eq(groups::version + 1),
                ))
                .returning((Group::as_returning(), groups::version, returned_typename()))
                .get_result::<(Group, i64, Option<String>)>(conn)
                .await?;
            let typename = typename.ok_or_else(type_not_visible)?;
            let emitted = events::EMIT.updated::<events::GroupUpdated>(
                ctx,
                row.id,
                &before.payload(),
                &row.payload(),
                version,
            );
            events::append(conn, &[emitted]).await?;
            Ok(Some(ShownGroup::new(row, typename)))
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
