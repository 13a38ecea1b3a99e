//! The events' own attributes (issue 9, self-contained events): `subjectversion` (+1 per change of a subject,
//! an assignment's subject being its user), `actor` (the key's position, the connector, the system),
//! `traceparent` (copied from a valid request header) and `changes` on updates.

use std::time::Duration;

use serde_json::{Value, json};
use test_support::broker::Received;

use crate::helpers::{KEY, TestApp};

const WAIT: Duration = Duration::from_secs(15);
const TRACE: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

fn types(received: &[Received]) -> Vec<&str> {
    received
        .iter()
        .map(|r| r.event["type"].as_str().unwrap())
        .collect()
}

fn versions(received: &[Received]) -> Vec<i64> {
    received
        .iter()
        .map(|r| r.event["subjectversion"].as_i64().unwrap())
        .collect()
}

/// The versions of the events about `subject`, in arrival order.
fn versions_of(received: &[Received], subject: &str) -> Vec<i64> {
    received
        .iter()
        .filter(|r| r.event["subject"] == subject)
        .map(|r| r.event["subjectversion"].as_i64().unwrap())
        .collect()
}

fn changes(received: &Received) -> Value {
    serde_json::from_str(
        received.event["changes"]
            .as_str()
            .expect("changes is a string"),
    )
    .unwrap()
}

fn grant_path(user: &str, group: &str, permission: &str) -> String {
    format!("/users/{user}/groups/{group}/permissions/{permission}")
}

