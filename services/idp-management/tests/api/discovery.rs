//! Discovery: public setup (no token) and the caller's own setup.

use crate::helpers::*;
use reqwest::Method;
use serde_json::{Value, json};

async fn seeded() -> (TestApp, String) {
    let app = TestApp::spawn().await;
    app.register("disc").await;
    let t = token("disc");
    let mut disabled = oidc("disabled-public", "PUBLIC");
    disabled["status"] = json!("DISABLED");
    let body = json!([
        oidc("pub-oidc", "PUBLIC"),
        oauth2("pub-oauth", "PUBLIC", "discovery-secret-123"),
        oidc("app-only", "APPLICATION"),
        oidc("hidden", "HIDDEN"),
        disabled,
    ]);
    assert_eq!(
        app.put_json("/applications/disc/identity-providers", &t, &body)
            .await
            .status(),
        204
    );
    (app, t)
}

fn keys(setup: &Value) -> Vec<&str> {
    setup["identityProviders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["key"].as_str().unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_setup_lists_enabled_public_providers_only_without_secrets() {
    let (app, _) = seeded().await;
    let r = app
        .request(
            Method::GET,
            "/applications/disc/public-identity-provider-setup",
            None,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["etag"], "\"2\"");
    let text = r.text().await.unwrap();
    assert!(!text.contains("discovery-secret-123"));
    assert!(!text.contains("clientSecret"));
    let setup: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(setup["applicationId"], "disc");
    assert_eq!(setup["changeId"], "2");
    assert_eq!(keys(&setup), vec!["pub-oauth", "pub-oidc"]);
    let oauth = &setup["identityProviders"][0];
    assert_eq!(oauth["type"], "OAUTH2_AUTH_CODE");
    assert_eq!(
        oauth["oauth2Details"],
        json!({"clientId": "client-1", "authorizeUrl": "https://accounts.example.com/auth",
               "userInfoUrl": "https://oauth.example.com/userinfo"})
    );
    let oidc = &setup["identityProviders"][1];
    assert_eq!(
        oidc["oidcDetails"],
        json!({"issuer": "https://login.example.com", "audience": "console"})
    );
    assert_eq!(oidc["subjectPoolKey"], "pool-1");
    assert!(oidc.get("status").is_none() && oidc.get("oidcConfig").is_none());

    // NDJSON: the one object on one line.
    let r = app
        .request(
            Method::GET,
            "/applications/disc/public-identity-provider-setup",
            None,
        )
        .header("accept", "application/x-ndjson")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-type"], "application/x-ndjson");
    let text = r.text().await.unwrap();
    assert_eq!(text.lines().count(), 1);
    let line: Value = serde_json::from_str(text.trim_end()).unwrap();
    assert_eq!(keys(&line), vec!["pub-oauth", "pub-oidc"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn own_setup_adds_application_visible_providers() {
    let (app, _) = seeded().await;
    // Any valid token of the application will do (no permission needed).
    let reader = sign(&claims("disc", &[]));
    let r = app.get("/identity-provider-setup", &reader).await;
    assert_eq!(r.status(), 200);
    let setup: Value = r.json().await.unwrap();
    assert_eq!(setup["applicationId"], "disc");
    assert_eq!(keys(&setup), vec!["app-only", "pub-oauth", "pub-oidc"]);
    let r = app
        .request(Method::GET, "/identity-provider-setup", Some(&reader))
        .header("accept", "application/x-ndjson")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap().lines().count(), 1);

    // A token naming an unregistered application.
    let stranger = sign(&claims("nobody", &["idp:read"]));
    assert_error(
        app.get("/identity-provider-setup", &stranger).await,
        401,
        "AUTHENTICATION_INVALID_APPLICATION",
    )
    .await;
    let r = app
        .request(Method::GET, "/identity-provider-setup", None)
        .send()
        .await
        .unwrap();
    assert_error(r, 401, "AUTHENTICATION_FAILED").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_setup_errors() {
    let app = TestApp::spawn().await;
    let r = app
        .request(
            Method::GET,
            "/applications/unknown/public-identity-provider-setup",
            None,
        )
        .send()
        .await
        .unwrap();
    assert_error(r, 404, "IAM_APPLICATION_NOT_FOUND").await;
    let r = app
        .request(
            Method::GET,
            "/applications/bad$app/public-identity-provider-setup",
            None,
        )
        .send()
        .await
        .unwrap();
    let body = assert_error(r, 400, "INPUT_MALFORMED").await;
    assert_eq!(fields(&body), vec!["application-expression"]);
    assert_eq!(body["details"][0]["value"], "bad$app");
    app.register("empty").await;
    let setup: Value = app
        .request(
            Method::GET,
            "/applications/empty/public-identity-provider-setup",
            None,
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(setup["identityProviders"], json!([]));
    assert_eq!(setup["changeId"], "1");
}
