//! Isolation (OWASP API1 object level, API5 function level), one row per route of the contract: a token of
//! application A, whatever its permissions short of `idp:admin`, gets the contract's 401
//! `AUTHENTICATION_INVALID_APPLICATION` on application B's paths exactly as on an application that does not
//! exist (same status, headers and body but for the name and the error's id and time), and B's providers are
//! as they were; A's own path with B's provider key is A's (404 as for a key that exists nowhere); the admin
//! paths refuse everything short of `idp:admin` with 403; a missing permission is 403; no token is 401. The
//! discovery paths show A only its own providers, and the public one B's `ENABLED` + `PUBLIC` ones alone. The
//! table is checked against the spec's operations, so a new route needs its row here.

use crate::helpers::*;
use diesel::sql_types::Jsonb;
use persistence::Pool;
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::BTreeSet;

const OWNER: &str = "app-b";
const INTRUDER: &str = "app-a";
const NOWHERE: &str = "app-nowhere";
/// B's provider keys, none of them A's.
const B_PUBLIC: &str = "b-public";
const B_APPLICATION: &str = "b-application";
const B_HIDDEN: &str = "b-hidden";

/// What a route's path names.
#[derive(Clone, Copy, PartialEq)]
enum Scope {
    /// `{application-expression}`.
    Application,
    /// `{application-expression}` and `{identity-provider-key}`.
    Provider,
    /// The token's own application (`/identity-provider-setup`).
    Own,
    /// `idp:admin` only: `/admin/applications/{application}`, `/admin/revoked-tokens`.
    Admin,
    /// No token: the public setup and the operational paths.
    Public,
}

struct Route {
    name: &'static str,
    method: Method,
    template: &'static str,
    scope: Scope,
    /// The permission a token of the path's own application needs.
    needs: Option<&'static str>,
    body: Option<Value>,
    ok: u16,
}

fn table() -> Vec<Route> {
    let route = |name, method, template, scope, needs, body: Option<Value>, ok| Route {
        name,
        method,
        template,
        scope,
        needs,
        body,
        ok,
    };
    let list = "/idp/v1/applications/{application-expression}/identity-providers";
    let one =
        "/idp/v1/applications/{application-expression}/identity-providers/{identity-provider-key}";
    let mut rows = vec![
        route(
            "list",
            Method::GET,
            list,
            Scope::Application,
            Some("idp:read"),
            None,
            200,
        ),
        route(
            "replace all",
            Method::PUT,
            list,
            Scope::Application,
            Some("idp:write"),
            Some(json!([oidc(B_PUBLIC, "PUBLIC")])),
            204,
        ),
        route(
            "delete all",
            Method::DELETE,
            list,
            Scope::Application,
            Some("idp:write"),
            None,
            204,
        ),
        route(
            "get one",
            Method::GET,
            one,
            Scope::Provider,
            Some("idp:read"),
            None,
            200,
        ),
        route(
            "put one",
            Method::PUT,
            one,
            Scope::Provider,
            Some("idp:write"),
            Some(without_key(oauth2(
                "k",
                "APPLICATION",
                "put-one-secret-4e1a",
            ))),
            204,
        ),
        route(
            "delete one",
            Method::DELETE,
            one,
            Scope::Provider,
            Some("idp:write"),
            None,
            204,
        ),
        route(
            "check",
            Method::POST,
            "/idp/v1/applications/{application-expression}/identity-provider-checks",
            Scope::Application,
            Some("idp:write"),
            Some(without_key(oauth2("k", "APPLICATION", "check-secret-7d20"))),
            200,
        ),
        route(
            "public setup",
            Method::GET,
            "/idp/v1/applications/{application-expression}/public-identity-provider-setup",
            Scope::Public,
            None,
            None,
            200,
        ),
        route(
            "own setup",
            Method::GET,
            "/idp/v1/identity-provider-setup",
            Scope::Own,
            None,
            None,
            200,
        ),
        route(
            "register",
            Method::PUT,
            "/idp/v1/admin/applications/{application}",
            Scope::Admin,
            Some("idp:admin"),
            None,
            200,
        ),
        route(
            "revoke",
            Method::POST,
            "/idp/v1/admin/revoked-tokens",
            Scope::Admin,
            Some("idp:admin"),
            Some(json!({"jti": "isolation-jti", "expiresAt": "2099-01-01T00:00:00Z"})),
            204,
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
            None,
            None,
            200,
        ));
    }
    rows
}

fn path(route: &Route, application: &str, key: &str) -> String {
    route
        .template
        .replace("{application-expression}", application)
        .replace("{application}", application)
        .replace("{identity-provider-key}", key)
}

