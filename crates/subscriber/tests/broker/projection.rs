//! The `permissions_projection` example's logic against the real broker and database: grants and revokes
//! become rows, a redelivered grant changes nothing, and every row commits with its event's dedupe mark.

use crate::helpers::{Bed, Running};
use crate::permissions::{self, Assignment, GRANTED, REVOKED};
use diesel_async::RunQueryDsl;
use domain::CloudEvent;
use std::time::{Duration, Instant};
use uuid::Uuid;

fn change(event_type: &str, assignment: Assignment) -> CloudEvent {
    // As identity publishes them: subject = the user, data = the assignment as the API shows it.
    CloudEvent::of(
        "/identity",
        event_type,
        assignment.userid,
        &serde_json::json!({
            "userid": assignment.userid,
            "groupid": assignment.groupid,
            "permissionid": assignment.permissionid,
            "created": "2026-01-01T00:00:00.000000Z",
            "updated": "2026-01-01T00:00:00.000000Z",
        }),
    )
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn assignments_are_projected_once_each_with_their_dedupe_marks() {
    let bed = Bed::new().await;
    let mut db = bed.db().await;
    permissions::create_table(&mut db).await.unwrap();
    let store = bed.pg_store().await;
    let running = Running::live(permissions::register(bed.builder(store)).build().unwrap()).await;
    let (alice, bob) = (Uuid::now_v7(), Uuid::now_v7());
    let (group, read, write) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    let at = |userid, permissionid| Assignment {
        userid,
        groupid: group,
        permissionid,
    };
    let granted_write = change(GRANTED, at(alice, write));
    let publisher = bed.publisher().await;
    for event in [
        change(GRANTED, at(alice, read)),
        granted_write.clone(),
        change(GRANTED, at(bob, read)),
        change(REVOKED, at(alice, read)),
        // Redelivered after the revoke of alice's read: a duplicate, skipped.
        granted_write,
    ] {
        publisher.publish(&event).await;
    }
    let mut expected = vec![at(alice, write), at(bob, read)];
    expected.sort();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let marks: Count = diesel::sql_query("SELECT count(*) AS n FROM subscriber_processed")
            .get_result(&mut db)
            .await
            .unwrap();
        if marks.n == 4 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{} of 4 events processed",
            marks.n
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    running.stop().await.unwrap();
    assert_eq!(bed.settled_depth(&bed.queue).await, 0);
    assert_eq!(permissions::holders(&mut db).await.unwrap(), expected);
}