fn id(value: &Value) -> String {
    match &value["id"] {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn versions_rise_by_exactly_one_per_change_of_each_subject() {
    let app = TestApp::spawn().await;
    let mut bus = app.subscribe().await;

    let grouptype = app.create_grouptype("T").await;
    let typeid = grouptype["id"].as_i64().unwrap();
    let t = id(&grouptype);
    assert_eq!(
        app.put(&format!("/grouptypes/{t}"), &json!({"name": "T2"}))
            .await
            .status(),
        200
    );
    let g = id(&app.create_group("G", typeid, None).await);
    for name in ["G2", "G3"] {
        let body = json!({"name": name, "typeid": typeid});
        assert_eq!(app.put(&format!("/groups/{g}"), &body).await.status(), 200);
    }
    assert_eq!(app.delete(&format!("/groups/{g}")).await.status(), 204);
    assert_eq!(app.delete(&format!("/grouptypes/{t}")).await.status(), 204);
    let p = id(&app.create_permission("Read").await);
    assert_eq!(
        app.put(&format!("/permissions/{p}"), &json!({"name": "Write"}))
            .await
            .status(),
        200
    );
    assert_eq!(app.delete(&format!("/permissions/{p}")).await.status(), 204);
    let user = app.seed_user("u@example.com").await;
    let u = user.oid.to_string();
    let body = json!({"email": "u@example.com", "firstname": "New"});
    assert_eq!(app.put(&format!("/users/{u}"), &body).await.status(), 200);
    assert_eq!(app.delete(&format!("/users/{u}")).await.status(), 204);

    let received = bus.take(13, WAIT).await;
    bus.assert_quiet(Duration::from_millis(500)).await;
    assert_eq!(
        versions_of(&received, &t),
        vec![1, 2, 3],
        "{:?}",
        types(&received)
    );
    assert_eq!(versions_of(&received, &g), vec![1, 2, 3, 4]);
    assert_eq!(versions_of(&received, &p), vec![1, 2, 3]);
    assert_eq!(versions_of(&received, &u), vec![1, 2, 3]);
    // A refused change (404, 409) changes no version.
    let body = json!({"name": "X", "typeid": 424242});
    assert_eq!(app.post("/groups", &body).await.status(), 409);
    assert_eq!(app.delete(&format!("/users/{u}")).await.status(), 404);
    bus.assert_quiet(Duration::from_millis(500)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_users_grants_and_revokes_in_several_groups_carry_consecutive_versions_in_order() {
    let app = TestApp::spawn().await;
    let typeid = app.create_grouptype("T").await["id"].as_i64().unwrap();
    let groups: Vec<String> = futures_util::future::join_all((0..4).map(|i| {
        let app = &app;
        async move { id(&app.create_group(&format!("G{i}"), typeid, None).await) }
    }))
    .await;
    let read = id(&app.create_permission("Read").await);
    let write = id(&app.create_permission("Write").await);
    let u = app.seed_user("u@example.com").await.oid.to_string();
    let mut bus = app.subscribe().await;

    // Sequential changes, with no-ops between them that must not take a version.
    let first = grant_path(&u, &groups[0], &read);
    assert_eq!(app.post_empty(&first).await.status(), 201);
    assert_eq!(
        app.post_empty(&grant_path(&u, &groups[1], &read))
            .await
            .status(),
        201
    );
    assert_eq!(app.post_empty(&first).await.status(), 200, "existing grant");
    assert_eq!(app.delete(&first).await.status(), 204);
    assert_eq!(app.delete(&first).await.status(), 404, "nothing to revoke");
    assert_eq!(
        app.post_empty(&grant_path(&u, &groups[1], &write))
            .await
            .status(),
        201
    );
    let received = bus.take(4, WAIT).await;
    assert_eq!(
        types(&received),
        vec![
            "identity.assignment.granted.v1",
            "identity.assignment.granted.v1",
            "identity.assignment.revoked.v1",
            "identity.assignment.granted.v1",
        ]
    );
    assert_eq!(versions(&received), vec![2, 3, 4, 5]);
    assert!(received.iter().all(|r| r.event["subject"] == u.as_str()));

    // Concurrent grants and revokes of the same user in different groups: serialized by the user's row, so
    // they arrive in version order with no gap.
    let paths: Vec<String> = groups
        .iter()
        .map(|g| grant_path(&u, g, &write))
        .chain(std::iter::once(grant_path(&u, &groups[1], &read)))
        .collect();
    let statuses = futures_util::future::join_all(paths.iter().enumerate().map(|(i, path)| {
        let app = &app;
        async move {
            if i == 4 {
                app.delete(path).await.status().as_u16()
            } else {
                app.post_empty(path).await.status().as_u16()
            }
        }
    }))
    .await;
    // groups[1]/write was granted above: 200 and no event; the other three grants and the revoke change.
    assert_eq!(statuses, vec![201, 200, 201, 201, 204]);
    let received = bus.take(4, WAIT).await;
    bus.assert_quiet(Duration::from_millis(500)).await;
    assert_eq!(
        versions(&received),
        vec![6, 7, 8, 9],
        "{:?}",
        types(&received)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cascade_delete_numbers_each_users_revocations_consecutively() {
    let app = TestApp::spawn().await;
    let typeid = app.create_grouptype("T").await["id"].as_i64().unwrap();
    let g = id(&app.create_group("G", typeid, None).await);
    let h = id(&app.create_group("H", typeid, None).await);
    let perms: Vec<String> = [
        app.create_permission("P1").await,
        app.create_permission("P2").await,
        app.create_permission("P3").await,
    ]
    .iter()
    .map(id)
    .collect();
    let a = app.seed_user("a@example.com").await.oid.to_string();
    let b = app.seed_user("b@example.com").await.oid.to_string();
    for (user, group, permission) in [
        (&a, &g, &perms[0]),
        (&a, &g, &perms[1]),
        (&b, &g, &perms[2]),
        (&a, &h, &perms[0]),
        (&a, &g, &perms[2]),
    ] {
        let path = grant_path(user, group, permission);
        assert_eq!(app.post_empty(&path).await.status(), 201);
    }
    // a: 1 (created) + 4 grants = 5; b: 1 + 1 = 2; the group: 1.
    let mut bus = app.subscribe().await;
    assert_eq!(app.delete(&format!("/groups/{g}")).await.status(), 204);
    let received = bus.take(5, WAIT).await;
    assert_eq!(
        types(&received),
        vec![
            "identity.assignment.revoked.v1",
            "identity.assignment.revoked.v1",
            "identity.assignment.revoked.v1",
            "identity.assignment.revoked.v1",
            "identity.group.deleted.v1",
        ]
    );
    assert_eq!(versions_of(&received, &a), vec![6, 7, 8]);
    assert_eq!(versions_of(&received, &b), vec![3]);
    assert_eq!(versions_of(&received, &g), vec![2]);

    // The user's next change continues from there; its deletion revokes the rest, then takes the next one.
    assert_eq!(app.delete(&format!("/users/{a}")).await.status(), 204);
    let received = bus.take(2, WAIT).await;
    assert_eq!(
        types(&received),
        vec!["identity.assignment.revoked.v1", "identity.user.deleted.v1"]
    );
    assert_eq!(versions_of(&received, &a), vec![9, 10]);
    bus.assert_quiet(Duration::from_millis(500)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn actor_names_the_keys_position_the_connector_or_the_system() {
    let app = TestApp::spawn().await;
    let mut bus = app.subscribe().await;
    app.create_grouptype("first").await;
    let response = app
        .client
        .post(app.api("/grouptypes"))
        .header("x-functions-key", "second-key")
        .json(&json!({"name": "second"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let response = app
        .client
        .post(format!("{}?code=second-key", app.api("/permissions")))
        .json(&json!({"name": "by-query"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let token = json!({
        "email": "signed.in@example.com",
        "givenName": "Signed",
        "surname": "In",
        "identities": [], "step": "PreTokenIssuance",
        "client_id": "3e945e86-81cb-4736-a81e-ee85cffdcdf6",
        "objectId": "398d87be-0741-48ec-a8ab-dcffa48acc21"
    });
    assert_eq!(app.post("/b2c/token", &token).await.status(), 200);
    app.seed_user("seeded@example.com").await;

    let received = bus.take(5, WAIT).await;
    let actors: Vec<&str> = received
        .iter()
        .map(|r| r.event["actor"].as_str().unwrap())
        .collect();
    assert_eq!(
        actors,
        vec!["key:1", "key:2", "key:2", "connector:b2c", "system:seed"]
    );
    for r in &received {
        let text = r.event.to_string();
        assert!(
            !text.contains(KEY) && !text.contains("second-key"),
            "{text}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn traceparent_is_copied_to_every_event_of_the_request_only_when_valid() {
    let app = TestApp::spawn().await;
    let typeid = app.create_grouptype("T").await["id"].as_i64().unwrap();
    let g = id(&app.create_group("G", typeid, None).await);
    let p = id(&app.create_permission("P").await);
    let u = app.seed_user("u@example.com").await.oid.to_string();
    assert_eq!(app.post_empty(&grant_path(&u, &g, &p)).await.status(), 201);
    let mut bus = app.subscribe().await;

    let send = |method: reqwest::Method, path: String, trace: Option<&'static str>, body: Value| {
        let mut request = app
            .client
            .request(method, app.api(&path))
            .header("x-functions-key", KEY)
            .json(&body);
        if let Some(trace) = trace {
            request = request.header("traceparent", trace);
        }
        request.send()
    };
    // A cascade: every event of the request carries it.
    let response = send(
        reqwest::Method::DELETE,
        format!("/groups/{g}"),
        Some(TRACE),
        json!({}),
    )
    .await
    .unwrap();
    assert_eq!(response.status(), 204);
    let received = bus.take(2, WAIT).await;
    assert_eq!(
        types(&received),
        vec![
            "identity.assignment.revoked.v1",
            "identity.group.deleted.v1"
        ]
    );
    assert!(received.iter().all(|r| r.event["traceparent"] == TRACE));

    for (trace, name) in [
        (None, "none"),
        (
            Some("00-00000000000000000000000000000000-00f067aa0ba902b7-01"),
            "zeros",
        ),
        (
            Some("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7"),
            "short",
        ),
        (Some("not a trace context"), "garbage"),
    ] {
        let response = send(
            reqwest::Method::POST,
            "/permissions".into(),
            trace,
            json!({"name": name}),
        )
        .await
        .unwrap();
        assert_eq!(response.status(), 201);
        let received = bus.take(1, WAIT).await;
        assert!(
            received[0].event.get("traceparent").is_none(),
            "{name}: {}",
            received[0].event
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_update_names_exactly_the_changed_fields_with_before_and_after() {
    let app = TestApp::spawn().await;
    let typeid = app.create_grouptype("T").await["id"].as_i64().unwrap();
    let other = app.create_grouptype("U").await["id"].as_i64().unwrap();
    let g = id(&app.create_group("G", typeid, Some("L")).await);
    let u = app.seed_user("u@example.com").await.oid.to_string();
    let mut bus = app.subscribe().await;

    let body = json!({"name": "G2", "typeid": other, "localid": "L"});
    let renamed: Value = app
        .put(&format!("/groups/{g}"), &body)
        .await
        .json()
        .await
        .unwrap();
    let body = json!({"name": "G2", "typeid": other, "localid": "L"});
    assert_eq!(app.put(&format!("/groups/{g}"), &body).await.status(), 200);
    let body =
        json!({"email": "u@example.com", "firstname": "Ada", "lastname": "User", "country": "US"});
    let user: Value = app
        .put(&format!("/users/{u}"), &body)
        .await
        .json()
        .await
        .unwrap();

    let received = bus.take(3, WAIT).await;
    // The group as the API showed it, less `typename` (an API-only extension, in neither data nor changes).
    let mut shown = renamed.clone();
    assert_eq!(
        shown.as_object_mut().unwrap().remove("typename"),
        Some(json!("U"))
    );
    assert_eq!(received[0].event["data"], shown, "data stays the resource");
    assert_eq!(
        changes(&received[0]),
        json!({"name": {"before": "G", "after": "G2"}, "typeid": {"before": typeid, "after": other}})
    );
    assert_eq!(
        changes(&received[1]),
        json!({}),
        "an update changing nothing"
    );
    assert_eq!(received[2].event["data"], user);
    assert_eq!(
        changes(&received[2]),
        json!({"firstname": {"before": "Test", "after": "Ada"}})
    );

    // The connectors' update too; created and deleted events carry no `changes`.
    let mut token = json!({
        "email": "u@example.com",
        "surname": "Married",
        "identities": [], "step": "PreTokenIssuance",
        "client_id": "3e945e86-81cb-4736-a81e-ee85cffdcdf6",
        "objectId": u
    });
    assert_eq!(app.post("/b2c/token", &token).await.status(), 200);
    let received = bus.take(1, WAIT).await;
    assert_eq!(received[0].event["type"], "identity.user.updated.v1");
    assert_eq!(received[0].event["actor"], "connector:b2c");
    assert_eq!(received[0].event["subjectversion"], 3);
    assert_eq!(
        changes(&received[0]),
        json!({"lastname": {"before": "User", "after": "Married"}})
    );
    token["objectId"] = json!("398d87be-0741-48ec-a8ab-dcffa48acc21");
    token["email"] = json!("new@example.com");
    assert_eq!(app.post("/b2c/token", &token).await.status(), 200);
    assert_eq!(app.delete(&format!("/groups/{g}")).await.status(), 204);
    let received = bus.take(2, WAIT).await;
    assert_eq!(
        types(&received),
        vec!["identity.user.created.v1", "identity.group.deleted.v1"]
    );
    assert!(received.iter().all(|r| r.event.get("changes").is_none()));
}
