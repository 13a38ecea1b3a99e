use crate::helpers::*;
use provider_connection::auth::Capability;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

/// A consented platform connection.
async fn ready_connection(app: &TestApp) -> i64 {
    let id = app.create_platform("Contoso").await["id"].as_i64().unwrap();
    app.grant_consent(id).await;
    id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_consent_the_run_is_blocked_with_its_reason() {
    let app = TestApp::spawn().await;
    let id = app.create_platform("Contoso").await["id"].as_i64().unwrap();
    let response = app
        .post_empty(
            &format!("/provider-connections/{id}/verification"),
            &admin(),
        )
        .await;
    assert_eq!(response.status(), 202);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "blocked");
    let run = app
        .wait_run(body["operation_run_id"].as_i64().unwrap())
        .await;
    assert_eq!(run["status"], "blocked");
    assert_eq!(run["outcome"], "blocked");
    assert!(run["detail"].as_str().unwrap().contains("admin consent"));
    let connection = app.connection(id).await;
    assert_eq!(connection["verification_status"], "blocked");
    assert!(
        connection["health_status"]
            .as_str()
            .unwrap()
            .contains("admin consent")
    );
    assert!(
        app.microsoft.received_requests().await.unwrap().is_empty(),
        "Microsoft is not called"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_with_the_required_roles_and_a_working_graph_is_healthy() {
    let app = TestApp::spawn().await;
    app.fake_token(PLATFORM_SECRET, &[REQUIRED_ROLE, "User.Read.All"])
        .await;
    app.fake_graph_ok().await;
    let id = ready_connection(&app).await;
    let mut events = app.subscribe().await;
    let run = app.verify(id).await;
    assert_eq!(run["status"], "completed");
    assert_eq!(run["outcome"], "healthy");
    assert_eq!(run["connection_id"], id);
    assert!(run["started_at"].is_string() && run["finished_at"].is_string());
    let connection = app.connection(id).await;
    assert_eq!(connection["verification_status"], "healthy");
    assert!(
        connection["health_status"]
            .as_str()
            .unwrap()
            .starts_with("Healthy")
    );
    let received = events.take(2, Duration::from_secs(10)).await;
    let completed = received
        .iter()
        .find(|r| r.routing_key == "provider-connection.verification.completed.v1")
        .expect("outcome event");
    assert_eq!(completed.event["data"]["outcome"], "healthy");
    assert_eq!(completed.event["data"]["operation_run_id"], run["id"]);
    // The token request is the client-credentials grant of the platform app to the connection's tenant.
    let requests = app.microsoft.received_requests().await.unwrap();
    let token_request = requests
        .iter()
        .find(|r| r.url.path().ends_with("/oauth2/v2.0/token"))
        .unwrap();
    let form: Vec<(String, String)> = url::form_urlencoded::parse(&token_request.body)
        .into_owned()
        .collect();
    assert!(form.contains(&("grant_type".into(), "client_credentials".into())));
    assert!(form.contains(&("client_id".into(), PLATFORM_APP.into())));
    assert!(form.contains(&(
        "scope".into(),
        "https://graph.microsoft.com/.default".into()
    )));
    let graph = requests
        .iter()
        .find(|r| r.url.path() == "/v1.0/organization")
        .unwrap();
    assert!(
        graph.headers["authorization"]
            .to_str()
            .unwrap()
            .starts_with("Bearer ")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_missing_required_roles_is_degraded() {
    let app = TestApp::spawn().await;
    app.fake_token(PLATFORM_SECRET, &["User.Read.All"]).await;
    app.fake_graph_ok().await;
    let id = ready_connection(&app).await;
    let run = app.verify(id).await;
    assert_eq!(run["outcome"], "degraded");
    let connection = app.connection(id).await;
    assert_eq!(connection["verification_status"], "degraded");
    assert!(
        connection["health_status"]
            .as_str()
            .unwrap()
            .contains(REQUIRED_ROLE)
    );
}

async fn outcome_of_token_answer(answer: ResponseTemplate) -> (Value, Value) {
    let app = TestApp::spawn().await;
    Mock::given(method("POST"))
        .and(path(format!("/{ENTRA}/oauth2/v2.0/token")))
        .respond_with(answer)
        .mount(&app.microsoft)
        .await;
    let id = ready_connection(&app).await;
    let run = app.verify(id).await;
    (run, app.connection(id).await)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_secret_is_blocked() {
    let (run, connection) =
        outcome_of_token_answer(ResponseTemplate::new(401).set_body_json(json!({
            "error": "invalid_client",
            "error_description": "AADSTS7000215: Invalid client secret provided.\r\nTrace ID: x",
            "error_codes": [7000215],
        })))
        .await;
    assert_eq!(run["outcome"], "blocked");
    assert_eq!(connection["verification_status"], "blocked");
    assert!(
        connection["health_status"]
            .as_str()
            .unwrap()
            .contains("invalid_client")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_tenant_is_blocked() {
    let (run, connection) =
        outcome_of_token_answer(ResponseTemplate::new(400).set_body_json(json!({
            "error": "invalid_request",
            "error_description": "AADSTS90002: Tenant not found.",
            "error_codes": [90002],
        })))
        .await;
    assert_eq!(run["outcome"], "blocked");
    assert!(
        connection["health_status"]
            .as_str()
            .unwrap()
            .contains("tenant was not found")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timeout_is_an_error() {
    let (run, connection) = outcome_of_token_answer(
        ResponseTemplate::new(200)
            .set_delay(Duration::from_secs(3))
            .set_body_json(json!({})),
    )
    .await;
    assert_eq!(run["outcome"], "error");
    assert_eq!(connection["verification_status"], "error");
    assert!(
        connection["health_status"]
            .as_str()
            .unwrap()
            .contains("did not answer in time")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttling_is_an_error() {
    let (run, connection) =
        outcome_of_token_answer(ResponseTemplate::new(429).insert_header("Retry-After", "0")).await;
    assert_eq!(run["outcome"], "error");
    assert!(
        connection["health_status"]
            .as_str()
            .unwrap()
            .contains("throttled")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_concurrent_requests_start_exactly_one_run() {
    let app = TestApp::spawn_with(|s| s.verification.worker_enabled = false).await;
    let id = ready_connection(&app).await;
    let token = admin();
    let requests = (0..10).map(|_| {
        let app = &app;
        let token = token.clone();
        async move {
            let response = app
                .post_empty(&format!("/provider-connections/{id}/verification"), &token)
                .await;
            assert_eq!(response.status(), 202);
            response.json::<Value>().await.unwrap()
        }
    });
    let answers = futures_util::future::join_all(requests).await;
    let started: Vec<&Value> = answers
        .iter()
        .filter(|a| a["status"] == "started")
        .collect();
    assert_eq!(started.len(), 1, "{answers:?}");
    let run_id = &started[0]["operation_run_id"];
    assert!(
        answers.iter().all(|a| &a["operation_run_id"] == run_id),
        "{answers:?}"
    );
    assert_eq!(
        answers.iter().filter(|a| a["status"] == "deduped").count(),
        9
    );
    assert_eq!(app.connection(id).await["verification_status"], "pending");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_connections_active_run_makes_the_scope_busy() {
    let app = TestApp::spawn_with(|s| s.verification.worker_enabled = false).await;
    let first = ready_connection(&app).await;
    let second = ready_connection(&app).await;
    let a: Value = app
        .post_empty(
            &format!("/provider-connections/{first}/verification"),
            &admin(),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(a["status"], "started");
    let b: Value = app
        .post_empty(
            &format!("/provider-connections/{second}/verification"),
            &admin(),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(b["status"], "scope_busy");
    assert_eq!(b["operation_run_id"], a["operation_run_id"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_racing_complete_each_run_exactly_once() {
    let app = TestApp::spawn_with(|s| s.verification.worker_enabled = false).await;
    app.fake_token(PLATFORM_SECRET, &[REQUIRED_ROLE]).await;
    app.fake_graph_ok().await;
    let tenants: Vec<String> = (0..6).map(|i| format!("tenant-{i}")).collect();
    let names: Vec<&str> = tenants.iter().map(String::as_str).collect();
    let token = token_for(&Capability::ALL, &names);
    let mut runs = Vec::new();
    for tenant in &tenants {
        let created: Value = app
            .post(
                &format!("/tenants/{tenant}/provider-connections"),
                &token,
                &platform_body(tenant),
            )
            .await
            .json()
            .await
            .unwrap();
        let id = created["id"].as_i64().unwrap();
        let state = {
            let link: Value = app
                .post_empty(
                    &format!("/provider-connections/{id}/admin-consent-link"),
                    &token,
                )
                .await
                .json()
                .await
                .unwrap();
            let url = url::Url::parse(link["url"].as_str().unwrap()).unwrap();
            url.query_pairs()
                .find(|(k, _)| k == "state")
                .unwrap()
                .1
                .into_owned()
        };
        assert_eq!(
            app.callback(&format!("admin_consent=True&tenant={ENTRA}&state={state}"))
                .await
                .status(),
            200
        );
        let started: Value = app
            .post_empty(&format!("/provider-connections/{id}/verification"), &token)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(started["status"], "started");
        runs.push(started["operation_run_id"].as_i64().unwrap());
    }
    let wake = Arc::new(tokio::sync::Notify::new());
    let one = Arc::new(
        provider_connection::worker::Worker::from_settings(
            &app.settings,
            app.pool.clone(),
            Arc::clone(&wake),
        )
        .unwrap(),
    );
    let two = Arc::new(
        provider_connection::worker::Worker::from_settings(&app.settings, app.pool.clone(), wake)
            .unwrap(),
    );
    let drain = |worker: Arc<provider_connection::worker::Worker>| async move {
        let mut done = 0;
        while worker.run_once().await.unwrap() {
            done += 1;
        }
        done
    };
    let (a, b) = tokio::join!(tokio::spawn(drain(one)), tokio::spawn(drain(two)));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a + b, runs.len(), "each run claimed once ({a} + {b})");
    for run in runs {
        let run: Value = app
            .get(&format!("/verification-runs/{run}"), &token)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(run["outcome"], "healthy", "{run}");
    }
    let token_requests = app
        .microsoft
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path().ends_with("/oauth2/v2.0/token"))
        .count();
    assert_eq!(token_requests, 6, "one token request per run");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_stuck_past_the_timeout_is_failed() {
    let app = TestApp::spawn_with(|s| s.verification.worker_enabled = false).await;
    let id = ready_connection(&app).await;
    let started: Value = app
        .post_empty(
            &format!("/provider-connections/{id}/verification"),
            &admin(),
        )
        .await
        .json()
        .await
        .unwrap();
    let run_id = started["operation_run_id"].as_i64().unwrap();
    {
        use diesel::prelude::*;
        use diesel_async::RunQueryDsl;
        use provider_connection::db::schema::verification_runs as runs;
        let mut conn = app.pool.get().await.unwrap();
        diesel::update(runs::table.find(run_id))
            .set((
                runs::status.eq("running"),
                runs::started_at.eq(chrono::Utc::now() - chrono::Duration::minutes(10)),
            ))
            .execute(&mut conn)
            .await
            .unwrap();
    }
    let worker = provider_connection::worker::Worker::from_settings(
        &app.settings,
        app.pool.clone(),
        Arc::new(tokio::sync::Notify::new()),
    )
    .unwrap();
    assert_eq!(worker.fail_stuck().await.unwrap(), 1);
    assert_eq!(worker.fail_stuck().await.unwrap(), 0);
    let run: Value = app
        .get(&format!("/verification-runs/{run_id}"), &admin())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(run["status"], "failed");
    assert_eq!(run["outcome"], "error");
    let connection = app.connection(id).await;
    assert_eq!(connection["verification_status"], "error");
    assert!(
        connection["health_status"]
            .as_str()
            .unwrap()
            .contains("did not finish")
    );
    // The scope is free again.
    let again: Value = app
        .post_empty(
            &format!("/provider-connections/{id}/verification"),
            &admin(),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again["status"], "started");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_in_process_worker_fails_stuck_runs_by_itself() {
    let app = TestApp::spawn_with(|s| s.verification.run_timeout_secs = 1).await;
    let id = ready_connection(&app).await;
    let run_id: i64 = {
        use diesel::prelude::*;
        use diesel_async::RunQueryDsl;
        use provider_connection::db::schema::verification_runs as runs;
        let mut conn = app.pool.get().await.unwrap();
        diesel::insert_into(runs::table)
            .values((
                runs::connection_id.eq(id),
                runs::workspace_id.eq(WORKSPACE),
                runs::tenant.eq(TENANT),
                runs::status.eq("running"),
                runs::requested_by.eq("member-1"),
                runs::started_at.eq(chrono::Utc::now()),
            ))
            .returning(runs::id)
            .get_result(&mut conn)
            .await
            .unwrap()
    };
    let run = app.wait_run(run_id).await;
    assert_eq!(run["status"], "failed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_app_no_longer_consented_is_blocked_and_consent_becomes_revoked() {
    let (run, connection) = outcome_of_token_answer(ResponseTemplate::new(400).set_body_json(json!({
        "error": "unauthorized_client",
        "error_description": "AADSTS700016: Application with identifier '00000000-0000-4000-8000-0000000000aa' was not found in the directory 'Contoso'.\r\nTrace ID: x",
        "error_codes": [700016],
    })))
    .await;
    assert_eq!(run["outcome"], "blocked");
    assert_eq!(connection["consent_status"], "revoked");
    assert!(
        connection["health_status"]
            .as_str()
            .unwrap()
            .contains("admin consent again")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consent_states_are_purged_a_day_after_they_expire() {
    let app = TestApp::spawn_with(|s| s.verification.worker_enabled = false).await;
    let id = app.create_platform("Contoso").await["id"].as_i64().unwrap();
    app.consent_state(id).await;
    app.consent_state(id).await;
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    use provider_connection::db::schema::consent_states;
    let mut conn = app.pool.get().await.unwrap();
    let old: uuid::Uuid = consent_states::table
        .select(consent_states::nonce)
        .first(&mut conn)
        .await
        .unwrap();
    diesel::update(consent_states::table.find(old))
        .set(consent_states::expires_at.eq(chrono::Utc::now() - chrono::Duration::hours(25)))
        .execute(&mut conn)
        .await
        .unwrap();
    let worker = provider_connection::worker::Worker::from_settings(
        &app.settings,
        app.pool.clone(),
        Arc::new(tokio::sync::Notify::new()),
    )
    .unwrap();
    assert_eq!(worker.purge_consent_states().await.unwrap(), 1);
    let left: i64 = consent_states::table
        .count()
        .get_result(&mut conn)
        .await
        .unwrap();
    assert_eq!(left, 1);
}