/// The status, the header names but the per-response ones, and the body with `name` replaced by `{name}` and
/// an error's id and time dropped.
async fn call(
    app: &TestApp,
    route: &Route,
    token: Option<&str>,
    application: &str,
    key: &str,
) -> (u16, BTreeSet<String>, String) {
    let mut request = app.client.request(
        route.method.clone(),
        format!("{}{}", app.address, path(route, application, key)),
    );
    if let Some(token) = token {
        request = request.bearer_auth(token);
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
    let text = response.text().await.unwrap();
    let body = match serde_json::from_str::<Value>(&text) {
        Ok(mut error) if error.get("errorId").is_some() => {
            error["errorId"] = Value::Null;
            error["occurredAt"] = Value::Null;
            error.to_string()
        }
        _ => text,
    };
    (status, headers, body.replace(application, "{name}"))
}

/// B's registration and providers, and the revocation list, as JSON.
async fn owner_state(pool: &Pool) -> Value {
    use diesel_async::RunQueryDsl;
    let mut conn = pool.get().await.unwrap();
    let query = format!(
        "(SELECT jsonb_build_object(
            'application', (SELECT to_jsonb(t) FROM applications t WHERE application_id = '{OWNER}'),
            'others', (SELECT jsonb_agg(application_id ORDER BY application_id) FROM applications),
            'providers', (SELECT jsonb_agg(to_jsonb(t) ORDER BY key) FROM identity_providers t WHERE application_id = '{OWNER}'),
            'revoked', (SELECT jsonb_agg(to_jsonb(t) ORDER BY jti) FROM revoked_tokens t)))"
    );
    diesel::select(diesel::dsl::sql::<Jsonb>(&query))
        .get_result::<Value>(&mut conn)
        .await
        .unwrap()
}

