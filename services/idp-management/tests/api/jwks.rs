//! Bearer tokens signed with keys the issuer publishes as a JWKS, through a real endpoint, as the issuer
//! rotates them (the key source itself is tested in crates/security).

use crate::helpers::*;
use std::time::Duration;
use test_support::FakeIssuer;
use test_support::issuer::{RSA_A, RSA_B, rsa_jwk, sign_rs256};

const PATH: &str = "/applications/app-a/identity-providers";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jwks_tokens_follow_the_issuers_rotation() {
    let issuer = FakeIssuer::start(vec![rsa_jwk("A", RSA_A)]).await;
    let app = TestApp::spawn_with(|s| {
        // Beside the configured test keys (the admin token below is one of theirs).
        s.jwt.jwks_uri = issuer.jwks_uri();
        s.jwt.jwks_min_refresh_interval_secs = 1;
    })
    .await;
    app.register("app-a").await;
    let claims = claims("app-a", &["idp:read"]);
    let token_a = sign_rs256("A", RSA_A, &claims);
    assert_eq!(app.get(PATH, &token_a).await.status(), 200, "signed with A");
    let ready: serde_json::Value = app
        .client
        .get(format!("{}/readyz", app.address))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ready["token_keys"], "ok", "{ready}");

    // The issuer rotates to B and withdraws A.
    issuer.publish(vec![rsa_jwk("B", RSA_B)]);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let token_b = sign_rs256("B", RSA_B, &claims);
    assert_eq!(app.get(PATH, &token_b).await.status(), 200, "signed with B");
    let refused = app.get(PATH, &token_a).await;
    assert_eq!(
        refused
            .headers()
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok()),
        Some("Bearer")
    );
    assert_error(refused, 401, "AUTHENTICATION_FAILED").await;
    assert_eq!(issuer.fetches().await, 2, "at start, and for B's kid");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_jwks_never_fetched_is_503_and_not_ready() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let app = TestApp::spawn_with(|s| {
        s.jwt.keys.clear();
        s.jwt.jwks_uri = format!("http://{closed}/keys");
    })
    .await;
    let token = sign_rs256("A", RSA_A, &claims("app-a", &["idp:read"]));
    assert_error(app.get(PATH, &token).await, 503, "SERVICE_UNAVAILABLE").await;
    let ready = app
        .client
        .get(format!("{}/readyz", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 503);
    let ready: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(ready["token_keys"], "unavailable", "{ready}");
}
