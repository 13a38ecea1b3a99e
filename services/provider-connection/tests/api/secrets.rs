//! The secret never leaves the service: not in a response, a log line, an audit row or an event.

use crate::helpers::*;
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_never_appear_in_responses_logs_audit_rows_or_events() {
    let app = TestApp::spawn().await;
    let mut subscriber = app.subscribe().await;
    app.fake_token(DEDICATED_SECRET, &[REQUIRED_ROLE]).await;
    app.fake_token(ROTATED_SECRET, &[]).await;
    app.fake_graph_ok().await;
    let mut bodies: Vec<String> = Vec::new();
    let mut keep = |text: String| {
        bodies.push(text);
    };

    let response = app
        .post(
            &format!("/tenants/{TENANT}/provider-connections"),
            &admin(),
            &dedicated_body("D", DEDICATED_SECRET, "dedicated_manual"),
        )
        .await;
    let created: Value = serde_json::from_str(&{
        let text = response.text().await.unwrap();
        keep(text.clone());
        text
    })
    .unwrap();
    let id = created["id"].as_i64().unwrap();
    // A refused attempt and a malformed one still carry a secret in the request.
    let refused = app
        .post(
            &format!("/tenants/{TENANT}/provider-connections"),
            &without(provider_connection::auth::Capability::ManageDedicated),
            &dedicated_body("D", DEDICATED_SECRET, "dedicated_manual"),
        )
        .await;
    keep(refused.text().await.unwrap());
    let mut platform_with_secret = dedicated_body("D", DEDICATED_SECRET, "dedicated_manual");
    platform_with_secret["connection_type"] = json!("platform");
    keep(
        app.post(
            &format!("/tenants/{TENANT}/provider-connections"),
            &admin(),
            &platform_with_secret,
        )
        .await
        .text()
        .await
        .unwrap(),
    );

    let state = app.consent_state(id).await;
    keep(
        app.callback(&format!("admin_consent=True&tenant={ENTRA}&state={state}"))
            .await
            .text()
            .await
            .unwrap(),
    );
    let run = app.verify(id).await;
    assert_eq!(run["outcome"], "healthy");
    keep(run.to_string());
    keep(app.connection(id).await.to_string());

    let rotate = json!({"credential_kind": "client_secret", "client_id": DEDICATED_APP, "client_secret": ROTATED_SECRET});
    let path = format!("/provider-connections/{id}/dedicated-credential");
    keep(
        app.send(Method::PUT, &path, &admin(), Some(&rotate), &[])
            .await
            .text()
            .await
            .unwrap(),
    );
    let run = app.verify(id).await;
    assert_eq!(run["outcome"], "degraded");
    keep(run.to_string());
    let confirm = id.to_string();
    keep(
        app.send(
            Method::DELETE,
            &path,
            &admin(),
            None,
            &[("X-Confirm-Connection", &confirm)],
        )
        .await
        .text()
        .await
        .unwrap(),
    );
    keep(
        app.get(&format!("/tenants/{TENANT}/audit-records"), &admin())
            .await
            .text()
            .await
            .unwrap(),
    );

    let audit = serde_json::to_string(&audit_rows(&app.pool).await).unwrap();
    let outbox = serde_json::to_string(&outbox_events(&app.pool).await).unwrap();
    let expected_events = outbox_events(&app.pool).await.len();
    let published: Vec<String> = subscriber
        .take(expected_events, Duration::from_secs(15))
        .await
        .into_iter()
        .map(|r| r.event.to_string())
        .collect();
    let logs = test_support::logs::text();
    assert!(
        logs.contains("verification run finished"),
        "the worker's logs are captured"
    );

    for secret in [DEDICATED_SECRET, ROTATED_SECRET, PLATFORM_SECRET] {
        for (what, text) in bodies.iter().map(|b| ("response", b)).chain([
            ("audit rows", &audit),
            ("outbox", &outbox),
            ("logs", &logs),
        ]) {
            assert!(!text.contains(secret), "{secret} found in {what}: {text}");
        }
        for event in &published {
            assert!(
                !event.contains(secret),
                "{secret} found in a published event: {event}"
            );
        }
    }
    // The fake Microsoft did receive the secrets: the scan above looked where they could have leaked.
    let requests = app.microsoft.received_requests().await.unwrap();
    assert!(
        requests
            .iter()
            .any(|r| String::from_utf8_lossy(&r.body).contains(DEDICATED_SECRET))
    );
    assert!(
        requests
            .iter()
            .any(|r| String::from_utf8_lossy(&r.body).contains(ROTATED_SECRET))
    );
}
