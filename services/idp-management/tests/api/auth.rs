//! Bearer-token edge cases through the API: each refused with its registry code.

use crate::helpers::*;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::Method;
use serde_json::{Value, json};

const PATH: &str = "/applications/app-a/identity-providers";

fn b64(v: &Value) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap())
}

async fn status_of(app: &TestApp, token: &str, code: &str) {
    let r = app.get(PATH, token).await;
    let status = r.status().as_u16();
    let www = r
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_owned());
    let body = assert_error(
        r,
        if code.starts_with("AUTHORIZATION") {
            403
        } else {
            401
        },
        code,
    )
    .await;
    if status == 401 {
        assert_eq!(www.as_deref(), Some("Bearer"), "{body}");
    }
    if code == "AUTHENTICATION_FAILED" {
        // Whatever check failed, the same words: which one helps only a forger.
        assert_eq!(
            body["message"], "A valid bearer token is required.",
            "{body}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_edge_cases() {
    let app = TestApp::spawn().await;
    app.register("app-a").await;
    assert_eq!(
        app.get(PATH, &token("app-a")).await.status(),
        200,
        "the baseline token works"
    );

    // No token, not a bearer, an empty one, garbage.
    let r = app.request(Method::GET, PATH, None).send().await.unwrap();
    assert_error(r, 401, "AUTHENTICATION_FAILED").await;
    for header in ["Basic dTpw", "Bearer "] {
        let r = app
            .request(Method::GET, PATH, None)
            .header("authorization", header)
            .send()
            .await
            .unwrap();
        assert_error(r, 401, "AUTHENTICATION_FAILED").await;
    }
    status_of(&app, "not-a-jwt", "AUTHENTICATION_FAILED").await;

    // A key id the service does not know (a key removed from the configuration, or never there).
    let unknown = security::jwt::mint_hs256(
        "some-other-secret-of-32-bytes-or-more",
        "retired-kid",
        &claims("app-a", &["idp:read"]),
    )
    .unwrap();
    status_of(&app, &unknown, "AUTHENTICATION_FAILED").await;

    let mut c = claims("app-a", &["idp:read"]);
    c.as_object_mut().unwrap().remove("exp");
    status_of(&app, &sign(&c), "AUTHENTICATION_FAILED").await;

    let mut c = claims("app-a", &["idp:read"]);
    c["exp"] = json!(chrono::Utc::now().timestamp() - 60);
    status_of(&app, &sign(&c), "AUTHENTICATION_EXPIRED").await;

    let mut c = claims("app-a", &["idp:read"]);
    c["nbf"] = json!(chrono::Utc::now().timestamp() + 120);
    status_of(&app, &sign(&c), "AUTHENTICATION_FAILED").await;

    let mut c = claims("app-a", &["idp:read"]);
    c["iss"] = json!("https://evil.test");
    status_of(&app, &sign(&c), "AUTHENTICATION_FAILED").await;

    let mut c = claims("app-a", &["idp:read"]);
    c["aud"] = json!("another-service");
    status_of(&app, &sign(&c), "AUTHENTICATION_FAILED").await;

    // Bad signature: payload swapped after signing.
    let good = token("app-a");
    let parts: Vec<&str> = good.split('.').collect();
    let mut c = claims("app-a", &["idp:read", "idp:write", "idp:admin"]);
    c["actor"] = json!("mallory");
    status_of(
        &app,
        &format!("{}.{}.{}", parts[0], b64(&c), parts[2]),
        "AUTHENTICATION_FAILED",
    )
    .await;

    // Signed with a secret the service does not know.
    let forged = security::jwt::mint_hs256(
        "some-other-secret-of-32-bytes-or-more",
        HS_KID,
        &claims("app-a", &["idp:read"]),
    )
    .unwrap();
    status_of(&app, &forged, "AUTHENTICATION_FAILED").await;

    // alg none.
    let none = format!(
        "{}.{}.",
        b64(&json!({"alg": "none", "kid": HS_KID})),
        b64(&claims("app-a", &["idp:read"]))
    );
    status_of(&app, &none, "AUTHENTICATION_FAILED").await;
    let none = test_support::issuer::forged::alg_none(None, &claims("app-a", &["idp:read"]));
    status_of(&app, &none, "AUTHENTICATION_FAILED").await;

    // HS/RS confusion: HS256 signed with the RSA public key, under the RSA key's kid.
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    header.kid = Some(RS_KID.to_owned());
    let confused = jsonwebtoken::encode(
        &header,
        &claims("app-a", &["idp:read"]),
        &jsonwebtoken::EncodingKey::from_secret(RSA_PUBLIC.as_bytes()),
    )
    .unwrap();
    status_of(&app, &confused, "AUTHENTICATION_FAILED").await;

    // A genuine RS256 token is accepted.
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    header.kid = Some(RS_KID.to_owned());
    let rs = jsonwebtoken::encode(
        &header,
        &claims("app-a", &["idp:read"]),
        &jsonwebtoken::EncodingKey::from_rsa_pem(RSA_PRIVATE.as_bytes()).unwrap(),
    )
    .unwrap();
    assert_eq!(app.get(PATH, &rs).await.status(), 200);

    // Required claims missing.
    let mut c = claims("app-a", &["idp:read"]);
    c.as_object_mut().unwrap().remove("actor");
    status_of(&app, &sign(&c), "AUTHENTICATION_FAILED").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoked_tokens_are_refused() {
    let app = TestApp::spawn().await;
    app.register("app-a").await;
    let mut c = claims("app-a", &["idp:read"]);
    c["jti"] = json!("token-42");
    let t = sign(&c);
    assert_eq!(app.get(PATH, &t).await.status(), 200);

    let revoke = |jti: Value, token: String| {
        let app = &app;
        async move {
            app.request(Method::POST, "/admin/revoked-tokens", Some(&token))
                .json(&json!({"jti": jti, "expiresAt": "2030-01-01T00:00:00Z"}))
                .send()
                .await
                .unwrap()
        }
    };
    // Only an admin may revoke.
    assert_error(
        revoke(json!("token-42"), token("app-a")).await,
        403,
        "AUTHORIZATION_MISSING_PERMISSION",
    )
    .await;
    let body = assert_error(revoke(json!(""), admin()).await, 400, "INPUT_MALFORMED").await;
    assert_eq!(fields(&body), vec!["jti"]);
    assert_eq!(revoke(json!("token-42"), admin()).await.status(), 204);
    assert_eq!(
        revoke(json!("token-42"), admin()).await.status(),
        204,
        "idempotent"
    );

    status_of(&app, &t, "AUTHENTICATION_REVOKED").await;
    let r = app.get("/identity-provider-setup", &t).await;
    assert_error(r, 401, "AUTHENTICATION_REVOKED").await;
    // Another token of the same application is unaffected.
    assert_eq!(app.get(PATH, &token("app-a")).await.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn application_and_permission_rules() {
    let app = TestApp::spawn().await;
    app.register("app-a").await;
    app.register("app-b").await;
    let body = json!([oidc("k", "PUBLIC")]);

    // A token of another application: 401 INVALID_APPLICATION on every management operation.
    let b = token("app-b");
    let single = "/applications/app-a/identity-providers/k";
    assert_error(
        app.get(PATH, &b).await,
        401,
        "AUTHENTICATION_INVALID_APPLICATION",
    )
    .await;
    assert_error(
        app.put_json(PATH, &b, &body).await,
        401,
        "AUTHENTICATION_INVALID_APPLICATION",
    )
    .await;
    assert_error(
        app.delete(PATH, &b).await,
        401,
        "AUTHENTICATION_INVALID_APPLICATION",
    )
    .await;
    assert_error(
        app.get(single, &b).await,
        401,
        "AUTHENTICATION_INVALID_APPLICATION",
    )
    .await;
    assert_error(
        app.put_json(single, &b, &without_key(oidc("k", "PUBLIC")))
            .await,
        401,
        "AUTHENTICATION_INVALID_APPLICATION",
    )
    .await;
    assert_error(
        app.delete(single, &b).await,
        401,
        "AUTHENTICATION_INVALID_APPLICATION",
    )
    .await;

    // Read-only token: reads pass, writes are 403.
    let reader = sign(&claims("app-a", &["idp:read"]));
    assert_eq!(app.get(PATH, &reader).await.status(), 200);
    let r = app.put_json(PATH, &reader, &body).await;
    let err = assert_error(r, 403, "AUTHORIZATION_MISSING_PERMISSION").await;
    assert!(err["message"].as_str().unwrap().contains("idp:write"));
    assert_error(
        app.delete(single, &reader).await,
        403,
        "AUTHORIZATION_MISSING_PERMISSION",
    )
    .await;
    // Write-only token cannot read.
    let writer = sign(&claims("app-a", &["idp:write"]));
    assert_error(
        app.get(PATH, &writer).await,
        403,
        "AUTHORIZATION_MISSING_PERMISSION",
    )
    .await;
    assert_eq!(app.put_json(PATH, &writer, &body).await.status(), 204);

    // An admin token manages any application.
    assert_eq!(app.get(single, &admin()).await.status(), 200);
    assert_eq!(
        app.put_json("/applications/app-b/identity-providers", &admin(), &body)
            .await
            .status(),
        204
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revocation_refuses_null_and_nul_as_its_schema_does() {
    // Found by schemathesis: `expiresAt: null` was taken as absent and a jti with U+0000 was a 500.
    let app = TestApp::spawn().await;
    for (body, field) in [
        (json!({"jti": "j-1", "expiresAt": null}), "expiresAt"),
        (json!({"jti": "j\u{0}1"}), "jti"),
        (json!({"jti": null}), "jti"),
    ] {
        let r = app
            .request(Method::POST, "/admin/revoked-tokens", Some(&admin()))
            .json(&body)
            .send()
            .await
            .unwrap();
        let error = assert_error(r, 400, "INPUT_MALFORMED").await;
        assert_eq!(error["details"][0]["field"], field, "{body}: {error}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_expired_revocations_are_purged() {
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    use idp_management::db::schema::revoked_tokens as rt;

    let app = TestApp::spawn().await;
    for (jti, expires) in [
        ("old", "2020-01-01T00:00:00Z"),
        ("current", "2099-01-01T00:00:00Z"),
    ] {
        let r = app
            .request(Method::POST, "/admin/revoked-tokens", Some(&admin()))
            .json(&json!({"jti": jti, "expiresAt": expires}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 204);
    }
    let r = app
        .request(Method::POST, "/admin/revoked-tokens", Some(&admin()))
        .json(&json!({"jti": "no-expiry"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let mut conn = app.pool.get().await.unwrap();
    let mut left: Vec<String> = rt::table.select(rt::jti).load(&mut conn).await.unwrap();
    left.sort();
    assert_eq!(
        left,
        vec!["current", "no-expiry"],
        "the long-expired entry was purged by the next revocation"
    );
}
