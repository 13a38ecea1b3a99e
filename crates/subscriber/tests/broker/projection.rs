//! The `permissions_projection` example's logic against the real broker and database: grants and revokes
//! become rows, a redelivered grant changes nothing, and every row commits with its event's dedupe mark.

use crate::helpers::{Bed, Running};
use crate::permissions::{self, Holder};
use diesel_async::RunQueryDsl;
use domain::CloudEvent;
use event_types::EventType;
use event_types::identity::{Assignment, AssignmentGranted, AssignmentRevoked};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// As identity publishes them: subject = the user, data = the assignment (the publisher's own payload type).
fn change<E: EventType<Data = Assignment>>(assignment: &Assignment) -> CloudEvent {
    CloudEvent::of("/identity", E::TYPE, assignment.userid, assignment)
}

fn held(a: &Assignment) -> Holder {
    Holder {
        userid: a.userid,
        groupid: a.groupid,
        permissionid: a.permissionid,
    }
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
        created: chrono::Utc::now(),
        updated: chrono::Utc::now(),
    };
    let granted_write = change::<AssignmentGranted>(&at(alice, write));
    let publisher = bed.publisher().await;
    for event in [
        change::<AssignmentGranted>(&at(alice, read)),
        granted_write.clone(),
        change::<AssignmentGranted>(&at(bob, read)),
        change::<AssignmentRevoked>(&at(alice, read)),
        // Redelivered after the revoke of alice's read: a duplicate, skipped.
        granted_write,
    ] {
        publisher.publish(&event).await;
    }
    let mut expected = vec![held(&at(alice, write)), held(&at(bob, read))];
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
