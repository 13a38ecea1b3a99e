use crate::helpers::*;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_link_is_the_canonical_v2_admin_consent_url_and_consent_becomes_required() {
    let app = TestApp::spawn().await;
    let id = app.create_platform("Contoso").await["id"].as_i64().unwrap();
    let response = app
        .post_empty(
            &format!("/provider-connections/{id}/admin-consent-link"),
            &admin(),
        )
        .await;
    assert_eq!(response.status(), 200);
    let link: Value = response.json().await.unwrap();
    assert_eq!(link["client_id"], PLATFORM_APP);
    assert_eq!(link["connection_type"], "platform");
    let url = url::Url::parse(link["url"].as_str().unwrap()).unwrap();
    assert_eq!(
        format!("{}{}", url.origin().ascii_serialization(), url.path()),
        format!("{}/{ENTRA}/v2.0/adminconsent", app.microsoft.uri())
    );
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let names: Vec<&str> = pairs.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(names, ["client_id", "scope", "redirect_uri", "state"]);
    assert_eq!(pairs[0].1, PLATFORM_APP);
    assert_eq!(pairs[1].1, "https://graph.microsoft.com/.default");
    assert_eq!(pairs[2].1, "https://pilot.test/admin/consent/callback");
    assert!(!pairs[3].1.is_empty());
    assert_eq!(app.connection(id).await["consent_status"], "required");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_v2_callback_grants_consent_once_and_a_replay_is_403() {
    let app = TestApp::spawn().await;
    let mut events = app.subscribe().await;
    let id = app.create_platform("Contoso").await["id"].as_i64().unwrap();
    let state = app.consent_state(id).await;
    let query = format!(
        "admin_consent=True&tenant={ENTRA}&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default&state={state}"
    );
    let response = app.callback(&query).await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let page = response.text().await.unwrap();
    assert!(page.contains("Admin consent granted"), "{page}");
    let connection = app.connection(id).await;
    assert_eq!(connection["consent_status"], "granted");
    let received = events.take(3, Duration::from_secs(10)).await;
    assert_eq!(
        received[2].routing_key,
        "provider-connection.consent.granted.v1"
    );
    assert_eq!(received[2].event["data"]["consent_status"], "granted");

    let replay = app.callback(&query).await;
    assert_eq!(replay.status(), 403);
    assert!(replay.text().await.unwrap().contains("already used"));
    assert_eq!(app.connection(id).await["consent_status"], "granted");
    let audit = audit_rows(&app.pool).await;
    let last = audit.last().unwrap();
    assert_eq!(
        (
            last["action"].as_str(),
            last["outcome"].as_str(),
            last["reason"].as_str()
        ),
        (
            Some("consent.callback"),
            Some("denied"),
            Some("state_replayed")
        )
    );
    assert_eq!(last["actor"], "microsoft-admin-consent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_v1_callback_shape_grants_consent_for_a_domain_named_tenant() {
    let app = TestApp::spawn().await;
    let created = app
        .post(
            &format!("/tenants/{TENANT}/provider-connections"),
            &admin(),
            &serde_json::json!({"provider": "microsoft", "entra_tenant_id": "contoso.onmicrosoft.com", "display_name": "Contoso"}),
        )
        .await;
    let id = created.json::<Value>().await.unwrap()["id"]
        .as_i64()
        .unwrap();
    let state = app.consent_state(id).await;
    let response = app
        .callback(&format!("admin_consent=True&tenant={ENTRA}&state={state}"))
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(app.connection(id).await["consent_status"], "granted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_error_callback_marks_consent_failed_and_escapes_what_it_echoes() {
    let app = TestApp::spawn().await;
    let id = app.create_platform("Contoso").await["id"].as_i64().unwrap();
    let state = app.consent_state(id).await;
    let description = "AADSTS65004: User declined <script>alert('x')</script>";
    let query = format!(
        "error=access_denied&error_description={}&state={state}",
        url::form_urlencoded::byte_serialize(description.as_bytes()).collect::<String>()
    );
    let response = app.callback(&query).await;
    assert_eq!(response.status(), 200);
    let page = response.text().await.unwrap();
    assert!(!page.contains("<script>"), "{page}");
    assert!(
        page.contains("&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;"),
        "{page}"
    );
    let connection = app.connection(id).await;
    assert_eq!(connection["consent_status"], "failed");
    assert!(
        connection["health_status"]
            .as_str()
            .unwrap()
            .contains("access_denied")
    );
    let events = outbox_events(&app.pool).await;
    assert_eq!(
        events.last().unwrap()["type"],
        "provider-connection.consent.failed.v1"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consent_in_another_tenant_or_without_confirmation_fails() {
    let app = TestApp::spawn().await;
    let id = app.create_platform("Contoso").await["id"].as_i64().unwrap();
    let state = app.consent_state(id).await;
    let response = app
        .callback(&format!(
            "admin_consent=True&tenant=0b4a9f24-4d3b-4f4c-9a57-1c0c4a1f0e11&state={state}"
        ))
        .await;
    assert_eq!(response.status(), 200);
    assert!(response.text().await.unwrap().contains("another tenant"));
    assert_eq!(app.connection(id).await["consent_status"], "failed");
    let state = app.consent_state(id).await;
    let response = app
        .callback(&format!("admin_consent=False&tenant={ENTRA}&state={state}"))
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(app.connection(id).await["consent_status"], "failed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_forged_and_other_connection_states_are_403_and_change_nothing() {
    let app = TestApp::spawn().await;
    let first = app.create_platform("First").await["id"].as_i64().unwrap();
    let second = app.create_platform("Second").await["id"].as_i64().unwrap();
    let state = app.consent_state(first).await;

    let missing = app
        .callback(&format!("admin_consent=True&tenant={ENTRA}"))
        .await;
    assert_eq!(missing.status(), 403);
    let garbage = app
        .callback(&format!(
            "admin_consent=True&tenant={ENTRA}&state=not-a-state"
        ))
        .await;
    assert_eq!(garbage.status(), 403);

    // The same claims re-pointed at the second connection, keeping the first one's signature.
    let parts: Vec<&str> = state.split('.').collect();
    let mut claims: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    claims["cid"] = serde_json::json!(second);
    let moved = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(claims.to_string()),
        parts[2]
    );
    let response = app
        .callback(&format!("admin_consent=True&tenant={ENTRA}&state={moved}"))
        .await;
    assert_eq!(response.status(), 403);
    // Signed with another key.
    let forged = security::jwt::mint_hs256(
        "some-other-key-that-is-long-enough-0123456",
        "consent-state",
        &claims,
    )
    .unwrap();
    let response = app
        .callback(&format!("admin_consent=True&tenant={ENTRA}&state={forged}"))
        .await;
    assert_eq!(response.status(), 403);

    assert_eq!(app.connection(second).await["consent_status"], "unknown");
    assert_eq!(app.connection(first).await["consent_status"], "required");
    // The genuine state still works afterwards.
    let response = app
        .callback(&format!("admin_consent=True&tenant={ENTRA}&state={state}"))
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(app.connection(first).await["consent_status"], "granted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_state_is_403() {
    let app = TestApp::spawn_with(|s| s.consent.state_ttl_secs = 1).await;
    let id = app.create_platform("Contoso").await["id"].as_i64().unwrap();
    let state = app.consent_state(id).await;
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let response = app
        .callback(&format!("admin_consent=True&tenant={ENTRA}&state={state}"))
        .await;
    assert_eq!(response.status(), 403);
    assert!(response.text().await.unwrap().contains("expired"));
    assert_eq!(app.connection(id).await["consent_status"], "required");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vanished_connection_is_404() {
    let app = TestApp::spawn().await;
    let id = app.create_platform("Contoso").await["id"].as_i64().unwrap();
    let state = app.consent_state(id).await;
    {
        use diesel::prelude::*;
        use diesel_async::RunQueryDsl;
        use provider_connection::db::schema::provider_connections as pc;
        let mut conn = app.pool.get().await.unwrap();
        diesel::delete(pc::table.find(id))
            .execute(&mut conn)
            .await
            .unwrap();
    }
    let response = app
        .callback(&format!("admin_consent=True&tenant={ENTRA}&state={state}"))
        .await;
    assert_eq!(response.status(), 404);
    assert!(response.text().await.unwrap().contains("no longer exists"));
}
