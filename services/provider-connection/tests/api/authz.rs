//! The capability matrix: every endpoint × each capability it needs → 403; a foreign tenant or workspace → 404;
//! every refusal of a mutating call audited, and nothing changed.

use crate::helpers::*;
use provider_connection::auth::Capability;
use reqwest::Method;
use serde_json::{Value, json};

struct Endpoint {
    name: &'static str,
    method: Method,
    path: String,
    body: Option<Value>,
    headers: Vec<(&'static str, String)>,
    needs: Vec<Capability>,
    mutating: bool,
    ok: u16,
}

async fn endpoints(app: &TestApp) -> Vec<Endpoint> {
    let platform = app.create_platform("Platform").await["id"]
        .as_i64()
        .unwrap();
    let dedicated = app.create_dedicated(TENANT, "dedicated_manual").await["id"]
        .as_i64()
        .unwrap();
    let started: Value = app
        .post_empty(
            &format!("/provider-connections/{platform}/verification"),
            &admin(),
        )
        .await
        .json()
        .await
        .unwrap();
    let run = started["operation_run_id"].as_i64().unwrap();
    let credential = json!({"credential_kind": "client_secret", "client_id": DEDICATED_APP, "client_secret": ROTATED_SECRET});
    use Capability::*;
    vec![
        Endpoint {
            name: "create platform",
            method: Method::POST,
            path: format!("/tenants/{TENANT}/provider-connections"),
            body: Some(platform_body("x")),
            headers: vec![],
            needs: vec![Manage],
            mutating: true,
            ok: 201,
        },
        Endpoint {
            name: "create dedicated",
            method: Method::POST,
            path: format!("/tenants/{TENANT}/provider-connections"),
            body: Some(dedicated_body("x", DEDICATED_SECRET, "dedicated_manual")),
            headers: vec![],
            needs: vec![Manage, ManageDedicated],
            mutating: true,
            ok: 201,
        },
        Endpoint {
            name: "consent link",
            method: Method::POST,
            path: format!("/provider-connections/{platform}/admin-consent-link"),
            body: None,
            headers: vec![],
            needs: vec![Manage],
            mutating: true,
            ok: 200,
        },
        Endpoint {
            name: "verification",
            method: Method::POST,
            path: format!("/provider-connections/{platform}/verification"),
            body: None,
            headers: vec![],
            needs: vec![RunVerification],
            mutating: true,
            ok: 202,
        },
        Endpoint {
            name: "connection type",
            method: Method::PUT,
            path: format!("/provider-connections/{platform}/connection-type"),
            body: Some(json!({"connection_type": "platform"})),
            headers: vec![("X-Confirm-Connection", platform.to_string())],
            needs: vec![ManageDedicated],
            mutating: true,
            ok: 200,
        },
        Endpoint {
            name: "put credential",
            method: Method::PUT,
            path: format!("/provider-connections/{dedicated}/dedicated-credential"),
            body: Some(credential),
            headers: vec![],
            needs: vec![ManageDedicated],
            mutating: true,
            ok: 200,
        },
        Endpoint {
            name: "delete credential",
            method: Method::DELETE,
            path: format!("/provider-connections/{dedicated}/dedicated-credential"),
            body: None,
            headers: vec![("X-Confirm-Connection", dedicated.to_string())],
            needs: vec![ManageDedicated],
            mutating: true,
            ok: 204,
        },
        Endpoint {
            name: "get connection",
            method: Method::GET,
            path: format!("/provider-connections/{platform}"),
            body: None,
            headers: vec![],
            needs: vec![View],
            mutating: false,
            ok: 200,
        },
        Endpoint {
            name: "get run",
            method: Method::GET,
            path: format!("/verification-runs/{run}"),
            body: None,
            headers: vec![],
            needs: vec![View],
            mutating: false,
            ok: 200,
        },
        Endpoint {
            name: "audit records",
            method: Method::GET,
            path: format!("/tenants/{TENANT}/audit-records"),
            body: None,
            headers: vec![],
            needs: vec![ViewAudit],
            mutating: false,
            ok: 200,
        },
    ]
}

async fn call(app: &TestApp, endpoint: &Endpoint, token: &str) -> reqwest::Response {
    let headers: Vec<(&str, &str)> = endpoint
        .headers
        .iter()
        .map(|(n, v)| (*n, v.as_str()))
        .collect();
    app.send(
        endpoint.method.clone(),
        &endpoint.path,
        token,
        endpoint.body.as_ref(),
        &headers,
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_missing_capability_is_403_and_audited_without_a_change() {
    let app = TestApp::spawn_with(|s| s.verification.worker_enabled = false).await;
    let endpoints = endpoints(&app).await;
    let outbox_before = outbox_events(&app.pool).await.len();
    for endpoint in &endpoints {
        for missing in &endpoint.needs {
            let audit_before = audit_rows(&app.pool).await.len();
            let response = call(&app, endpoint, &without(*missing)).await;
            let problem = assert_problem(response, 403).await;
            assert!(
                problem["detail"]
                    .as_str()
                    .unwrap()
                    .contains(missing.as_str()),
                "{}: {problem}",
                endpoint.name
            );
            let audit = audit_rows(&app.pool).await;
            if endpoint.mutating {
                assert_eq!(audit.len(), audit_before + 1, "{} audited", endpoint.name);
                let last = audit.last().unwrap();
                assert_eq!(last["outcome"], "denied");
                assert_eq!(
                    last["reason"],
                    format!("missing_capability:{}", missing.as_str())
                );
            } else {
                assert_eq!(audit.len(), audit_before, "reads are not audited");
            }
        }
    }
    assert_eq!(
        outbox_events(&app.pool).await.len(),
        outbox_before,
        "refusals change nothing"
    );
    // Each endpoint works with every capability (so the 403s above were about the capability alone).
    for endpoint in &endpoints {
        let response = call(&app, endpoint, &admin()).await;
        assert_eq!(response.status(), endpoint.ok, "{}", endpoint.name);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn foreign_tenants_and_workspaces_are_404() {
    let app = TestApp::spawn_with(|s| s.verification.worker_enabled = false).await;
    let endpoints = endpoints(&app).await;
    let other_tenant = token_for(&Capability::ALL, &[OTHER_TENANT]);
    let other_workspace = token_with(json!({
        "sub": "intruder",
        "workspace_id": "ws-other",
        "tenants": [TENANT],
        "capabilities": Capability::ALL.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
    }));
    for endpoint in &endpoints {
        // Tenant paths are read within the caller's own workspace: another workspace's `tenant-a` is its own.
        let tokens = if endpoint.path.starts_with("/tenants/") {
            vec![&other_tenant]
        } else {
            vec![&other_tenant, &other_workspace]
        };
        for token in tokens {
            let audit_before = audit_rows(&app.pool).await.len();
            let response = call(&app, endpoint, token).await;
            assert_problem(response, 404).await;
            let audit = audit_rows(&app.pool).await;
            if endpoint.mutating {
                assert_eq!(audit.len(), audit_before + 1, "{} audited", endpoint.name);
                assert_eq!(audit.last().unwrap()["reason"], "not_accessible");
                assert_eq!(audit.last().unwrap()["outcome"], "denied");
            }
        }
    }
    let theirs: Vec<Value> = app
        .get(
            &format!("/tenants/{TENANT}/audit-records"),
            &other_workspace,
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(
        theirs.is_empty(),
        "another workspace sees none of this one's records: {theirs:?}"
    );
    let missing = app
        .post_empty("/provider-connections/999999/verification", &admin())
        .await;
    let problem = assert_problem(missing, 404).await;
    assert_eq!(
        problem["detail"],
        "provider connection 999999 is not accessible"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_trail_is_readable_per_tenant_newest_first() {
    let app = TestApp::spawn().await;
    let id = app.create_platform("Audited").await["id"].as_i64().unwrap();
    let _ = app
        .post_empty(
            &format!("/provider-connections/{id}/admin-consent-link"),
            &without(Capability::Manage),
        )
        .await;
    let response = app
        .get(
            &format!("/tenants/{TENANT}/audit-records?limit=10"),
            &admin(),
        )
        .await;
    assert_eq!(response.status(), 200);
    let records: Vec<Value> = response.json().await.unwrap();
    assert_eq!(records.len(), 2);
    assert_eq!(records[0]["action"], "consent.link");
    assert_eq!(records[0]["outcome"], "denied");
    assert_eq!(records[1]["action"], "connection.create");
    assert_eq!(records[1]["outcome"], "allowed");
    let page = app
        .get(
            &format!("/tenants/{TENANT}/audit-records?limit=1&offset=1"),
            &admin(),
        )
        .await;
    let page: Vec<Value> = page.json().await.unwrap();
    assert_eq!(page, records[1..].to_vec());
    let bad = app
        .get(
            &format!("/tenants/{TENANT}/audit-records?limit=1001"),
            &admin(),
        )
        .await;
    assert_eq!(assert_problem(bad, 400).await["field"], "limit");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authorization_comes_before_validation_and_rejected_bodies_are_audited() {
    let app = TestApp::spawn().await;
    let id = app.create_dedicated(TENANT, "dedicated_manual").await["id"]
        .as_i64()
        .unwrap();
    let bad = json!({"provider": "google"});
    let path = format!("/tenants/{TENANT}/provider-connections");
    assert_problem(
        app.post(&path, &without(Capability::Manage), &bad).await,
        403,
    )
    .await;
    let foreign = token_for(&Capability::ALL, &[OTHER_TENANT]);
    assert_problem(app.post(&path, &foreign, &bad).await, 404).await;
    let credential_path = format!("/provider-connections/{id}/dedicated-credential");
    let refused = app
        .send(
            Method::PUT,
            &credential_path,
            &without(Capability::ManageDedicated),
            Some(&bad),
            &[],
        )
        .await;
    assert_problem(refused, 403).await;
    let type_path = format!("/provider-connections/{id}/connection-type");
    let refused = app
        .send(Method::PUT, &type_path, &foreign, Some(&bad), &[])
        .await;
    assert_problem(refused, 404).await;

    let invalid = assert_problem(app.post(&path, &admin(), &bad).await, 400).await;
    assert_eq!(invalid["field"], "provider");
    let invalid = app
        .send(
            Method::PUT,
            &type_path,
            &admin(),
            Some(&json!({"connection_type": "shared"})),
            &[],
        )
        .await;
    assert_eq!(
        assert_problem(invalid, 400).await["field"],
        "connection_type"
    );
    let invalid = app
        .send(
            Method::PUT,
            &credential_path,
            &admin(),
            Some(&json!({"credential_kind": "client_secret"})),
            &[],
        )
        .await;
    assert_eq!(assert_problem(invalid, 400).await["field"], "client_id");
    let reasons: Vec<String> = audit_rows(&app.pool)
        .await
        .iter()
        .filter_map(|r| r["reason"].as_str().map(str::to_owned))
        .collect();
    for expected in [
        "invalid_input:provider",
        "invalid_input:connection_type",
        "invalid_input:client_id",
    ] {
        assert!(
            reasons.iter().any(|r| r == expected),
            "{expected} in {reasons:?}"
        );
    }
    assert_eq!(app.connection(id).await["connection_type"], "dedicated");
}
