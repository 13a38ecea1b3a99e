//! Isolation (OWASP API1 object level, API5 function level), one row per route of the contract: a member of
//! another workspace, or of this workspace without the tenant in its token, gets the contract's "not
//! accessible" 404 for a connection, run or tenant that exists exactly as for one that does not (same status,
//! same headers, same body but for the id it names, the same audit row), and nothing of the owner's changes; a
//! member in scope without a route's capability gets 403; no token is 401. The table is checked against the
//! spec's operations, so a new route needs its row here.

use crate::helpers::*;
use diesel::sql_types::Jsonb;
use persistence::Pool;
use provider_connection::auth::Capability;
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::BTreeSet;

/// What a route's path names, deciding who may see it.
#[derive(Clone, Copy, PartialEq)]
enum Scope {
    /// `{tenant}`: reachable when the token lists the tenant (of its own workspace).
    Tenant,
    /// `{connection}` of the owner's platform connection.
    Platform,
    /// `{connection}` of the owner's dedicated connection.
    Dedicated,
    /// `{run}` of a verification run of the owner's platform connection.
    Run,
    /// No member token (`security: []`): the consent callback (its state is the credential) and the
    /// operational paths.
    Public,
}

struct Route {
    name: &'static str,
    method: Method,
    /// The spec's path template.
    template: &'static str,
    scope: Scope,
    needs: &'static [Capability],
    body: Option<Value>,
    /// Sends `X-Confirm-Connection` naming the path's connection.
    confirm: bool,
    /// Whether a decision on it is audited.
    audited: bool,
    ok: u16,
}

fn table() -> Vec<Route> {
    use Capability::*;
    let route = |name, method, template, scope, needs, body, ok| Route {
        name,
        method,
        template,
        scope,
        needs,
        body,
        confirm: false,
        audited: false,
        ok,
    };
    let credential = json!({"credential_kind": "client_secret", "client_id": DEDICATED_APP, "client_secret": ROTATED_SECRET});
    let mut rows = vec![
        Route {
            audited: true,
            ..route(
                "create platform",
                Method::POST,
                "/tenants/{tenant}/provider-connections",
                Scope::Tenant,
                &[Manage],
                Some(platform_body("x")),
                201,
            )
        },
        Route {
            audited: true,
            ..route(
                "create dedicated",
                Method::POST,
                "/tenants/{tenant}/provider-connections",
                Scope::Tenant,
                &[Manage, ManageDedicated],
                Some(dedicated_body("x", DEDICATED_SECRET, "dedicated_manual")),
                201,
            )
        },
        Route {
            audited: true,
            ..route(
                "consent link",
                Method::POST,
                "/provider-connections/{connection}/admin-consent-link",
                Scope::Platform,
                &[Manage],
                None,
                200,
            )
        },
        Route {
            audited: true,
            ..route(
                "start verification",
                Method::POST,
                "/provider-connections/{connection}/verification",
                Scope::Platform,
                &[RunVerification],
                None,
                202,
            )
        },
        Route {
            audited: true,
            confirm: true,
            ..route(
                "change type",
                Method::PUT,
                "/provider-connections/{connection}/connection-type",
                Scope::Platform,
                &[ManageDedicated],
                Some(json!({"connection_type": "platform"})),
                200,
            )
        },
        Route {
            audited: true,
            ..route(
                "put credential",
                Method::PUT,
                "/provider-connections/{connection}/dedicated-credential",
                Scope::Dedicated,
                &[ManageDedicated],
                Some(credential),
                200,
            )
        },
        Route {
            audited: true,
            confirm: true,
            ..route(
                "delete credential",
                Method::DELETE,
                "/provider-connections/{connection}/dedicated-credential",
                Scope::Dedicated,
                &[ManageDedicated],
                None,
                204,
            )
        },
        route(
            "read connection",
            Method::GET,
            "/provider-connections/{connection}",
            Scope::Platform,
            &[View],
            None,
            200,
        ),
        route(
            "read run",
            Method::GET,
            "/verification-runs/{run}",
            Scope::Run,
            &[View],
            None,
            200,
        ),
        route(
            "audit trail",
            Method::GET,
            "/tenants/{tenant}/audit-records",
            Scope::Tenant,
            &[ViewAudit],
            None,
            200,
        ),
        route(
            "consent callback",
            Method::GET,
            "/consent/callback",
            Scope::Public,
            &[],
            None,
            403,
        ),
    ];
    for path in [
        "/healthz",
        "/readyz",
        "/metrics",
        "/openapi.yaml",
        "/openapi.json",
        "/docs",
    ] {
        rows.push(route(
            path,
            Method::GET,
            path,
            Scope::Public,
            &[],
            None,
            200,
        ));
    }
    rows
}

/// The owner's resources the intruders aim at.
struct Owned {
    platform: i64,
    dedicated: i64,
    run: i64,
}

