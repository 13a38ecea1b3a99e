use crate::helpers::{KEY, TestApp, assert_bad_field, assert_problem};
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_answers_201_with_location_and_ignores_server_fields() {
    let app = TestApp::spawn().await;
    let typeid = app.create_grouptype("CUSTOMER").await["id"]
        .as_i64()
        .unwrap();
    let response = app
        .post(
            "/groups",
            &json!({
                "id": "1c43cdc0-942a-42b3-8b59-6f35b69fb30a",
                "created": "2000-01-01T00:00:00Z",
                "updated": "not even a date",
                "name": "Customer Account 12",
                "typeid": typeid,
                "localid": "123456789AB"
            }),
        )
        .await;
    assert_eq!(response.status(), 201);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let body: Value = response.json().await.unwrap();
    let id = body["id"].as_str().unwrap();
    assert_ne!(
        id, "1c43cdc0-942a-42b3-8b59-6f35b69fb30a",
        "a given id is ignored"
    );
    assert_eq!(location, format!("/api/v1/groups/{id}"));
    assert_eq!(body["name"], "Customer Account 12");
    assert_eq!(body["typeid"], typeid);
    assert_eq!(body["localid"], "123456789AB");
    let created = body["created"].as_str().unwrap();
    assert!(
        created.ends_with('Z') && !created.starts_with("2000"),
        "{created}"
    );
    chrono::DateTime::parse_from_rfc3339(created).expect("RFC 3339");

    let fetched: Value = app
        .get(&location.replace("/api/v1", ""))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(fetched, body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_rejects_bad_bodies_naming_the_field() {
    let app = TestApp::spawn().await;
    let typeid = app.create_grouptype("CUSTOMER").await["id"]
        .as_i64()
        .unwrap();
    assert_bad_field(app.post_raw("/groups", "{not json").await, "body").await;
    assert_bad_field(app.post_raw("/groups", "").await, "body").await;
    assert_bad_field(app.post_raw("/groups", "[]").await, "body").await;
    assert_bad_field(
        app.post("/groups", &json!({ "typeid": typeid })).await,
        "name",
    )
    .await;
    assert_bad_field(app.post("/groups", &json!({ "name": "x" })).await, "typeid").await;
    assert_bad_field(
        app.post("/groups", &json!({ "name": "x", "typeid": "2" }))
            .await,
        "typeid",
    )
    .await;
    assert_bad_field(
        app.post("/groups", &json!({ "name": 5, "typeid": typeid }))
            .await,
        "name",
    )
    .await;
    assert_bad_field(
        app.post("/groups", &json!({ "name": "  ", "typeid": typeid }))
            .await,
        "name",
    )
    .await;
    let long = "x".repeat(257);
    assert_bad_field(
        app.post("/groups", &json!({ "name": long, "typeid": typeid }))
            .await,
        "name",
    )
    .await;
    assert_bad_field(
        app.post(
            "/groups",
            &json!({ "name": "x", "typeid": typeid, "localid": 12 }),
        )
        .await,
        "localid",
    )
    .await;
    let form = app
        .client
        .post(app.api("/groups"))
        .header("x-functions-key", crate::helpers::KEY)
        .header("content-type", "text/plain")
        .body(r#"{"name":"x","typeid":1}"#)
        .send()
        .await
        .unwrap();
    assert_bad_field(form, "Content-Type").await;
    // Nothing was half-written.
    let all: Vec<Value> = app.get("/groups").await.json().await.unwrap();
    assert!(all.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicate_name_and_unknown_type_are_conflicts() {
    let app = TestApp::spawn().await;
    let typeid = app.create_grouptype("CUSTOMER").await["id"]
        .as_i64()
        .unwrap();
    app.create_group("Account", typeid, None).await;
    let dup = assert_problem(
        app.post("/groups", &json!({ "name": "Account", "typeid": typeid }))
            .await,
        409,
    )
    .await;
    assert!(dup["detail"].as_str().unwrap().contains("name"));
    let fk = assert_problem(
        app.post("/groups", &json!({ "name": "Other", "typeid": 9999 }))
            .await,
        409,
    )
    .await;
    assert!(fk["detail"].as_str().unwrap().contains("typeid"));
    // Names are case-sensitive: a different case is a different group.
    app.create_group("ACCOUNT", typeid, None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_validates_id_and_answers_404_for_unknown() {
    let app = TestApp::spawn().await;
    assert_bad_field(app.get("/groups/not-a-uuid").await, "groupid").await;
    assert_problem(
        app.get(&format!("/groups/{}", uuid::Uuid::new_v4())).await,
        404,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_replaces_state_and_bumps_updated_only() {
    let app = TestApp::spawn().await;
    let t1 = app.create_grouptype("CUSTOMER").await["id"]
        .as_i64()
        .unwrap();
    let t2 = app.create_grouptype("DEALER").await["id"].as_i64().unwrap();
    let group = app
        .create_group("Customer Account 12", t1, Some("123"))
        .await;
    let id = group["id"].as_str().unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let response = app
        .put(
            &format!("/groups/{id}"),
            &json!({ "id": id, "name": "Customer Account 12", "localid": "987654321FF", "typeid": t2,
                     "created": "1999-01-01T00:00:00Z" }),
        )
        .await;
    assert_eq!(response.status(), 200);
    let updated: Value = response.json().await.unwrap();
    assert_eq!(updated["localid"], "987654321FF");
    assert_eq!(updated["typeid"], t2);
    assert_eq!(
        updated["created"], group["created"],
        "created never changes"
    );
    assert!(updated["updated"].as_str().unwrap() > group["updated"].as_str().unwrap());

    // Id in the body must match the URI.
    let other = uuid::Uuid::new_v4();
    assert_bad_field(
        app.put(
            &format!("/groups/{id}"),
            &json!({ "id": other, "name": "x", "typeid": t1 }),
        )
        .await,
        "id",
    )
    .await;
    assert_bad_field(
        app.put(
            &format!("/groups/{id}"),
            &json!({ "id": "garbage", "name": "x", "typeid": t1 }),
        )
        .await,
        "id",
    )
    .await;
    // Unknown group, bad id, constraint violations.
    assert_problem(
        app.put(
            &format!("/groups/{other}"),
            &json!({ "name": "x", "typeid": t1 }),
        )
        .await,
        404,
    )
    .await;
    assert_bad_field(
        app.put("/groups/xyz", &json!({ "name": "x", "typeid": t1 }))
            .await,
        "groupid",
    )
    .await;
    app.create_group("Taken", t1, None).await;
    assert_problem(
        app.put(
            &format!("/groups/{id}"),
            &json!({ "name": "Taken", "typeid": t1 }),
        )
        .await,
        409,
    )
    .await;
    assert_problem(
        app.put(
            &format!("/groups/{id}"),
            &json!({ "name": "Free", "typeid": 4242 }),
        )
        .await,
        409,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_cascades_to_assignments() {
    let app = TestApp::spawn().await;
    let typeid = app.create_grouptype("CUSTOMER").await["id"]
        .as_i64()
        .unwrap();
    let group = app.create_group("G", typeid, None).await;
    let gid = group["id"].as_str().unwrap();
    let permission = app.create_permission("Read").await;
    let pid = permission["id"].as_str().unwrap();
    let user = app.seed_user("a@example.com").await;
    let grant = app
        .post_empty(&format!(
            "/users/{}/groups/{gid}/permissions/{pid}",
            user.oid
        ))
        .await;
    assert_eq!(grant.status(), 201);

    assert_eq!(app.delete(&format!("/groups/{gid}")).await.status(), 204);
    assert_problem(app.get(&format!("/groups/{gid}")).await, 404).await;
    let groups: Vec<Value> = app
        .get(&format!("/users/{}/groups", user.oid))
        .await
        .json()
        .await
        .unwrap();
    assert!(groups.is_empty(), "assignment removed with the group");
    // The permission is free again: deleting it is allowed.
    assert_eq!(
        app.delete(&format!("/permissions/{pid}")).await.status(),
        204
    );
    assert_problem(app.delete(&format!("/groups/{gid}")).await, 404).await;
    assert_bad_field(app.delete("/groups/nope").await, "groupid").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_pages_in_stable_order_and_validates_paging() {
    let app = TestApp::spawn().await;
    let typeid = app.create_grouptype("CUSTOMER").await["id"]
        .as_i64()
        .unwrap();
    for i in 0..7 {
        app.create_group(&format!("Group {i}"), typeid, Some("shared"))
            .await;
    }
    let all: Vec<Value> = app.get("/groups").await.json().await.unwrap();
    assert_eq!(all.len(), 7);
    let ids: Vec<&str> = all.iter().map(|g| g["id"].as_str().unwrap()).collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted, "ordered by id");

    let page: Vec<Value> = app
        .get("/groups?limit=3&offset=2")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page, all[2..5].to_vec());
    let tail: Vec<Value> = app
        .get("/groups?limit=3&offset=6")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(tail, all[6..].to_vec());
    let none: Vec<Value> = app.get("/groups?limit=0").await.json().await.unwrap();
    assert!(none.is_empty());

    for (query, field) in [
        ("limit=-1", "limit"),
        ("limit=abc", "limit"),
        ("limit=1001", "limit"),
        ("limit=2.5", "limit"),
        ("offset=-3", "offset"),
        ("offset=x", "offset"),
        ("offset=3000000000", "offset"),
    ] {
        assert_bad_field(app.get(&format!("/groups?{query}")).await, field).await;
    }

    let local: Vec<Value> = app
        .get("/groupsbylocal/shared?limit=2")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(local, all[..2].to_vec());
    let none: Vec<Value> = app
        .get("/groupsbylocal/unknown")
        .await
        .json()
        .await
        .unwrap();
    assert!(none.is_empty());
    assert_bad_field(app.get("/groupsbylocal/shared?offset=-1").await, "offset").await;
    assert_bad_field(
        app.get(&format!("/groupsbylocal/{}", "x".repeat(300)))
            .await,
        "localid",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_by_name_answers_its_uuid_as_text() {
    let app = TestApp::spawn().await;
    let typeid = app.create_grouptype("CUSTOMER").await["id"]
        .as_i64()
        .unwrap();
    let group = app.create_group("Customer Account 12", typeid, None).await;
    let response = app.get("/groups/name/Customer%20Account%2012").await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    assert_eq!(
        response.text().await.unwrap(),
        group["id"].as_str().unwrap()
    );
    assert_problem(app.get("/groups/name/Nobody").await, 404).await;
    assert_bad_field(
        app.get(&format!("/groups/name/{}", "n".repeat(300))).await,
        "name",
    )
    .await;
}

/// `GET /groups/name/{name}` with `accept` (none when `None`): its content type and body.
async fn id_by_name(app: &TestApp, accept: Option<&str>) -> (String, String) {
    let mut request = app
        .client
        .get(app.api("/groups/name/Customer%20Account%2012"))
        .header("x-functions-key", KEY);
    if let Some(accept) = accept {
        request = request.header("accept", accept);
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["vary"], "Accept");
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    (content_type, response.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_by_name_answers_a_json_string_to_a_caller_preferring_json() {
    let app = TestApp::spawn().await;
    let typeid = app.create_grouptype("CUSTOMER").await["id"]
        .as_i64()
        .unwrap();
    let id = app.create_group("Customer Account 12", typeid, None).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for accept in [
        None,
        Some("*/*"),
        Some("text/plain"),
        Some("text/*"),
        Some("text/plain, application/json"),
        Some("application/json;q=0.5, text/plain"),
        Some("application/json;q=0, */*"),
        Some("text/html"),
    ] {
        assert_eq!(
            id_by_name(&app, accept).await,
            ("text/plain; charset=utf-8".to_owned(), id.clone()),
            "{accept:?}"
        );
    }
    for accept in [
        "application/json",
        "application/json, text/plain;q=0.5",
        "application/json, text/plain, */*",
        "application/*",
    ] {
        assert_eq!(
            id_by_name(&app, Some(accept)).await,
            ("application/json".to_owned(), format!("\"{id}\"")),
            "{accept}"
        );
    }
    // Errors stay problem documents, whatever is accepted.
    let response = app
        .client
        .get(app.api("/groups/name/Nobody"))
        .header("x-functions-key", KEY)
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_problem(response, 404).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_group_shown_carries_its_type_name() {
    let app = TestApp::spawn().await;
    let customer = app.create_grouptype("CUSTOMER").await["id"]
        .as_i64()
        .unwrap();
    let role = app.create_grouptype("ROLE").await["id"].as_i64().unwrap();
    let created = app.create_group("G", customer, Some("L")).await;
    assert_eq!(created["typename"], "CUSTOMER");
    let id = created["id"].as_str().unwrap().to_owned();
    let other = app.create_group("H", role, Some("L")).await;
    assert_eq!(other["typename"], "ROLE");

    let moved: Value = app
        .put(
            &format!("/groups/{id}"),
            &json!({ "name": "G", "typeid": role, "localid": "L", "typename": "ignored" }),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        moved["typename"], "ROLE",
        "the new type's name, not the body's"
    );
    assert_eq!(moved["typeid"], role);
    // A renamed type shows under its new name in every read.
    assert_eq!(
        app.put(&format!("/grouptypes/{role}"), &json!({ "name": "ROLES" }))
            .await
            .status(),
        200
    );
    let user = app.seed_user("u@example.com").await;
    let permission = app.create_permission("Read").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let grant = format!("/users/{}/groups/{id}/permissions/{permission}", user.oid);
    assert_eq!(app.post_empty(&grant).await.status(), 201);
    for path in [
        "/groups".to_owned(),
        format!("/groups/{id}"),
        "/groupsbylocal/L".to_owned(),
        format!("/grouptypes/{role}/groups"),
        format!("/grouptypes/{role}/groups/L"),
        format!("/users/{}/groups", user.oid),
    ] {
        let body: Value = app.get(&path).await.json().await.unwrap();
        let shown = match &body {
            Value::Array(items) => items.clone(),
            one => vec![one.clone()],
        };
        assert!(!shown.is_empty(), "{path}");
        for group in shown {
            assert_eq!(group["typename"], "ROLES", "{path}: {group}");
        }
    }
    let of_customer: Value = app
        .get(&format!("/grouptypes/{customer}/groups"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(of_customer, json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_users_lists_members_once_each() {
    let app = TestApp::spawn().await;
    let typeid = app.create_grouptype("CUSTOMER").await["id"]
        .as_i64()
        .unwrap();
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
    let alice = app.seed_user("alice@example.com").await;
    let bob = app.seed_user("bob@example.com").await;
    app.seed_user("carol@example.com").await;
    for (user, perm) in [(&alice, &read), (&alice, &write), (&bob, &read)] {
        let r = app
            .post_empty(&format!(
                "/users/{}/groups/{gid}/permissions/{perm}",
                user.oid
            ))
            .await;
        assert_eq!(r.status(), 201);
    }
    let members: Vec<Value> = app
        .get(&format!("/groups/{gid}/users"))
        .await
        .json()
        .await
        .unwrap();
    let mut expected = vec![alice.oid.to_string(), bob.oid.to_string()];
    expected.sort();
    let got: Vec<String> = members
        .iter()
        .map(|u| u["oid"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(got, expected);
    assert!(members[0]["email"].as_str().unwrap().contains('@'));
    assert_problem(
        app.get(&format!("/groups/{}/users", uuid::Uuid::new_v4()))
            .await,
        404,
    )
    .await;
    assert_bad_field(app.get("/groups/1/users").await, "groupid").await;
}
