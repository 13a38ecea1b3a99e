//! The "who holds which permission where" projection: identity's assignment events kept as rows
//! `(userid, groupid, permissionid)` in the subscriber's own database, each change written in the event's
//! transaction, so the row and the event's dedupe mark commit together.
//!
//! Shared by the `permissions_projection` example and its test (`tests/broker/projection.rs`).

use diesel::sql_types::Uuid as SqlUuid;
use diesel_async::{AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use event_types::identity::{AssignmentGranted, AssignmentRevoked};
use subscriber::{Builder, PgStore, boxed};
use uuid::Uuid;

/// A row of the projection: who holds which permission where.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, diesel::QueryableByName)]
pub struct Holder {
    #[diesel(sql_type = SqlUuid)]
    pub userid: Uuid,
    #[diesel(sql_type = SqlUuid)]
    pub groupid: Uuid,
    #[diesel(sql_type = SqlUuid)]
    pub permissionid: Uuid,
}

/// The projection's table, created if missing.
pub async fn create_table(conn: &mut AsyncPgConnection) -> Result<(), diesel::result::Error> {
    conn.batch_execute(
        "CREATE TABLE IF NOT EXISTS permission_holders (
             userid       uuid NOT NULL,
             groupid      uuid NOT NULL,
             permissionid uuid NOT NULL,
             PRIMARY KEY (userid, groupid, permissionid)
         )",
    )
    .await
}

/// Binds the queue and registers the projection's handlers.
///
/// The user events are bound too, without handlers: identity counts a user's versions (`subjectversion`, the
/// subject being the user) across its user and assignment events, so the version line is complete only with
/// both, and a gap then really means a missed change. Both handlers are idempotent on their own (a grant of a
/// held permission and a revoke of one not held change nothing); dedupe is what keeps a replayed old grant from
/// resurrecting a permission revoked since, and the stale-version check what keeps a late one from doing so.
pub fn register(builder: Builder<PgStore>) -> Builder<PgStore> {
    builder
        .bind("identity.assignment.*.v1")
        .bind("identity.user.*.v1")
        .handle::<AssignmentGranted>(|conn, event| {
            boxed(async move {
                let a = event.data;
                diesel::sql_query(
                    "INSERT INTO permission_holders (userid, groupid, permissionid) VALUES ($1, $2, $3) \
                     ON CONFLICT DO NOTHING",
                )
                .bind::<SqlUuid, _>(a.userid)
                .bind::<SqlUuid, _>(a.groupid)
                .bind::<SqlUuid, _>(a.permissionid)
                .execute(conn)
                .await?;
                Ok(())
            })
        })
        .handle::<AssignmentRevoked>(|conn, event| {
            boxed(async move {
                let a = event.data;
                diesel::sql_query(
                    "DELETE FROM permission_holders WHERE userid = $1 AND groupid = $2 AND permissionid = $3",
                )
                .bind::<SqlUuid, _>(a.userid)
                .bind::<SqlUuid, _>(a.groupid)
                .bind::<SqlUuid, _>(a.permissionid)
                .execute(conn)
                .await?;
                Ok(())
            })
        })
}

/// Everyone's permissions, ordered.
#[allow(dead_code)] // the example prints a count; the test reads the rows
pub async fn holders(conn: &mut AsyncPgConnection) -> Result<Vec<Holder>, diesel::result::Error> {
    diesel::sql_query(
        "SELECT userid, groupid, permissionid FROM permission_holders ORDER BY userid, groupid, permissionid",
    )
    .load(conn)
    .await
}
