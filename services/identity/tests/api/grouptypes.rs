use crate::helpers::{TestApp, assert_bad_field, assert_problem};
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crud_round_trip() {
    let app = TestApp::spawn().await;
    let response = app
        .post("/grouptypes", &json!({ "id": 77, "name": "CUSTOMER" }))
        .await;
    assert_eq!(response.status(), 201);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let created: Value = response.json().await.unwrap();
    let id = created["id"].as_i64().unwrap();
    assert_ne!(id, 77, "a given id is ignored");
    assert_eq!(location, format!("/api/v1/grouptypes/{id}"));
    assert_eq!(
        app.get(&format!("/grouptypes/{id}"))
            .await
            .json::<Value>()
            .await
            .unwrap(),
        created
    );

    let updated: Value = app
        .put(
            &format!("/grouptypes/{id}"),
            &json!({ "id": id, "name": "DEALER" }),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(updated["name"], "DEALER");
    assert_eq!(updated["created"], created["created"]);

    let list: Vec<Value> = app.get("/grouptypes").await.json().await.unwrap();
    assert_eq!(list, vec![updated]);
    assert_eq!(app.delete(&format!("/grouptypes/{id}")).await.status(), 204);
    assert_problem(app.get(&format!("/grouptypes/{id}")).await, 404).await;
    assert_problem(app.delete(&format!("/grouptypes/{id}")).await, 404).await;
    assert_problem(
        app.put(&format!("/grouptypes/{id}"), &json!({ "name": "X" }))
            .await,
        404,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ids_must_be_int32() {
    let app = TestApp::spawn().await;
    for bad in ["abc", "1.5", "99999999999", "0x10", "-"] {
        assert_bad_field(app.get(&format!("/grouptypes/{bad}")).await, "grouptypeid").await;
        assert_bad_field(
            app.delete(&format!("/grouptypes/{bad}")).await,
            "grouptypeid",
        )
        .await;
        assert_bad_field(
            app.get(&format!("/grouptypes/{bad}/groups")).await,
            "grouptypeid",
        )
        .await;
    }
    assert_bad_field(
        app.put("/grouptypes/1", &json!({ "id": 2, "name": "X" }))
            .await,
        "id",
    )
    .await;
    assert_bad_field(
        app.put("/grouptypes/1", &json!({ "id": "one", "name": "X" }))
            .await,
        "id",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_are_unique_and_required() {
    let app = TestApp::spawn().await;
    app.create_grouptype("CUSTOMER").await;
    assert_problem(
        app.post("/grouptypes", &json!({ "name": "CUSTOMER" }))
            .await,
        409,
    )
    .await;
    assert_bad_field(app.post("/grouptypes", &json!({})).await, "name").await;
    assert_bad_field(
        app.post("/grouptypes", &json!({ "name": null })).await,
        "name",
    )
    .await;
    let other = app.create_grouptype("DEALER").await["id"].as_i64().unwrap();
    assert_problem(
        app.put(
            &format!("/grouptypes/{other}"),
            &json!({ "name": "CUSTOMER" }),
        )
        .await,
        409,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_is_restricted_while_groups_use_the_type() {
    let app = TestApp::spawn().await;
    let id = app.create_grouptype("CUSTOMER").await["id"]
        .as_i64()
        .unwrap();
    let group = app.create_group("G", id, None).await;
    let refused = assert_problem(app.delete(&format!("/grouptypes/{id}")).await, 409).await;
    assert!(
        refused["detail"]
            .as_str()
            .unwrap()
            .contains("used by groups")
    );
    assert_eq!(
        app.get(&format!("/grouptypes/{id}")).await.status(),
        200,
        "still there"
    );
    assert_eq!(
        app.delete(&format!("/groups/{}", group["id"].as_str().unwrap()))
            .await
            .status(),
        204
    );
    assert_eq!(app.delete(&format!("/grouptypes/{id}")).await.status(), 204);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn groups_by_type_and_local_id() {
    let app = TestApp::spawn().await;
    let customer = app.create_grouptype("CUSTOMER").await["id"]
        .as_i64()
        .unwrap();
    let dealer = app.create_grouptype("DEALER").await["id"].as_i64().unwrap();
    let a = app.create_group("A", customer, Some("L1")).await;
    let b = app.create_group("B", customer, Some("L2")).await;
    let c = app.create_group("C", dealer, Some("L1")).await;
    let mut of_customer: Vec<Value> = app
        .get(&format!("/grouptypes/{customer}/groups"))
        .await
        .json()
        .await
        .unwrap();
    let mut expected = vec![a.clone(), b];
    expected.sort_by(|x, y| x["id"].as_str().cmp(&y["id"].as_str()));
    assert_eq!(of_customer, expected);
    of_customer = app
        .get(&format!("/grouptypes/{customer}/groups?limit=1&offset=1"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(of_customer, expected[1..].to_vec());
    let l1: Vec<Value> = app
        .get(&format!("/grouptypes/{customer}/groups/L1"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(l1, vec![a]);
    let l1_dealer: Vec<Value> = app
        .get(&format!("/grouptypes/{dealer}/groups/L1"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(l1_dealer, vec![c]);
    let none: Vec<Value> = app
        .get(&format!("/grouptypes/{dealer}/groups/L9"))
        .await
        .json()
        .await
        .unwrap();
    assert!(none.is_empty());
    assert_problem(app.get("/grouptypes/4242/groups").await, 404).await;
    assert_problem(app.get("/grouptypes/4242/groups/L1").await, 404).await;
    assert_bad_field(
        app.get(&format!("/grouptypes/{customer}/groups?limit=x"))
            .await,
        "limit",
    )
    .await;
    assert_bad_field(
        app.get(&format!("/grouptypes/{customer}/groups/L1?offset=-2"))
            .await,
        "offset",
    )
    .await;
    assert_bad_field(app.get("/grouptypes/x/groups/L1").await, "grouptypeid").await;
}
