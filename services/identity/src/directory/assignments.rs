//! Assignments (a permission a user holds within a group): read, grant idempotently, revoke; each change with
//! its event, whose subject is the user so one person's grants and revocations keep their order.

use super::TxError;
use crate::context::Ctx;
use crate::db::models::Assignment;
use crate::db::schema::{group_user_permissions as gup, users};
use crate::error::ApiError;
use crate::events::{self, EMIT, Payload};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use persistence::db::conn;
use persistence::{DbError, Pool, outbox};
use uuid::Uuid;

/// The three ids of one assignment, as the URI names them.
#[derive(Debug, Clone, Copy)]
pub struct Key {
    pub userid: Uuid,
    pub groupid: Uuid,
    pub permissionid: Uuid,
}

fn find(key: Key) -> gup::BoxedQuery<'static, diesel::pg::Pg> {
    gup::table
        .filter(gup::userid.eq(key.userid))
        .filter(gup::groupid.eq(key.groupid))
        .filter(gup::permissionid.eq(key.permissionid))
        .into_boxed()
}

fn not_assigned() -> ApiError {
    ApiError::NotFound(
        "that permission is not assigned to the user in that group (or one of them does not exist)"
            .to_owned(),
    )
}

pub async fn get(pool: &Pool, key: Key) -> Result<Assignment, ApiError> {
    let mut conn = conn(pool).await?;
    find(key)
        .select(Assignment::as_select())
        .first(&mut conn)
        .await
        .optional()
        .map_err(DbError::from)?
        .ok_or_else(not_assigned)
}

/// Whether a grant created the assignment or found it already there.
pub enum Granted {
    Created(Assignment),
    Existing(Assignment),
}

/// Grants idempotently: the insert skips an existing row, and a missing user, group or permission surfaces as
/// its foreign key, answered 404 naming which. A new grant bumps the user's version (its event's subject).
pub async fn grant(pool: &Pool, ctx: &Ctx, key: Key) -> Result<Granted, ApiError> {
    let mut conn = conn(pool).await?;
    let outcome = outbox::wake_after_commit(
        conn.transaction::<_, DbError, _>(async |conn| {
            let created = diesel::insert_into(gup::table)
                .values((
                    gup::userid.eq(key.userid),
                    gup::groupid.eq(key.groupid),
                    gup::permissionid.eq(key.permissionid),
                ))
                .on_conflict_do_nothing()
                .returning(Assignment::as_returning())
                .get_result(conn)
                .await
                .optional()?;
            if let Some(row) = created {
                let version = bump_user(conn, key.userid).await?;
                let subject = events::assignment_subject(&row);
                let emitted =
                    EMIT.event::<events::AssignmentGranted>(ctx, subject, &row.payload(), version);
                events::append(conn, &[emitted]).await?;
                return Ok(Granted::Created(row));
            }
            let existing = find(key)
                .select(Assignment::as_select())
                .first(conn)
                .await?;
            Ok(Granted::Existing(existing))
        })
        .await,
    );
    outcome.map_err(|err| match err {
        DbError::Conflict { ref constraint, .. } => match constraint.as_str() {
            "gup_userid_fkey" => ApiError::not_found("user", key.userid),
            "gup_groupid_fkey" => ApiError::not_found("group", key.groupid),
            "gup_permissionid_fkey" => ApiError::not_found("permission", key.permissionid),
            _ => err.into(),
        },
        other => other.into(),
    })
}

/// Revokes: bumps the user's version first (taking the user's row lock before the assignment's, the order
/// `users::delete` and `groups::delete` take them), then deletes; nothing to delete rolls the bump back.
pub async fn revoke(pool: &Pool, ctx: &Ctx, key: Key) -> Result<(), ApiError> {
    let mut conn = conn(pool).await?;
    let outcome = outbox::wake_after_commit(
        conn.transaction::<_, TxError, _>(async |conn| {
            let version = diesel::update(users::table.find(key.userid))
                .set(users::version.eq(users::version + 1))
                .returning(users::version)
                .get_result::<i64>(conn)
                .await
                .optional()?
                .ok_or(TxError::Absent)?;
            let row = diesel::delete(
                gup::table
                    .filter(gup::userid.eq(key.userid))
                    .filter(gup::groupid.eq(key.groupid))
                    .filter(gup::permissionid.eq(key.permissionid)),
            )
            .returning(Assignment::as_returning())
            .get_result(conn)
            .await
            .optional()?
            .ok_or(TxError::Absent)?;
            let subject = events::assignment_subject(&row);
            let emitted =
                EMIT.event::<events::AssignmentRevoked>(ctx, subject, &row.payload(), version);
            events::append(conn, &[emitted]).await?;
            Ok(())
        })
        .await,
    );
    match outcome {
        Ok(()) => Ok(()),
        Err(TxError::Absent) => Err(not_assigned()),
        Err(TxError::Db(err)) => Err(err.into()),
    }
}

/// The user's version after one more change.
async fn bump_user(
    conn: &mut diesel_async::AsyncPgConnection,
    userid: Uuid,
) -> diesel::QueryResult<i64> {
    diesel::update(users::table.find(userid))
        .set(users::version.eq(users::version + 1))
        .returning(users::version)
        .get_result(conn)
        .await
}
