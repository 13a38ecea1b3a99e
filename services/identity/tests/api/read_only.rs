//! Mass assignment: the fields the contract marks `readOnly` (ids, `typename`, `created`, `updated`) are the
//! server's. On a create they are ignored; on an update an id that is not the URI's is refused (400 naming it)
//! and the rest are ignored. One table over every write that takes a body.

use crate::helpers::{TestApp, assert_bad_field};
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

/// A time no row of this test can carry.
const FORGED_TIME: &str = "2001-02-03T04:05:06Z";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_fields_a_client_sends_are_ignored_or_refused() {
    let app = TestApp::spawn().await;
    let kind = app.create_grouptype("RO-TYPE").await;
    let group = app
        .create_group("RO-GROUP", kind["id"].as_i64().unwrap(), None)
        .await;
    let permission = app.create_permission("RO-PERMISSION").await;
    let user = app.seed_user("read.only@cfsbrands.dev").await;
    let forged = json!({ "created": FORGED_TIME, "updated": FORGED_TIME, "typename": "FORGED" });
    let with = |fields: Value| {
        let mut body = forged.clone();
        body.as_object_mut()
            .unwrap()
            .extend(fields.as_object().unwrap().clone());
        body
    };
    let (group_id, kind_id, permission_id) = (
        group["id"].as_str().unwrap().to_owned(),
        kind["id"].as_i64().unwrap(),
        permission["id"].as_str().unwrap().to_owned(),
    );
    // (method, path, body, the id field and the value the server must keep or assign instead of the forged one)
    let writes: Vec<(Method, String, Value, &str, Option<Value>)> = vec![
        (
            Method::POST,
            "/grouptypes".into(),
            with(json!({ "id": 7777, "name": "RO-NEW-TYPE" })),
            "id",
            None,
        ),
        (
            Method::PUT,
            format!("/grouptypes/{kind_id}"),
            with(json!({ "name": "RO-TYPE-2" })),
            "id",
            Some(json!(kind_id)),
        ),
        (
            Method::POST,
            "/permissions".into(),
            with(json!({ "id": Uuid::new_v4(), "name": "RO-NEW-PERMISSION" })),
            "id",
            None,
        ),
        (
            Method::PUT,
            format!("/permissions/{permission_id}"),
            with(json!({ "name": "RO-PERMISSION-2" })),
            "id",
            Some(json!(permission_id)),
        ),
        (
            Method::POST,
            "/groups".into(),
            with(json!({ "id": Uuid::new_v4(), "name": "RO-NEW-GROUP", "typeid": kind_id })),
            "id",
            None,
        ),
        (
            Method::PUT,
            format!("/groups/{group_id}"),
            with(json!({ "name": "RO-GROUP-2", "typeid": kind_id })),
            "id",
            Some(json!(group_id)),
        ),
        (
            Method::PUT,
            format!("/users/{}", user.oid),
            with(json!({ "email": "read.only@cfsbrands.dev", "firstname": "Read" })),
            "oid",
            Some(json!(user.oid)),
        ),
    ];
    for (method, path, body, id_field, kept) in writes {
        let res = app
            .client
            .request(method.clone(), app.api(&path))
            .header("x-functions-key", crate::helpers::KEY)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(
            res.status().is_success(),
            "{method} {path}: {}",
            res.status()
        );
        let stored: Value = res.json().await.unwrap();
        for field in ["created", "updated"] {
            assert_ne!(
                stored[field], FORGED_TIME,
                "{method} {path}: {field} in {stored}"
            );
            assert!(
                stored[field].is_string(),
                "{method} {path}: {field} in {stored}"
            );
        }
        if stored.get("typename").is_some() {
            assert_eq!(stored["typename"], "RO-TYPE-2", "{method} {path}");
        }
        match kept {
            Some(id) => assert_eq!(stored[id_field], id, "{method} {path}"),
            None => assert_ne!(
                stored[id_field], body[id_field],
                "{method} {path}: a given id"
            ),
        }
        // An update naming another id is refused rather than moving the row.
        if method == Method::PUT {
            let mut other = body.clone();
            other[id_field] = if id_field == "id" && stored["id"].is_i64() {
                json!(stored["id"].as_i64().unwrap() + 1000)
            } else {
                json!(Uuid::new_v4())
            };
            assert_bad_field(app.put(&path, &other).await, id_field).await;
        }
    }
}
