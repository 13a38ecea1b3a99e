use crate::helpers::{TestApp, assert_bad_field, assert_problem};
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crud_round_trip() {
    let app = TestApp::spawn().await;
    let response = app
        .post(
            "/permissions",
            &json!({ "name": "Act on behalf of", "created": "x" }),
        )
        .await;
    assert_eq!(response.status(), 201);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let created: Value = response.json().await.unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(location, format!("/api/v1/permissions/{id}"));
    assert_eq!(
        app.get(&format!("/permissions/{id}"))
            .await
            .json::<Value>()
            .await
            .unwrap(),
        created
    );
    let updated: Value = app
        .put(
            &format!("/permissions/{id}"),
            &json!({ "name": "Approve orders" }),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(updated["name"], "Approve orders");
    assert_eq!(updated["id"], created["id"]);
    assert_eq!(updated["created"], created["created"]);
    assert_ne!(updated["updated"], created["updated"]);
    let list: Vec<Value> = app
        .get("/permissions?limit=10&offset=0")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list, vec![updated]);
    assert_eq!(
        app.delete(&format!("/permissions/{id}")).await.status(),
        204
    );
    assert_problem(app.get(&format!("/permissions/{id}")).await, 404).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validation_and_conflicts() {
    let app = TestApp::spawn().await;
    app.create_permission("Read").await;
    assert_problem(
        app.post("/permissions", &json!({ "name": "Read" })).await,
        409,
    )
    .await;
    assert_bad_field(
        app.post("/permissions", &json!({ "name": "" })).await,
        "name",
    )
    .await;
    assert_bad_field(
        app.post("/permissions", &json!({ "name": ["Read"] })).await,
        "name",
    )
    .await;
    assert_bad_field(app.get("/permissions/123").await, "permissionid").await;
    assert_bad_field(app.get("/permissions?limit=-5").await, "limit").await;
    let id = app.create_permission("Write").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_problem(
        app.put(&format!("/permissions/{id}"), &json!({ "name": "Read" }))
            .await,
        409,
    )
    .await;
    assert_bad_field(
        app.put(
            &format!("/permissions/{id}"),
            &json!({ "id": uuid::Uuid::new_v4(), "name": "W" }),
        )
        .await,
        "id",
    )
    .await;
    assert_problem(
        app.put(
            &format!("/permissions/{}", uuid::Uuid::new_v4()),
            &json!({ "name": "Z" }),
        )
        .await,
        404,
    )
    .await;
    assert_problem(
        app.delete(&format!("/permissions/{}", uuid::Uuid::new_v4()))
            .await,
        404,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_is_restricted_while_assigned() {
    let app = TestApp::spawn().await;
    let typeid = app.create_grouptype("T").await["id"].as_i64().unwrap();
    let gid = app.create_group("G", typeid, None).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let pid = app.create_permission("Read").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let user = app.seed_user("u@example.com").await;
    let path = format!("/users/{}/groups/{gid}/permissions/{pid}", user.oid);
    assert_eq!(app.post_empty(&path).await.status(), 201);
    let refused = assert_problem(app.delete(&format!("/permissions/{pid}")).await, 409).await;
    assert!(refused["detail"].as_str().unwrap().contains("assigned"));
    assert_eq!(app.get(&path).await.status(), 200, "assignment untouched");
    assert_eq!(app.delete(&path).await.status(), 204);
    assert_eq!(
        app.delete(&format!("/permissions/{pid}")).await.status(),
        204
    );
}