impl Owned {
    fn id(&self, scope: Scope) -> String {
        match scope {
            Scope::Platform => self.platform.to_string(),
            Scope::Dedicated => self.dedicated.to_string(),
            Scope::Run => self.run.to_string(),
            Scope::Tenant => TENANT.to_owned(),
            Scope::Public => String::new(),
        }
    }
}

/// An id of the route's kind that exists nowhere.
fn missing(scope: Scope) -> String {
    match scope {
        Scope::Tenant => "tenant-nowhere".to_owned(),
        _ => "987654".to_owned(),
    }
}

fn path(route: &Route, id: &str) -> String {
    route
        .template
        .replace("{tenant}", id)
        .replace("{connection}", id)
        .replace("{run}", id)
}

/// A request as `token` (none: no `Authorization`) for `id`; the status, the header names but the per-request
/// ones, and the body.
async fn call(
    app: &TestApp,
    route: &Route,
    token: Option<&str>,
    id: &str,
) -> (u16, BTreeSet<String>, String) {
    let path = path(route, id);
    let url = if route.scope == Scope::Public && !route.template.starts_with("/consent") {
        format!("{}{path}", app.address)
    } else {
        app.url(&path)
    };
    let mut request = app.client.request(route.method.clone(), url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if route.confirm {
        request = request.header("X-Confirm-Connection", id);
    }
    if let Some(body) = &route.body {
        request = request.json(body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .keys()
        .map(|name| name.as_str().to_owned())
        .filter(|name| !["date", "content-length", "x-request-id"].contains(&name.as_str()))
        .collect();
    (status, headers, response.text().await.unwrap())
}

/// Everything of the owner's workspace a refused call must leave as it was, as JSON.
async fn owner_state(pool: &Pool) -> Value {
    const OWNED: &str =
        "connection_id IN (SELECT id FROM provider_connections WHERE workspace_id = 'ws-contoso')";
    use diesel_async::RunQueryDsl;
    let mut conn = pool.get().await.unwrap();
    let query = format!(
        "SELECT jsonb_build_object(
            'connections', (SELECT jsonb_agg(to_jsonb(t) ORDER BY id) FROM provider_connections t WHERE workspace_id = '{WORKSPACE}'),
            'credentials', (SELECT jsonb_agg(to_jsonb(t) ORDER BY connection_id) FROM dedicated_credentials t WHERE {OWNED}),
            'runs', (SELECT jsonb_agg(to_jsonb(t) ORDER BY id) FROM verification_runs t WHERE workspace_id = '{WORKSPACE}'),
            'consent_states', (SELECT jsonb_agg(to_jsonb(t) ORDER BY nonce) FROM consent_states t WHERE {OWNED}))"
    );
    diesel::select(diesel::dsl::sql::<Jsonb>(&format!("({query})")))
        .get_result::<Value>(&mut conn)
        .await
        .unwrap()
}

/// An audit row without what differs between any two calls (its id, time, request) and with the connection id
/// replaced by `{id}` when it is `id`.
fn normalized_audit(mut row: Value, id: &str) -> Value {
    for key in ["id", "recorded_at", "request_id"] {
        row[key] = Value::Null;
    }
    for key in ["connection_id", "tenant"] {
        if row[key].to_string().trim_matches('"') == id {
            row[key] = json!("{id}");
        }
    }
    row
}

/// `body` with each word that is `id` replaced by `{id}`.
fn naming(body: &str, id: &str) -> String {
    body.split(' ')
        .map(|word| if word == id { "{id}" } else { word })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The audit rows written since `before` rows, normalized.
async fn new_audit(pool: &Pool, before: usize, id: &str) -> Vec<Value> {
    audit_rows(pool)
        .await
        .into_iter()
        .skip(before)
        .map(|row| normalized_audit(row, id))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_caller_reaches_another_workspaces_or_tenants_resources_or_a_function_beyond_its_capabilities()
 {
    let app = TestApp::spawn_with(|s| s.verification.worker_enabled = false).await;
    let platform = app.create_platform("Owned").await["id"].as_i64().unwrap();
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
    let owned = Owned {
        platform,
        dedicated,
        run: started["operation_run_id"].as_i64().unwrap(),
    };
    let all: Vec<&str> = Capability::ALL.iter().map(|c| c.as_str()).collect();
    // Every capability, but another workspace (whose `tenant-a` is its own) or another tenant.
    let other_workspace = token_with(json!({
        "sub": "intruder", "workspace_id": "ws-other", "tenants": [TENANT], "capabilities": all,
    }));
    let other_tenant = token_for(&Capability::ALL, &[OTHER_TENANT]);
    let nothing = token_for(&[], &[OTHER_TENANT]);
    let table = table();
    let before = owner_state(&app.pool).await;
    let outbox_before = outbox_events(&app.pool).await.len();
    let mut failures = Vec::new();

    for route in &table {
        if route.scope == Scope::Public {
            let (status, _, body) = call(&app, route, None, "").await;
            if status != route.ok {
                failures.push(format!("{}: without a token {status}: {body}", route.name));
            }
            continue;
        }
        // No token at all.
        let (status, headers, _) = call(&app, route, None, &owned.id(route.scope)).await;
        if status != 401 || !headers.contains("www-authenticate") {
            failures.push(format!("{}: without a token {status}", route.name));
        }
        // Out of scope: the existing resource and a missing one answer alike.
        let mut intruders = vec![
            ("another tenant", &other_tenant),
            ("no capability", &nothing),
        ];
        if route.scope != Scope::Tenant {
            intruders.push(("another workspace", &other_workspace));
        }
        for (who, token) in intruders {
            let existing = owned.id(route.scope);
            let absent = missing(route.scope);
            let audit_before = audit_rows(&app.pool).await.len();
            let (status, headers, body) = call(&app, route, Some(token), &existing).await;
            let existing_audit = new_audit(&app.pool, audit_before, &existing).await;
            let audit_before = audit_rows(&app.pool).await.len();
            let (missing_status, missing_headers, missing_body) =
                call(&app, route, Some(token), &absent).await;
            let missing_audit = new_audit(&app.pool, audit_before, &absent).await;
            let at = format!("{} as {who}", route.name);
            if status != 404 || missing_status != 404 {
                failures.push(format!(
                    "{at}: existing {status} {body}, missing {missing_status}"
                ));
            }
            if headers != missing_headers {
                failures.push(format!("{at}: headers {headers:?} vs {missing_headers:?}"));
            }
            if naming(&body, &existing) != naming(&missing_body, &absent) {
                failures.push(format!("{at}: bodies differ: {body} vs {missing_body}"));
            }
            let expected_audit = usize::from(route.audited);
            if existing_audit != missing_audit || existing_audit.len() != expected_audit {
                failures.push(format!(
                    "{at}: audit {existing_audit:?} vs {missing_audit:?}"
                ));
            }
            if let Some(row) = existing_audit.first()
                && (row["reason"] != "not_accessible" || row["outcome"] != "denied")
            {
                failures.push(format!("{at}: audited as {row}"));
            }
        }
        // In scope, without one of the capabilities the route needs.
        for missing_capability in route.needs {
            let (status, _, body) = call(
                &app,
                route,
                Some(&without(*missing_capability)),
                &owned.id(route.scope),
            )
            .await;
            if status != 403 || !body.contains(missing_capability.as_str()) {
                failures.push(format!(
                    "{} without {}: {status} {body}",
                    route.name,
                    missing_capability.as_str()
                ));
            }
        }
    }
    // Another workspace's `{tenant}` paths are its own: it sees only its own trail, and what it creates
    // there is its own (not demoting the owner's default connection).
    for route in table.iter().filter(|r| r.scope == Scope::Tenant) {
        let (status, _, body) = call(&app, route, Some(&other_workspace), TENANT).await;
        if status != route.ok {
            failures.push(format!(
                "{} in its own workspace: {status} {body}",
                route.name
            ));
        }
        if route.method == Method::GET {
            let rows: Vec<Value> = serde_json::from_str(&body).unwrap();
            if rows.iter().any(|row| row["workspace_id"] != "ws-other") {
                failures.push(format!("{}: another workspace read {body}", route.name));
            }
        }
    }
    // The callback's credential is its state: a forged one is refused like a missing one.
    let forged = app
        .callback(&format!(
            "admin_consent=True&tenant={ENTRA}&state=forged.state.value"
        ))
        .await;
    if forged.status() != 403 {
        failures.push(format!("a forged consent state: {}", forged.status()));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    assert_eq!(
        owner_state(&app.pool).await,
        before,
        "no refused call changed anything of the owner's"
    );
    let owner_ids = [platform, dedicated];
    for event in outbox_events(&app.pool).await.iter().skip(outbox_before) {
        let subject: i64 = event["subject"].as_str().unwrap().parse().unwrap();
        assert!(
            !owner_ids.contains(&subject),
            "an event about the owner's connection: {event}"
        );
    }
    // The fixtures were real: each route works for the owner.
    for route in table.iter().filter(|r| r.scope != Scope::Public) {
        let (status, _, body) = call(&app, route, Some(&admin()), &owned.id(route.scope)).await;
        assert_eq!(status, route.ok, "{} as the owner: {body}", route.name);
    }

    let operations = test_support::methods::operations(contracts::PROVIDER_CONNECTION);
    let covered: BTreeSet<(String, String)> = table
        .iter()
        .map(|r| (r.method.to_string(), r.template.to_owned()))
        .collect();
    assert_eq!(covered, operations, "every operation of the spec has a row");
}
