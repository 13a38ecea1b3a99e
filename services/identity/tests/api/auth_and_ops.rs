use crate::helpers::{KEY, TestApp, assert_problem};
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn function_key_by_query_or_header_else_401() {
    let app = TestApp::spawn().await;
    let url = app.api("/groups");
    let none = app.client.get(&url).send().await.unwrap();
    let body = assert_problem(none, 401).await;
    assert!(body["detail"].as_str().unwrap().contains("code"));
    let wrong = app
        .client
        .get(format!("{url}?code=nope"))
        .send()
        .await
        .unwrap();
    assert_problem(wrong, 401).await;
    let wrong_header = app
        .client
        .get(&url)
        .header("x-functions-key", "nope")
        .send()
        .await
        .unwrap();
    assert_problem(wrong_header, 401).await;
    let by_query = app
        .client
        .get(format!("{url}?code={KEY}"))
        .send()
        .await
        .unwrap();
    assert_eq!(by_query.status(), 200);
    let by_header = app
        .client
        .get(&url)
        .header("x-functions-key", "second-key")
        .send()
        .await
        .unwrap();
    assert_eq!(by_header.status(), 200);
    // Writes are refused too, and refused before the body is looked at.
    let post = app.client.post(&url).body("{").send().await.unwrap();
    assert_problem(post, 401).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probes_metrics_and_spec_are_open() {
    let app = TestApp::spawn().await;
    let health = app
        .client
        .get(format!("{}/healthz", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    assert_eq!(health.text().await.unwrap(), "ok");

    let ready: Value = app
        .client
        .get(format!("{}/readyz", app.address))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ready["status"], "ready");
    assert_eq!(ready["database"], "ok");
    assert_eq!(ready["migrations"], "ok");

    app.create_permission("Read").await;
    let metrics = app
        .client
        .get(format!("{}/metrics", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(metrics.status(), 200);
    let text = metrics.text().await.unwrap();
    assert!(text.contains("http_requests_total{"), "{text}");
    assert!(text.contains(r#"route="/api/v1/permissions""#), "{text}");
    assert!(
        text.contains("http_request_duration_seconds_bucket"),
        "{text}"
    );

    let yaml = app
        .client
        .get(format!("{}/openapi.yaml", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(yaml.status(), 200);
    let spec: Value = serde_norway::from_str(&yaml.text().await.unwrap()).unwrap();
    assert_eq!(spec["info"]["title"], "Identity Service");
    assert!(spec["paths"]["/groups/{groupid}"]["put"].is_object());
    let json: Value = app
        .client
        .get(format!("{}/openapi.json", app.address))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(json, spec);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_id_is_echoed_or_minted() {
    let app = TestApp::spawn().await;
    let given = app
        .client
        .get(app.api("/groups"))
        .header("x-functions-key", KEY)
        .header("x-request-id", "trace-123")
        .send()
        .await
        .unwrap();
    assert_eq!(given.headers()["x-request-id"], "trace-123");
    let minted = app.get("/groups").await;
    let id = minted.headers()["x-request-id"].to_str().unwrap();
    assert!(uuid::Uuid::try_parse(id).is_ok(), "{id}");
    let hostile = app
        .client
        .get(app.api("/groups"))
        .header("x-functions-key", KEY)
        .header("x-request-id", "bad id with spaces")
        .send()
        .await
        .unwrap();
    assert_ne!(hostile.headers()["x-request-id"], "bad id with spaces");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn framework_errors_use_the_problem_format() {
    let app = TestApp::spawn().await;
    assert_problem(app.get("/no/such/route").await, 404).await;
    let patch = app
        .client
        .patch(app.api("/groups"))
        .header("x-functions-key", KEY)
        .send()
        .await
        .unwrap();
    assert_problem(patch, 405).await;
    let huge = format!(r#"{{"name":"{}"}}"#, "x".repeat(300_000));
    assert_problem(app.post_raw("/permissions", &huge).await, 413).await;
}

/// Every path of the contract and every root operational path answers a method it does not serve with 405, an
/// `Allow` naming exactly the methods it serves, and a problem document. The function key opens the scopes'
/// authentication, which runs before routing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unserved_methods_are_405_with_allow_on_every_path() {
    let app = TestApp::spawn().await;
    test_support::methods::assert_unserved_methods_answer_405_with_allow(
        &app.client,
        &app.address,
        identity::SPEC,
        &[("x-functions-key", KEY)],
        test_support::methods::problem_405,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn database_loss_is_503_not_500() {
    let app = TestApp::spawn_with(|s| s.common.database.acquire_timeout_ms = 1000).await;
    persistence::db::drop_database(&app.db_url).await.unwrap();
    let body = assert_problem(app.get("/groups").await, 503).await;
    assert!(
        !body["detail"].as_str().unwrap().contains("postgres"),
        "no internals leak: {body}"
    );
    let ready = app
        .client
        .get(format!("{}/readyz", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 503);
    let ready: Value = ready.json().await.unwrap();
    assert_eq!(ready["status"], "not_ready");
    let health = app
        .client
        .get(format!("{}/healthz", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(
        health.status(),
        200,
        "liveness does not depend on the database"
    );
}

/// The pool checks a connection out without a round trip (`RecyclingMethod::Fast`), so a session the server
/// ended (a restart, `pg_terminate_backend`, a failover) is dropped at checkout once its socket has reported the
/// end; a request racing that report gets 503 (retry), never a 500, and the next ones are served.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_the_server_ended_answer_503_at_worst_then_are_replaced() {
    let app = TestApp::spawn().await;
    let groups = || futures_util::future::join_all((0..8).map(|_| app.get("/groups")));
    // Fill the pool with open sessions.
    for response in groups().await {
        assert_eq!(response.status(), 200);
    }
    let name = app.db_url.rsplit('/').next().unwrap().to_owned();
    let admin = app.db_url.replace(&format!("/{name}"), "/postgres");
    {
        use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
        let mut conn = AsyncPgConnection::establish(&admin).await.unwrap();
        let ended = diesel::sql_query(format!(
            "SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity \
             WHERE datname = '{name}' AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
        ))
        .load::<Ended>(&mut conn)
        .await
        .unwrap();
        assert!(ended.iter().any(|row| row.ended), "no session to end");
    }
    for response in groups().await {
        let status = response.status().as_u16();
        assert!(
            matches!(status, 200 | 503),
            "{status}: {}",
            response.text().await.unwrap()
        );
    }
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    for response in groups().await {
        assert_eq!(
            response.status(),
            200,
            "a request got a session the server had ended"
        );
    }
}

#[derive(diesel::QueryableByName)]
struct Ended {
    #[diesel(sql_type = diesel::sql_types::Bool)]
    ended: bool,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_stop_finishes_and_returns() {
    let app = TestApp::spawn().await;
    app.create_permission("Read").await;
    app.handle.stop(true).await;
    let outcome = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        loop {
            if app.task.is_finished() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    })
    .await;
    assert!(outcome.is_ok(), "server and relay stopped within the bound");
}