/// The sequence number of the last event written to the outbox.
async fn last_event(pool: &Pool) -> Value {
    use diesel_async::RunQueryDsl;
    let mut conn = pool.get().await.unwrap();
    diesel::select(diesel::dsl::sql::<Jsonb>(
        "(SELECT to_jsonb(coalesce(max(seq), 0)) FROM outbox)",
    ))
    .get_result::<Value>(&mut conn)
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_application_reaches_anothers_providers_nor_a_function_beyond_its_permissions() {
    let app = TestApp::spawn().await;
    app.register(OWNER).await;
    app.register(INTRUDER).await;
    let providers = json!([
        oidc(B_PUBLIC, "PUBLIC"),
        oauth2(B_APPLICATION, "APPLICATION", "owner-secret-0c55"),
        oidc(B_HIDDEN, "HIDDEN"),
    ]);
    let r = app
        .put_json(
            &format!("/applications/{OWNER}/identity-providers"),
            &token(OWNER),
            &providers,
        )
        .await;
    assert_eq!(r.status(), 204);
    let table = table();
    // Every permission but admin, of another application; and none at all.
    let intruder = sign(&claims(INTRUDER, &["idp:read", "idp:write"]));
    let powerless = sign(&claims(INTRUDER, &[]));
    let before = owner_state(&app.pool).await;
    let events_before = last_event(&app.pool).await;
    let mut failures = Vec::new();

    for route in &table {
        match route.scope {
            Scope::Public => {
                let (status, _, body) = call(&app, route, None, OWNER, "").await;
                if status != route.ok {
                    failures.push(format!("{}: without a token {status} {body}", route.name));
                }
                if route.template.contains("public-identity-provider-setup") {
                    // B's public providers only; an unknown application is 404 by contract.
                    if !body.contains(B_PUBLIC)
                        || body.contains(B_APPLICATION)
                        || body.contains(B_HIDDEN)
                    {
                        failures.push(format!("public setup shows {body}"));
                    }
                    let (status, _, _) = call(&app, route, None, NOWHERE, "").await;
                    if status != 404 {
                        failures.push(format!("public setup of an unknown application: {status}"));
                    }
                }
                continue;
            }
            Scope::Own => {
                for token in [&intruder, &powerless] {
                    let (status, _, body) = call(&app, route, Some(token), INTRUDER, "").await;
                    if status != 200
                        || [B_PUBLIC, B_APPLICATION, B_HIDDEN]
                            .iter()
                            .any(|k| body.contains(k))
                    {
                        failures.push(format!("own setup of A: {status} {body}"));
                    }
                }
                let unregistered = token(NOWHERE);
                let (status, _, body) = call(&app, route, Some(&unregistered), NOWHERE, "").await;
                if status != 401 || !body.contains("AUTHENTICATION_INVALID_APPLICATION") {
                    failures.push(format!(
                        "own setup of an unregistered application: {status} {body}"
                    ));
                }
            }
            Scope::Admin => {
                // Refused short of idp:admin, for B (which exists) as for an application that does not.
                let owner_write = sign(&claims(OWNER, &["idp:read", "idp:write"]));
                for token in [&intruder, &powerless, &owner_write] {
                    let existing = call(&app, route, Some(token), OWNER, "").await;
                    let missing = call(&app, route, Some(token), NOWHERE, "").await;
                    if existing.0 != 403 || !existing.2.contains("AUTHORIZATION_MISSING_PERMISSION")
                    {
                        failures.push(format!(
                            "{} without idp:admin: {} {}",
                            route.name, existing.0, existing.2
                        ));
                    }
                    if existing != missing {
                        failures.push(format!("{}: {existing:?} vs {missing:?}", route.name));
                    }
                }
            }
            Scope::Application | Scope::Provider => {
                // Another application's paths: B's existing provider as an application that does not exist.
                for (who, token) in [("read/write of A", &intruder), ("nothing of A", &powerless)] {
                    let existing = call(&app, route, Some(token), OWNER, B_APPLICATION).await;
                    let missing = call(&app, route, Some(token), NOWHERE, B_APPLICATION).await;
                    if existing.0 != 401
                        || !existing.2.contains("AUTHENTICATION_INVALID_APPLICATION")
                    {
                        failures.push(format!(
                            "{} as {who}: {} {}",
                            route.name, existing.0, existing.2
                        ));
                    }
                    if existing != missing {
                        failures.push(format!(
                            "{} as {who}: {existing:?} vs {missing:?}",
                            route.name
                        ));
                    }
                }
                // A's own path naming B's key is about A's providers: none, like a key nowhere.
                if route.scope == Scope::Provider && route.method != Method::PUT {
                    let theirs = call(&app, route, Some(&intruder), INTRUDER, B_APPLICATION).await;
                    let nowhere = call(&app, route, Some(&intruder), INTRUDER, "key-nowhere").await;
                    let nowhere = (
                        nowhere.0,
                        nowhere.1,
                        nowhere.2.replace("key-nowhere", B_APPLICATION),
                    );
                    if theirs.0 != 404 || theirs != nowhere {
                        failures.push(format!(
                            "{} of B's key on A: {theirs:?} vs {nowhere:?}",
                            route.name
                        ));
                    }
                }
            }
        }
        if route.scope == Scope::Public {
            continue;
        }
        // No token.
        let (status, headers, _) = call(&app, route, None, OWNER, B_APPLICATION).await;
        if status != 401 || !headers.contains("www-authenticate") {
            failures.push(format!("{}: without a token {status}", route.name));
        }
        // B's own token without the permission.
        if let Some(needed) = route.needs.filter(|p| *p != "idp:admin") {
            let rest: Vec<&str> = ["idp:read", "idp:write"]
                .into_iter()
                .filter(|p| *p != needed)
                .collect();
            let (status, _, body) = call(
                &app,
                route,
                Some(&sign(&claims(OWNER, &rest))),
                OWNER,
                B_APPLICATION,
            )
            .await;
            if status != 403 || !body.contains("AUTHORIZATION_MISSING_PERMISSION") {
                failures.push(format!("{} without {needed}: {status} {body}", route.name));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(
        owner_state(&app.pool).await,
        before,
        "no refused call changed anything"
    );
    assert_eq!(
        last_event(&app.pool).await,
        events_before,
        "no refused call published anything"
    );

    // A's PUT of a provider with B's key makes A's own; B's is untouched.
    let put = table.iter().find(|r| r.name == "put one").unwrap();
    let (status, _, body) = call(&app, put, Some(&intruder), INTRUDER, B_APPLICATION).await;
    assert_eq!(status, 204, "{body}");
    assert_eq!(
        owner_state(&app.pool).await,
        before,
        "B's provider of the same key is untouched"
    );

    // The fixtures were real: each route works for B's own full token (admin routes for an admin).
    let owner = sign(&claims(OWNER, &["idp:read", "idp:write"]));
    for route in table
        .iter()
        .filter(|r| !matches!(r.scope, Scope::Public | Scope::Own))
    {
        let r = app
            .put_json(
                &format!("/applications/{OWNER}/identity-providers"),
                &owner,
                &providers,
            )
            .await;
        assert_eq!(r.status(), 204);
        let token = if route.scope == Scope::Admin {
            admin()
        } else {
            owner.clone()
        };
        let (status, _, body) = call(&app, route, Some(&token), OWNER, B_APPLICATION).await;
        assert_eq!(status, route.ok, "{} as the owner: {body}", route.name);
    }

    let operations = test_support::methods::operations(contracts::IDP_MANAGEMENT);
    let covered: BTreeSet<(String, String)> = table
        .iter()
        .map(|r| (r.method.to_string(), r.template.to_owned()))
        .collect();
    assert_eq!(covered, operations, "every operation of the spec has a row");
}
