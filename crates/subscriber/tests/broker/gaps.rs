//! Gap and reorder detection from `subjectversion`: per subject, the next version is normal, a jump is a gap
//! (reported, then processed), a version at or below the last is stale (skipped), no version means no check.

use crate::helpers::{Bed, Running, Seen, event, recorder};
use diesel_async::RunQueryDsl;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use subscriber::Gap;

const CHANGED: &str = "test.thing.changed.v1";

#[derive(diesel::QueryableByName)]
struct Version {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    version: i64,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn versions_one_two_four_report_a_gap_and_late_versions_are_skipped() {
    let bed = Bed::new().await;
    let seen = Seen::default();
    let gaps: Arc<Mutex<Vec<Gap>>> = Arc::default();
    let reported = Arc::clone(&gaps);
    let subscriber = bed
        .builder(bed.pg_store().await)
        .on::<serde_json::Value>(CHANGED, recorder(&seen))
        .on_gap(move |gap| reported.lock().unwrap().push(gap.clone()))
        .build()
        .unwrap();
    let running = Running::live(subscriber).await;
    let publisher = bed.publisher().await;
    let fourth = event(CHANGED, "a", Some(4));
    for published in [
        event(CHANGED, "a", Some(1)),
        event(CHANGED, "a", Some(2)),
        fourth.clone(),
        // Late: version 3 comes after 4 has been processed.
        event(CHANGED, "a", Some(3)),
        // A repeat of an old version under a new id.
        event(CHANGED, "a", Some(2)),
        event(CHANGED, "a", Some(5)),
        // Another subject starts its own line at whatever version it is at: the baseline.
        event(CHANGED, "b", Some(7)),
        // No version: no check.
        event(CHANGED, "c", None),
    ] {
        publisher.publish(&published).await;
    }
    let handled = seen.wait_for(6, Duration::from_secs(10)).await;
    running.stop().await.unwrap();
    let handled: Vec<(String, Option<i64>)> = handled
        .into_iter()
        .map(|event| (event.subject, event.subjectversion))
        .collect();
    assert_eq!(
        handled,
        [
            ("a".to_owned(), Some(1)),
            ("a".to_owned(), Some(2)),
            ("a".to_owned(), Some(4)),
            ("a".to_owned(), Some(5)),
            ("b".to_owned(), Some(7)),
            ("c".to_owned(), None),
        ]
    );
    assert_eq!(
        *gaps.lock().unwrap(),
        [Gap {
            event_id: fourth.id,
            event_type: CHANGED.to_owned(),
            source: "/test".to_owned(),
            subject: "a".to_owned(),
            expected: 3,
            received: 4,
        }]
    );
    assert_eq!(
        bed.settled_depth(&bed.queue).await,
        0,
        "stale events are acked"
    );
    // The last version of each subject is kept in the store, with the dedupe marks.
    let mut db = bed.db().await;
    let kept: Vec<Version> = diesel::sql_query(
        "SELECT version FROM subscriber_subject_versions WHERE scope = $1 ORDER BY subject",
    )
    .bind::<diesel::sql_types::Text, _>(&bed.queue)
    .load(&mut db)
    .await
    .unwrap();
    assert_eq!(kept.iter().map(|v| v.version).collect::<Vec<_>>(), [5, 7]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_detection_off_every_version_is_handled() {
    let bed = Bed::new().await;
    let seen = Seen::default();
    let subscriber = bed
        .builder(subscriber::MemoryStore::new())
        .detect_gaps(false)
        .on::<serde_json::Value>(CHANGED, recorder(&seen))
        .build()
        .unwrap();
    let running = Running::live(subscriber).await;
    let publisher = bed.publisher().await;
    for version in [2, 1, 1] {
        publisher.publish(&event(CHANGED, "a", Some(version))).await;
    }
    seen.wait_for(3, Duration::from_secs(10)).await;
    running.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bound_types_without_a_handler_still_advance_the_version() {
    let bed = Bed::new().await;
    let seen = Seen::default();
    let gaps: Arc<Mutex<Vec<Gap>>> = Arc::default();
    let reported = Arc::clone(&gaps);
    let subscriber = bed
        .builder(bed.pg_store().await)
        .bind("test.thing.*.v1")
        .on::<serde_json::Value>(CHANGED, recorder(&seen))
        .on_gap(move |gap| reported.lock().unwrap().push(gap.clone()))
        .build()
        .unwrap();
    let running = Running::live(subscriber).await;
    let publisher = bed.publisher().await;
    publisher.publish(&event(CHANGED, "a", Some(1))).await;
    publisher
        .publish(&event("test.thing.renamed.v1", "a", Some(2)))
        .await;
    publisher.publish(&event(CHANGED, "a", Some(3))).await;
    seen.wait_for(2, Duration::from_secs(10)).await;
    running.stop().await.unwrap();
    let versions: Vec<Option<i64>> = seen.all().iter().map(|e| e.subjectversion).collect();
    assert_eq!(versions, [Some(1), Some(3)]);
    assert!(
        gaps.lock().unwrap().is_empty(),
        "{:?}",
        gaps.lock().unwrap()
    );
}
