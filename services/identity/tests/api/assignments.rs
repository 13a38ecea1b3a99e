use crate::helpers::{TestApp, assert_bad_field, assert_problem};
use serde_json::Value;
use uuid::Uuid;

struct Fixture {
    app: TestApp,
    user: Uuid,
    group: String,
    permission: String,
}

async fn fixture() -> Fixture {
    let app = TestApp::spawn().await;
    let typeid = app.create_grouptype("T").await["id"].as_i64().unwrap();
    let group = app.create_group("G", typeid, None).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let permission = app.create_permission("Read").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let user = app.seed_user("u@example.com").await.oid;
    Fixture {
        app,
        user,
        group,
        permission,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grant_is_201_then_200_and_readable() {
    let f = fixture().await;
    let path = format!(
        "/users/{}/groups/{}/permissions/{}",
        f.user, f.group, f.permission
    );
    let first = f.app.post_empty(&path).await;
    assert_eq!(first.status(), 201);
    assert_eq!(
        first.headers()["location"].to_str().unwrap(),
        format!("/api/v1{path}")
    );
    let body: Value = first.json().await.unwrap();
    assert_eq!(body["userid"], f.user.to_string());
    assert_eq!(body["groupid"], f.group);
    assert_eq!(body["permissionid"], f.permission);
    assert!(body["created"].as_str().is_some());

    let again = f.app.post_empty(&path).await;
    assert_eq!(again.status(), 200);
    assert_eq!(
        again.json::<Value>().await.unwrap(),
        body,
        "nothing new was created"
    );
    assert_eq!(f.app.get(&path).await.json::<Value>().await.unwrap(), body);

    let held: Vec<Value> = f
        .app
        .get(&format!("/users/{}/groups/{}/permissions", f.user, f.group))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(held.len(), 1);
    assert_eq!(held[0]["id"], f.permission);
    assert_eq!(held[0]["name"], "Read");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_parts_are_404_and_bad_ids_400() {
    let f = fixture().await;
    let unknown = Uuid::new_v4();
    for (user, group, permission, word) in [
        (
            unknown.to_string(),
            f.group.clone(),
            f.permission.clone(),
            "user",
        ),
        (
            f.user.to_string(),
            unknown.to_string(),
            f.permission.clone(),
            "group",
        ),
        (
            f.user.to_string(),
            f.group.clone(),
            unknown.to_string(),
            "permission",
        ),
    ] {
        let body = assert_problem(
            f.app
                .post_empty(&format!(
                    "/users/{user}/groups/{group}/permissions/{permission}"
                ))
                .await,
            404,
        )
        .await;
        assert!(body["detail"].as_str().unwrap().starts_with(word), "{body}");
    }
    for (path, field) in [
        (
            format!("/users/x/groups/{}/permissions/{}", f.group, f.permission),
            "useroid",
        ),
        (
            format!("/users/{}/groups/x/permissions/{}", f.user, f.permission),
            "groupid",
        ),
        (
            format!("/users/{}/groups/{}/permissions/x", f.user, f.group),
            "permissionid",
        ),
    ] {
        assert_bad_field(f.app.post_empty(&path).await, field).await;
        assert_bad_field(f.app.get(&path).await, field).await;
        assert_bad_field(f.app.delete(&path).await, field).await;
    }
    let path = format!(
        "/users/{}/groups/{}/permissions/{}",
        f.user, f.group, f.permission
    );
    assert_problem(f.app.get(&path).await, 404).await;
    assert_problem(f.app.delete(&path).await, 404).await;
    assert_problem(
        f.app
            .get(&format!("/users/{unknown}/groups/{}/permissions", f.group))
            .await,
        404,
    )
    .await;
    assert_problem(
        f.app
            .get(&format!("/users/{}/groups/{unknown}/permissions", f.user))
            .await,
        404,
    )
    .await;
    assert_bad_field(
        f.app
            .get(&format!("/users/{}/groups/bad/permissions", f.user))
            .await,
        "groupid",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoke_removes_only_that_assignment() {
    let f = fixture().await;
    let write = f.app.create_permission("Write").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let read_path = format!(
        "/users/{}/groups/{}/permissions/{}",
        f.user, f.group, f.permission
    );
    let write_path = format!("/users/{}/groups/{}/permissions/{write}", f.user, f.group);
    assert_eq!(f.app.post_empty(&read_path).await.status(), 201);
    assert_eq!(f.app.post_empty(&write_path).await.status(), 201);
    assert_eq!(f.app.delete(&read_path).await.status(), 204);
    assert_problem(f.app.get(&read_path).await, 404).await;
    assert_eq!(f.app.get(&write_path).await.status(), 200);
    let held: Vec<Value> = f
        .app
        .get(&format!("/users/{}/groups/{}/permissions", f.user, f.group))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(held.len(), 1);
    assert_eq!(held[0]["id"], write);
}
