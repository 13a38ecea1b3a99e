//! Members' tokens signed with keys the issuer publishes as a JWKS, through a real endpoint, as the issuer
//! rotates them (the key source itself is tested in crates/security).

use crate::helpers::*;
use serde_json::json;
use std::time::Duration;
use test_support::FakeIssuer;
use test_support::issuer::{RSA_A, RSA_B, rsa_jwk, sign_rs256};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jwks_tokens_follow_the_issuers_rotation() {
    let issuer = FakeIssuer::start(vec![rsa_jwk("A", RSA_A)]).await;
    let app = TestApp::spawn_with(|s| {
        // Found through discovery; the configured test key stays beside it (the helpers' tokens use it).
        s.auth.discovery = true;
        s.auth.issuer = issuer.issuer();
        s.auth.jwks_min_refresh_interval_secs = 1;
    })
    .await;
    let claims = json!({
        "iss": issuer.issuer(), "aud": AUDIENCE, "exp": chrono::Utc::now().timestamp() + 300,
        "sub": "member-1", "workspace_id": WORKSPACE, "tenants": [TENANT],
        "capabilities": ["provider_connections.view", "provider_connections.manage"],
    });
    let token_a = sign_rs256("A", RSA_A, &claims);
    let created = app
        .post(
            &format!("/tenants/{TENANT}/provider-connections"),
            &token_a,
            &platform_body("Via JWKS"),
        )
        .await;
    assert_eq!(created.status(), 201, "signed with A");
    let id = created.json::<serde_json::Value>().await.unwrap()["id"]
        .as_i64()
        .unwrap();
    let path = format!("/provider-connections/{id}");

    issuer.publish(vec![rsa_jwk("B", RSA_B)]);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(
        app.get(&path, &sign_rs256("B", RSA_B, &claims))
            .await
            .status(),
        200,
        "signed with B"
    );
    let refused = app.get(&path, &token_a).await;
    assert_eq!(
        refused
            .headers()
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok()),
        Some("Bearer")
    );
    // A key the issuer withdrew is revoked: refused like any bad token, without saying why.
    let problem = assert_problem(refused, 401).await;
    assert_eq!(
        problem["detail"], "a valid bearer token is required",
        "{problem}"
    );
    assert_eq!(issuer.fetches().await, 2, "at start, and for B's kid");
}
