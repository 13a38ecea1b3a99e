use crate::helpers::{KEY, TestApp, assert_problem};
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use test_support::BrokerProxy;

const WAIT: Duration = Duration::from_secs(15);

/// Drives the API (and the B2C connector, which is how users come to be) through a change of every kind, and
/// checks each published event against its catalogue schema: one sample of each of `events::ALL`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sample_of_every_event_type_matches_its_catalogue_schema() {
    let app = TestApp::spawn().await;
    let mut bus = app.subscribe().await;
    let ok =
        |status: reqwest::StatusCode, what: &str| assert!(status.is_success(), "{what}: {status}");

    let typeid = app.create_grouptype("T").await["id"].as_i64().unwrap();
    let grouptype = format!("/grouptypes/{typeid}");
    ok(
        app.put(&grouptype, &json!({ "name": "T2" })).await.status(),
        "rename type",
    );
    // With a trace context, so the `traceparent` pattern is checked on a real value.
    let created = app
        .client
        .post(app.api("/groups"))
        .header("x-functions-key", KEY)
        .header(
            "traceparent",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        )
        .json(&json!({ "name": "G", "typeid": typeid, "localid": "L" }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let gid = created.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let group = format!("/groups/{gid}");
    // No `localid`: it becomes null, a nullable field's other value.
    ok(
        app.put(&group, &json!({ "name": "G2", "typeid": typeid }))
            .await
            .status(),
        "update group",
    );
    let pid = app.create_permission("Read").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let permission = format!("/permissions/{pid}");
    ok(
        app.put(&permission, &json!({ "name": "Write" }))
            .await
            .status(),
        "rename permission",
    );

    let oid = uuid::Uuid::new_v4().to_string();
    let token = json!({
        "email": "sample@example.com", "givenName": "Sam", "surname": "Ple", "country": "US",
        "identities": [], "step": "PreTokenIssuance", "client_id": "3e945e86-81cb-4736-a81e-ee85cffdcdf6", "objectId": oid,
    });
    ok(app.post("/b2c/token", &token).await.status(), "b2c token");
    let user = format!("/users/{oid}");
    // Only the email: the optional fields become null.
    ok(
        app.put(&user, &json!({ "email": "sample@example.com" }))
            .await
            .status(),
        "update user",
    );
    let grant = format!("/users/{oid}/groups/{gid}/permissions/{pid}");
    assert_eq!(app.post_empty(&grant).await.status(), 201);
    ok(app.delete(&grant).await.status(), "revoke");
    for path in [&permission, &group, &grouptype, &user] {
        assert_eq!(app.delete(path).await.status(), 204, "deleting {path}");
    }

    // The 14 changes above (a fixed count: a type added to `events::ALL` fails on its missing sample below).
    let received = bus.take(14, WAIT).await;
    bus.assert_quiet(Duration::from_millis(500)).await;
    test_support::catalogue::assert_covered(
        identity::events::ALL,
        received.iter().map(|r| &r.event),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscriber_receives_each_change_in_commit_order_with_its_payload() {
    let app = TestApp::spawn().await;
    let mut bus = app.subscribe().await;

    let grouptype = app.create_grouptype("CUSTOMER").await;
    let typeid = grouptype["id"].as_i64().unwrap();
    let group = app.create_group("G", typeid, Some("L")).await;
    let gid = group["id"].as_str().unwrap().to_owned();
    let renamed: Value = app
        .put(
            &format!("/groups/{gid}"),
            &json!({ "name": "G2", "typeid": typeid }),
        )
        .await
        .json()
        .await
        .unwrap();
    let permission = app.create_permission("Read").await;
    let pid = permission["id"].as_str().unwrap().to_owned();
    let user = app.seed_user("u@example.com").await;
    let path = format!("/users/{}/groups/{gid}/permissions/{pid}", user.oid);
    let granted: Value = app.post_empty(&path).await.json().await.unwrap();
    assert_eq!(
        app.post_empty(&path).await.status(),
        200,
        "no event for an existing grant"
    );
    assert_eq!(app.delete(&format!("/groups/{gid}")).await.status(), 204);

    let received = bus.take(7, WAIT).await;
    let types: Vec<&str> = received
        .iter()
        .map(|r| r.event["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        vec![
            "identity.grouptype.created.v1",
            "identity.group.created.v1",
            "identity.group.updated.v1",
            "identity.permission.created.v1",
            "identity.user.created.v1",
            "identity.assignment.granted.v1",
            "identity.assignment.revoked.v1",
        ]
    );
    bus.take(1, WAIT).await.iter().for_each(|r| {
        assert_eq!(r.event["type"], "identity.group.deleted.v1");
        assert_eq!(r.event["data"]["id"], gid.as_str());
    });
    bus.assert_quiet(Duration::from_millis(500)).await;

    assert_eq!(received[0].event["data"], grouptype);
    // A group's data is the group as the API shows it less `typename`, an extension of the API only, with the
    // `localid` the API leaves out when there is none as the payload's null.
    let without_typename = |shown: &Value| {
        assert_eq!(shown["typename"], "CUSTOMER", "{shown}");
        let mut data = shown.clone();
        let object = data.as_object_mut().unwrap();
        object.remove("typename");
        object.entry("localid").or_insert(Value::Null);
        data
    };
    assert_eq!(received[1].event["data"], without_typename(&group));
    assert_eq!(received[2].event["data"], without_typename(&renamed));
    assert!(received[1].event["data"].get("typename").is_none());
    assert_eq!(received[3].event["data"], permission);
    assert_eq!(received[4].event["data"]["oid"], user.oid.to_string());
    assert_eq!(received[5].event["data"], granted);
    assert_eq!(received[6].event["data"]["permissionid"], pid.as_str());

    for r in &received {
        let event = &r.event;
        assert_eq!(event["specversion"], "1.0");
        assert_eq!(event["source"], "/identity");
        let id = uuid::Uuid::try_parse(event["id"].as_str().unwrap()).unwrap();
        assert_eq!(id.get_version_num(), 7);
        assert_eq!(r.message_id.as_deref(), Some(id.to_string().as_str()));
        assert_eq!(r.routing_key, event["type"].as_str().unwrap());
        assert!(r.persistent, "persistent delivery mode");
        assert_eq!(
            r.content_type.as_deref(),
            Some("application/cloudevents+json")
        );
        chrono::DateTime::parse_from_rfc3339(event["time"].as_str().unwrap()).unwrap();
    }
    assert_eq!(received[1].event["subject"], gid.as_str());
    assert_eq!(received[5].event["subject"], user.oid.to_string());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_write_emits_nothing() {
    let app = TestApp::spawn().await;
    let mut bus = app.subscribe().await;
    app.create_permission("Read").await;
    assert_problem(
        app.post("/permissions", &json!({ "name": "Read" })).await,
        409,
    )
    .await;
    assert_problem(
        app.post("/groups", &json!({ "name": "G", "typeid": 12345 }))
            .await,
        409,
    )
    .await;
    let typeid = app.create_grouptype("T").await["id"].as_i64().unwrap();
    app.create_group("G", typeid, None).await;
    assert_problem(app.delete(&format!("/grouptypes/{typeid}")).await, 409).await;
    let received = bus.take(3, WAIT).await;
    let types: Vec<&str> = received
        .iter()
        .map(|r| r.event["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        vec![
            "identity.permission.created.v1",
            "identity.grouptype.created.v1",
            "identity.group.created.v1"
        ]
    );
    bus.assert_quiet(Duration::from_millis(800)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_deletion_revokes_each_assignment_then_deletes() {
    let app = TestApp::spawn().await;
    let typeid = app.create_grouptype("T").await["id"].as_i64().unwrap();
    let gid = app.create_group("G", typeid, None).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let read = app.create_permission("Read").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let write = app.create_permission("Write").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let user = app.seed_user("u@example.com").await;
    for p in [&read, &write] {
        assert_eq!(
            app.post_empty(&format!("/users/{}/groups/{gid}/permissions/{p}", user.oid))
                .await
                .status(),
            201
        );
    }
    let mut bus = app.subscribe().await;
    assert_eq!(
        app.delete(&format!("/users/{}", user.oid)).await.status(),
        204
    );
    let received = bus.take(3, WAIT).await;
    let types: Vec<&str> = received
        .iter()
        .map(|r| r.event["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        vec![
            "identity.assignment.revoked.v1",
            "identity.assignment.revoked.v1",
            "identity.user.deleted.v1"
        ]
    );
    assert_eq!(received[2].event["data"]["email"], "u@example.com");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broker_outage_does_not_slow_writes_and_the_backlog_drains_once() {
    let proxy = BrokerProxy::start().await;
    let url = proxy.url();
    let app = TestApp::spawn_with(|s| s.common.bus.url = url).await;
    let mut bus = app.subscribe().await;

    // Broker unreachable: writes succeed without waiting for it.
    let started = Instant::now();
    let mut names = Vec::new();
    for i in 0..40 {
        let name = format!("perm-{i:02}");
        app.create_permission(&name).await;
        names.push(name);
    }
    let elapsed = started.elapsed();
    assert!(
        elapsed < Duration::from_secs(5),
        "40 writes took {elapsed:?} with the broker down"
    );

    let ready: Value = app
        .client
        .get(format!("{}/readyz", app.address))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        ready["status"], "ready",
        "broker loss does not fail readiness"
    );
    assert_ne!(ready["broker"], "connected");
    bus.assert_quiet(Duration::from_millis(1500)).await;

    // The backlog is visible while it waits.
    let metrics = app
        .client
        .get(format!("{}/metrics", app.address))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("outbox_backlog"), "{metrics}");

    // Broker back: everything arrives, in order, exactly once.
    proxy.bring_up();
    let received = bus.take(40, Duration::from_secs(30)).await;
    let got: Vec<&str> = received
        .iter()
        .map(|r| r.event["data"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(got, names.iter().map(String::as_str).collect::<Vec<_>>());
    let mut ids: Vec<&str> = received
        .iter()
        .map(|r| r.event["id"].as_str().unwrap())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 40, "no duplicates");
    bus.assert_quiet(Duration::from_millis(1500)).await;

    let ready: Value = app
        .client
        .get(format!("{}/readyz", app.address))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ready["broker"], "connected");
}
