//! Concurrent writers of one application: no duplicate, no lost update, stale If-Match refused.

use crate::helpers::*;
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::HashSet;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_upserts_of_one_key() {
    let app = TestApp::spawn().await;
    app.register("app-c").await;
    let t = token("app-c");
    let path = "/applications/app-c/identity-providers/same";
    let writers = 16;
    let mut tasks = Vec::new();
    for i in 0..writers {
        let client = app.client.clone();
        let url = app.url(&format!("{path}?returnUpdated=true"));
        let t = t.clone();
        let mut body = without_key(oidc("same", "PUBLIC"));
        body["name"] = json!(format!("writer-{i}"));
        tasks.push(tokio::spawn(async move {
            let r = client
                .put(url)
                .bearer_auth(t)
                .json(&body)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
            r.json::<Value>().await.unwrap()
        }));
    }
    let mut change_ids = HashSet::new();
    for task in tasks {
        let body = task.await.unwrap();
        change_ids.insert(body["changeId"].as_str().unwrap().parse::<i64>().unwrap());
    }
    // Every write got its own change id: 2..=17 (registration was 1).
    assert_eq!(change_ids, (2..=1 + writers as i64).collect::<HashSet<_>>());
    let list: Vec<Value> = app
        .get("/applications/app-c/identity-providers", &t)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list.len(), 1, "no duplicate");
    assert_eq!(
        list[0]["changeId"],
        (1 + writers).to_string(),
        "the last write is what is stored"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_consoles_with_the_same_etag_cannot_both_win() {
    let app = TestApp::spawn().await;
    app.register("app-c").await;
    let t = token("app-c");
    let path = "/applications/app-c/identity-providers/shared";
    app.put_json(path, &t, &without_key(oidc("shared", "PUBLIC")))
        .await;
    let etag = app.get(path, &t).await.headers()["etag"]
        .to_str()
        .unwrap()
        .to_owned();
    let mut tasks = Vec::new();
    for i in 0..8 {
        let request = app
            .request(Method::PUT, path, Some(&t))
            .header("if-match", etag.clone())
            .json(&{
                let mut b = without_key(oidc("shared", "PUBLIC"));
                b["name"] = json!(format!("console-{i}"));
                b
            });
        tasks.push(tokio::spawn(async move {
            request.send().await.unwrap().status().as_u16()
        }));
    }
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.unwrap());
    }
    statuses.sort_unstable();
    assert_eq!(
        statuses,
        vec![204, 409, 409, 409, 409, 409, 409, 409],
        "exactly one wins"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_list_replacements_stay_whole() {
    let app = TestApp::spawn().await;
    app.register("app-c").await;
    let t = token("app-c");
    let mut tasks = Vec::new();
    for i in 0..6 {
        let client = app.client.clone();
        let url = app.url("/applications/app-c/identity-providers");
        let t = t.clone();
        let body: Vec<Value> = (0..5)
            .map(|j| oidc(&format!("set{i}-{j}"), "PUBLIC"))
            .collect();
        tasks.push(tokio::spawn(async move {
            client
                .put(url)
                .bearer_auth(t)
                .json(&body)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }));
    }
    for task in tasks {
        assert_eq!(task.await.unwrap(), 204);
    }
    let list: Vec<Value> = app
        .get("/applications/app-c/identity-providers", &t)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list.len(), 5, "exactly one whole set survives");
    let prefix = list[0]["key"]
        .as_str()
        .unwrap()
        .split('-')
        .next()
        .unwrap()
        .to_owned();
    assert!(
        list.iter()
            .all(|p| p["key"].as_str().unwrap().starts_with(&prefix)),
        "{list:?}"
    );
}
