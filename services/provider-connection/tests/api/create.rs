use crate::helpers::*;
use provider_connection::auth::Capability;
use serde_json::{Value, json};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_defaults_to_a_default_platform_connection_and_publishes_it() {
    let app = TestApp::spawn().await;
    let mut events = app.subscribe().await;
    let response = app
        .post(
            &format!("/tenants/{TENANT}/provider-connections"),
            &admin(),
            &platform_body("Contoso"),
        )
        .await;
    assert_eq!(response.status(), 201);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let body: Value = response.json().await.unwrap();
    let id = body["id"].as_i64().expect("integer id");
    assert_eq!(location, format!("/admin/provider-connections/{id}"));
    assert_eq!(body["provider"], "microsoft");
    assert_eq!(body["entra_tenant_id"], ENTRA);
    assert_eq!(body["display_name"], "Contoso");
    assert_eq!(body["connection_type"], "platform");
    assert_eq!(body["is_default"], true);
    assert_eq!(body["consent_status"], "unknown");
    assert_eq!(body["verification_status"], "unknown");
    assert_eq!(body["health_status"], "Not verified yet");
    assert_eq!(body["effective_app_id"], PLATFORM_APP);
    assert_eq!(body["credential_source"], "platform");
    assert_eq!(body["migration_review_required"], false);
    assert_eq!(app.connection(id).await, body);

    let received = events.take(1, Duration::from_secs(10)).await;
    assert_eq!(
        received[0].routing_key,
        "provider-connection.connection.created.v1"
    );
    assert_eq!(received[0].event["subject"], id.to_string());
    assert_eq!(received[0].event["data"], body);

    let audit = audit_rows(&app.pool).await;
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0]["action"], "connection.create");
    assert_eq!(audit[0]["outcome"], "allowed");
    assert_eq!(audit[0]["actor"], "member-1");
    assert_eq!(audit[0]["workspace_id"], WORKSPACE);
    assert_eq!(audit[0]["tenant"], TENANT);
    assert_eq!(audit[0]["connection_id"], id);
    assert!(
        audit[0]["request_id"]
            .as_str()
            .is_some_and(|r| !r.is_empty())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_default_demotes_the_old_one_and_a_non_default_does_not() {
    let app = TestApp::spawn().await;
    let first = app.create_platform("First").await;
    let second = app.create_platform("Second").await;
    let third = app
        .post(
            &format!("/tenants/{TENANT}/provider-connections"),
            &admin(),
            &json!({"provider": "microsoft", "entra_tenant_id": "contoso.onmicrosoft.com", "display_name": "Third", "is_default": false}),
        )
        .await;
    assert_eq!(third.status(), 201);
    let third: Value = third.json().await.unwrap();
    assert_eq!(third["is_default"], false);
    assert_eq!(
        app.connection(first["id"].as_i64().unwrap()).await["is_default"],
        false
    );
    assert_eq!(
        app.connection(second["id"].as_i64().unwrap()).await["is_default"],
        true
    );
    let updated = outbox_events(&app.pool)
        .await
        .into_iter()
        .filter(|e| e["type"] == "provider-connection.connection.updated.v1")
        .collect::<Vec<_>>();
    assert_eq!(updated.len(), 1, "one demotion event");
    assert_eq!(
        updated[0]["subject"],
        first["id"].as_i64().unwrap().to_string()
    );
    assert_eq!(updated[0]["data"]["is_default"], false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_default_creates_leave_exactly_one_default() {
    let app = TestApp::spawn().await;
    let token = admin();
    let requests = (0..8).map(|i| {
        let app = &app;
        let token = token.clone();
        async move {
            app.post(
                &format!("/tenants/{TENANT}/provider-connections"),
                &token,
                &platform_body(&format!("c{i}")),
            )
            .await
            .status()
        }
    });
    let statuses = futures_util::future::join_all(requests).await;
    assert!(statuses.iter().all(|s| *s == 201), "{statuses:?}");
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    use provider_connection::db::schema::provider_connections as pc;
    let mut conn = app.pool.get().await.unwrap();
    let defaults: i64 = pc::table
        .filter(pc::is_default)
        .count()
        .get_result(&mut conn)
        .await
        .unwrap();
    let all: i64 = pc::table.count().get_result(&mut conn).await.unwrap();
    assert_eq!((defaults, all), (1, 8));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_bodies_are_400_naming_the_field_and_write_nothing() {
    let app = TestApp::spawn().await;
    let path = format!("/tenants/{TENANT}/provider-connections");
    let cases = [
        (
            json!({"provider": "google", "entra_tenant_id": ENTRA, "display_name": "x"}),
            "provider",
        ),
        (
            json!({"entra_tenant_id": ENTRA, "display_name": "x"}),
            "provider",
        ),
        (
            json!({"provider": "microsoft", "display_name": "x"}),
            "entra_tenant_id",
        ),
        (
            json!({"provider": "microsoft", "entra_tenant_id": "not a tenant!", "display_name": "x"}),
            "entra_tenant_id",
        ),
        (
            json!({"provider": "microsoft", "entra_tenant_id": ENTRA}),
            "display_name",
        ),
        (
            json!({"provider": "microsoft", "entra_tenant_id": ENTRA, "display_name": "x", "connection_type": "shared"}),
            "connection_type",
        ),
        (
            json!({"provider": "microsoft", "entra_tenant_id": ENTRA, "display_name": "x", "is_default": "yes"}),
            "is_default",
        ),
        (
            {
                let mut body = dedicated_body("x", DEDICATED_SECRET, "dedicated_manual");
                body["connection_type"] = json!("platform");
                body
            },
            "dedicated_credential",
        ),
        (
            {
                let mut body = dedicated_body("x", DEDICATED_SECRET, "dedicated_manual");
                body["dedicated_credential"]["credential_kind"] = json!("certificate");
                body
            },
            "dedicated_credential.credential_kind",
        ),
        (json!([1, 2]), "body"),
    ];
    for (body, field) in cases {
        let problem = assert_problem(app.post(&path, &admin(), &body).await, 400).await;
        assert_eq!(problem["field"], field, "{body}");
        assert!(!problem.to_string().contains(DEDICATED_SECRET));
    }
    let raw = app
        .client
        .post(app.url(&path))
        .bearer_auth(admin())
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(assert_problem(raw, 400).await["field"], "body");
    let text = app
        .client
        .post(app.url(&path))
        .bearer_auth(admin())
        .header("content-type", "text/plain")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(assert_problem(text, 400).await["field"], "Content-Type");
    let bad_id = app
        .post_empty("/provider-connections/abc/verification", &admin())
        .await;
    assert_eq!(assert_problem(bad_id, 400).await["field"], "connection");
    assert!(outbox_events(&app.pool).await.is_empty());
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    use provider_connection::db::schema::provider_connections as pc;
    let mut conn = app.pool.get().await.unwrap();
    let count: i64 = pc::table.count().get_result(&mut conn).await.unwrap();
    assert_eq!(count, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dedicated_needs_explicit_type_and_the_dedicated_capability() {
    let app = TestApp::spawn().await;
    let path = format!("/tenants/{TENANT}/provider-connections");
    let body = dedicated_body("Dedicated", DEDICATED_SECRET, "dedicated_manual");
    let refused = app
        .post(&path, &without(Capability::ManageDedicated), &body)
        .await;
    assert_problem(refused, 403).await;
    let created = app.post(&path, &admin(), &body).await;
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.unwrap();
    assert_eq!(created["connection_type"], "dedicated");
    assert_eq!(created["effective_app_id"], DEDICATED_APP);
    assert_eq!(created["credential_source"], "dedicated_manual");
    assert_eq!(created["migration_review_required"], false);
    let legacy = app
        .post(
            &path,
            &admin(),
            &dedicated_body("Legacy", DEDICATED_SECRET, "legacy_migrated"),
        )
        .await;
    let legacy: Value = legacy.json().await.unwrap();
    assert_eq!(legacy["credential_source"], "legacy_migrated");
    assert_eq!(legacy["migration_review_required"], true);
    let audit = audit_rows(&app.pool).await;
    assert_eq!(audit[0]["outcome"], "denied");
    assert_eq!(
        audit[0]["reason"],
        "missing_capability:provider_connections.manage_dedicated"
    );
    assert_eq!(audit.len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_are_required_and_checked() {
    use test_support::issuer::{RSA_A, RSA_A_PUBLIC, RSA_B, forged, sign_rs256};
    // An RS256 key beside the HS256 test key, for the key-confusion rows.
    let app = TestApp::spawn_with(|s| {
        s.auth.keys.push(security::jwt::JwtKeySettings {
            kid: "rs".to_owned(),
            alg: "RS256".to_owned(),
            secret: None,
            public_key_pem: Some(RSA_A_PUBLIC.to_owned()),
        });
    })
    .await;
    let path = format!("/tenants/{TENANT}/provider-connections");
    let now = chrono::Utc::now().timestamp();
    let member = json!({"sub": "m", "workspace_id": WORKSPACE, "tenants": [TENANT], "capabilities": ["provider_connections.manage"], "iss": ISSUER, "aud": AUDIENCE, "exp": now + 300});
    let with = |key: &str, value: Value| {
        let mut claims = member.clone();
        claims[key] = value;
        claims
    };
    let hs = |claims: &Value| security::jwt::mint_hs256(JWT_SECRET, "test", claims).unwrap();
    assert_eq!(
        app.post(
            &path,
            &sign_rs256("rs", RSA_A, &member),
            &platform_body("rs")
        )
        .await
        .status(),
        201,
        "the baseline RS256 token works"
    );

    let send = |authorization: Option<String>| {
        let request = app.client.post(app.url(&path)).json(&platform_body("x"));
        let request = match authorization {
            Some(value) => request.header("authorization", value),
            None => request,
        };
        async move { request.send().await.unwrap() }
    };
    let missing = send(None).await;
    assert_eq!(missing.headers()["www-authenticate"], "Bearer");
    let missing = assert_problem(missing, 401).await;
    let bearer = |token: String| Some(format!("Bearer {token}"));
    let mut without_exp = member.clone();
    without_exp.as_object_mut().unwrap().remove("exp");
    let rows: Vec<(&str, Option<String>)> = vec![
        ("empty", Some("Bearer ".to_owned())),
        ("not a bearer", Some("Basic dTpw".to_owned())),
        ("malformed", bearer("garbage".to_owned())),
        ("expired", bearer(hs(&with("exp", json!(now - 3600))))),
        ("not yet valid", bearer(hs(&with("nbf", json!(now + 3600))))),
        ("no exp", bearer(hs(&without_exp))),
        (
            "wrong audience",
            bearer(hs(&with("aud", json!("another-service")))),
        ),
        (
            "wrong issuer",
            bearer(hs(&with("iss", json!("https://evil.test")))),
        ),
        (
            "tampered payload",
            bearer(forged::with_payload(
                &hs(&member),
                &with("sub", json!("mallory")),
            )),
        ),
        (
            "unknown secret",
            bearer(
                security::jwt::mint_hs256(
                    "another-secret-that-is-long-enough-0123",
                    "test",
                    &member,
                )
                .unwrap(),
            ),
        ),
        ("wrong RSA key", bearer(sign_rs256("rs", RSA_B, &member))),
        ("alg none", bearer(forged::alg_none(Some("test"), &member))),
        (
            "alg none without kid",
            bearer(forged::alg_none(None, &member)),
        ),
        (
            "HS256 with the RSA public key",
            bearer(forged::hs256("rs", RSA_A_PUBLIC.as_bytes(), &member)),
        ),
        (
            "RS256 under the HS256 key's id",
            bearer(sign_rs256("test", RSA_A, &member)),
        ),
        ("unknown kid", bearer(sign_rs256("gone", RSA_A, &member))),
    ];
    for (what, authorization) in rows {
        let response = send(authorization).await;
        assert_eq!(response.headers()["www-authenticate"], "Bearer", "{what}");
        let body = assert_problem(response, 401).await;
        assert_eq!(
            body, missing,
            "{what}: the same answer as any refused token"
        );
    }
    // A verified token without the member or workspace is refused too.
    let no_workspace = token_with(json!({"sub": "m", "tenants": [TENANT]}));
    assert_problem(
        app.post(&path, &no_workspace, &platform_body("x")).await,
        401,
    )
    .await;
    assert_eq!(
        audit_rows(&app.pool).await.len(),
        1,
        "only the baseline create"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unprintable_or_oversized_claims_are_401_not_500() {
    let app = TestApp::spawn().await;
    for claims in [
        json!({"sub": "member\u{0}", "workspace_id": WORKSPACE, "tenants": [TENANT], "capabilities": ["provider_connections.manage"]}),
        json!({"sub": "m", "workspace_id": "w".repeat(300), "tenants": [TENANT], "capabilities": ["provider_connections.manage"]}),
        json!({"sub": "m", "workspace_id": WORKSPACE, "tenants": [TENANT, "bad\u{7}"], "capabilities": ["provider_connections.manage"]}),
    ] {
        let response = app
            .post(
                &format!("/tenants/{TENANT}/provider-connections"),
                &token_with(claims),
                &platform_body("x"),
            )
            .await;
        assert_problem(response, 401).await;
    }
    let nul_tenant = app
        .post(
            "/tenants/a%00b/provider-connections",
            &admin(),
            &platform_body("x"),
        )
        .await;
    assert_eq!(assert_problem(nul_tenant, 400).await["field"], "tenant");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broker_outage_neither_fails_nor_slows_a_write_and_events_follow() {
    let proxy = test_support::BrokerProxy::start().await;
    let url = proxy.url();
    let app = TestApp::spawn_with(|s| s.common.bus.url = url).await;
    let mut events = app.subscribe().await;
    let started = std::time::Instant::now();
    let created = app.create_platform("During outage").await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(
        outbox_events(&app.pool).await.len(),
        1,
        "the event waits in the outbox"
    );
    proxy.bring_up();
    let received = events.take(1, Duration::from_secs(20)).await;
    assert_eq!(
        received[0].routing_key,
        "provider-connection.connection.created.v1"
    );
    assert_eq!(received[0].event["data"]["id"], created["id"]);
    assert!(received[0].persistent);
}

/// Mass assignment: every field of the response the server owns (id, statuses, effective app, credential
/// source, review flag, tenant) is ignored when a client sends it in a create body, for both connection types.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_owned_fields_in_a_create_body_are_ignored() {
    let app = TestApp::spawn().await;
    let forged = [
        ("id", json!(987_654)),
        ("consent_status", json!("granted")),
        ("verification_status", json!("healthy")),
        ("health_status", json!("Healthy")),
        (
            "effective_app_id",
            json!("99999999-9999-4999-8999-999999999999"),
        ),
        ("credential_source", json!("dedicated_imported")),
        ("migration_review_required", json!(true)),
        ("tenant", json!(OTHER_TENANT)),
    ];
    let bodies = [
        (platform_body("Forged platform"), PLATFORM_APP),
        (
            dedicated_body("Forged dedicated", DEDICATED_SECRET, "dedicated_manual"),
            DEDICATED_APP,
        ),
    ];
    for (mut body, app_id) in bodies {
        for (field, value) in &forged {
            body[*field] = value.clone();
        }
        let response = app
            .post(
                &format!("/tenants/{TENANT}/provider-connections"),
                &admin(),
                &body,
            )
            .await;
        assert_eq!(response.status(), 201, "{body}");
        let created: Value = response.json().await.unwrap();
        for (field, value) in &forged {
            assert_ne!(
                &created[*field], value,
                "{field} taken from the body: {created}"
            );
        }
        assert_eq!(created["effective_app_id"], app_id);
        assert_eq!(created["tenant"], TENANT);
        assert_eq!(created["consent_status"], "unknown");
        assert_eq!(
            app.connection(created["id"].as_i64().unwrap()).await,
            created
        );
    }
}
