//! One test per registry code (plus the extension codes), each produced by its situation, in `ErrorV1`.

use crate::helpers::*;
use reqwest::Method;
use serde_json::json;

const LIST: &str = "/applications/app-e/identity-providers";
const ONE: &str = "/applications/app-e/identity-providers/k1";

async fn app() -> TestApp {
    let app = TestApp::spawn().await;
    app.register("app-e").await;
    app
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn input_malformed() {
    let app = app().await;
    let body = assert_error(
        app.get(
            "/applications/app-e/identity-providers/bad%20key",
            &token("app-e"),
        )
        .await,
        400,
        "INPUT_MALFORMED",
    )
    .await;
    assert_eq!(fields(&body), vec!["identity-provider-key"]);
    let r = app
        .request(
            Method::PUT,
            &format!("{LIST}?returnUpdated=maybe"),
            Some(&token("app-e")),
        )
        .json(&json!([]))
        .send()
        .await
        .unwrap();
    let body = assert_error(r, 400, "INPUT_MALFORMED").await;
    assert_eq!(fields(&body), vec!["returnUpdated"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authentication_codes() {
    let app = app().await;
    let r = app.request(Method::GET, LIST, None).send().await.unwrap();
    assert_error(r, 401, "AUTHENTICATION_FAILED").await;
    let mut c = claims("app-e", &["idp:read"]);
    c["exp"] = json!(chrono::Utc::now().timestamp() - 3600);
    assert_error(
        app.get(LIST, &sign(&c)).await,
        401,
        "AUTHENTICATION_EXPIRED",
    )
    .await;
    assert_error(
        app.get(LIST, &token("other")).await,
        401,
        "AUTHENTICATION_INVALID_APPLICATION",
    )
    .await;
    // AUTHENTICATION_REVOKED: see auth::revoked_tokens_are_refused.
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authentication_idp_config_malformed() {
    let app = app().await;
    let mut wrong = oidc("k1", "PUBLIC");
    wrong["type"] = json!("OAUTH2_IMPLICIT");
    let body = assert_error(
        app.put_json(LIST, &token("app-e"), &json!([wrong])).await,
        400,
        "AUTHENTICATION_IDP_CONFIG_MALFORMED",
    )
    .await;
    let f = fields(&body);
    assert!(
        f.contains(&"[0].oauth2Config".to_owned()) && f.contains(&"[0].oidcConfig".to_owned()),
        "{f:?}"
    );
    let mut bad_issuer = without_key(oidc("k1", "PUBLIC"));
    bad_issuer["oidcConfig"]["issuer"] = json!("http://login.example.com");
    let body = assert_error(
        app.put_json(ONE, &token("app-e"), &bad_issuer).await,
        400,
        "AUTHENTICATION_IDP_CONFIG_MALFORMED",
    )
    .await;
    assert_eq!(fields(&body), vec!["oidcConfig.issuer"]);
    assert_eq!(body["details"][0]["value"], "http://login.example.com");
    // Nothing was written.
    assert_error(
        app.get(ONE, &token("app-e")).await,
        404,
        "IAM_IDP_NOT_FOUND",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authorization_missing_permission() {
    let app = app().await;
    let t = sign(&claims("app-e", &[]));
    for r in [
        app.get(LIST, &t).await,
        app.get(ONE, &t).await,
        app.put_json(ONE, &t, &without_key(oidc("k1", "PUBLIC")))
            .await,
        app.delete(LIST, &t).await,
    ] {
        assert_error(r, 403, "AUTHORIZATION_MISSING_PERMISSION").await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn application_and_idp_not_found() {
    let app = app().await;
    let admin = admin();
    for r in [
        app.get("/applications/nope/identity-providers", &admin)
            .await,
        app.put_json("/applications/nope/identity-providers", &admin, &json!([]))
            .await,
        app.delete("/applications/nope/identity-providers", &admin)
            .await,
        app.get("/applications/nope/identity-providers/k1", &admin)
            .await,
        app.put_json(
            "/applications/nope/identity-providers/k1",
            &admin,
            &without_key(oidc("k1", "PUBLIC")),
        )
        .await,
        app.delete("/applications/nope/identity-providers/k1", &admin)
            .await,
    ] {
        assert_error(r, 404, "IAM_APPLICATION_NOT_FOUND").await;
    }
    assert_error(
        app.get(ONE, &token("app-e")).await,
        404,
        "IAM_IDP_NOT_FOUND",
    )
    .await;
    assert_error(
        app.delete(ONE, &token("app-e")).await,
        404,
        "IAM_IDP_NOT_FOUND",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extension_codes_media_types_and_routes() {
    let app = app().await;
    let t = token("app-e");
    // 415: NDJSON is not listed for the single PUT; text/plain nowhere.
    let r = app
        .request(Method::PUT, ONE, Some(&t))
        .header("content-type", "application/x-ndjson")
        .body("{}\n")
        .send()
        .await
        .unwrap();
    assert_error(r, 415, "MEDIA_TYPE_UNSUPPORTED").await;
    let r = app
        .request(Method::PUT, LIST, Some(&t))
        .header("content-type", "text/plain")
        .body("[]")
        .send()
        .await
        .unwrap();
    assert_error(r, 415, "MEDIA_TYPE_UNSUPPORTED").await;
    let r = app
        .request(Method::PUT, LIST, Some(&t))
        .body("[]")
        .send()
        .await
        .unwrap();
    assert_error(r, 415, "MEDIA_TYPE_UNSUPPORTED").await;
    // 406: the single GET is JSON only; nothing is XML.
    app.put_json(ONE, &t, &without_key(oidc("k1", "PUBLIC")))
        .await;
    let r = app
        .request(Method::GET, ONE, Some(&t))
        .header("accept", "application/x-ndjson")
        .send()
        .await
        .unwrap();
    assert_error(r, 406, "MEDIA_TYPE_NOT_ACCEPTABLE").await;
    let r = app
        .request(Method::GET, LIST, Some(&t))
        .header("accept", "application/xml")
        .send()
        .await
        .unwrap();
    assert_error(r, 406, "MEDIA_TYPE_NOT_ACCEPTABLE").await;
    let r = app
        .request(
            Method::GET,
            "/applications/app-e/public-identity-provider-setup",
            None,
        )
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_error(r, 406, "MEDIA_TYPE_NOT_ACCEPTABLE").await;
    // No such route / method.
    let r = app
        .request(Method::GET, "/nowhere", None)
        .send()
        .await
        .unwrap();
    assert_error(r, 404, "RESOURCE_NOT_FOUND").await;
    let r = app
        .request(Method::POST, LIST, Some(&t))
        .send()
        .await
        .unwrap();
    assert_error(r, 405, "METHOD_NOT_ALLOWED").await;
}

/// Every path of the contract and every root operational path answers a method it does not serve with 405, an
/// `Allow` naming exactly the methods it serves, and `ErrorV1` `METHOD_NOT_ALLOWED` (routing comes before
/// authentication, so no token is needed).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unserved_methods_are_405_with_allow_on_every_path() {
    let app = TestApp::spawn().await;
    test_support::methods::assert_unserved_methods_answer_405_with_allow(
        &app.client,
        &app.address,
        idp_management::SPEC,
        &[],
        |content_type, body| {
            let error_v1 = content_type.starts_with("application/json")
                && body["code"] == "METHOD_NOT_ALLOWED"
                && body["errorId"].as_str().is_some_and(|s| !s.is_empty())
                && body["details"].is_array();
            if error_v1 {
                Ok(())
            } else {
                Err(format!(
                    "not ErrorV1 METHOD_NOT_ALLOWED: {content_type} {body}"
                ))
            }
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conflict_on_stale_if_match() {
    let app = app().await;
    let t = token("app-e");
    let r = app
        .put_json(ONE, &t, &without_key(oidc("k1", "PUBLIC")))
        .await;
    let etag = r.headers()["etag"].to_str().unwrap().to_owned();
    assert_eq!(etag, "\"2\"");
    let put = |tag: &str| {
        app.request(Method::PUT, ONE, Some(&t))
            .header("if-match", tag)
            .json(&without_key(oidc("k1", "HIDDEN")))
            .send()
    };
    assert_eq!(put(&etag).await.unwrap().status(), 204);
    let body = assert_error(put(&etag).await.unwrap(), 409, "IAM_IDP_CHANGE_CONFLICT").await;
    assert!(body["message"].as_str().unwrap().contains('3'), "{body}");
    assert_error(
        put("W/\"3\"").await.unwrap(),
        409,
        "IAM_IDP_CHANGE_CONFLICT",
    )
    .await;
    assert_eq!(put("\"1\", \"3\"").await.unwrap().status(), 204);
    // A comma inside a tag is part of the tag, as RFC 9110 has it (found by schemathesis: the list was split
    // on every comma, and a valid If-Match was a 400).
    assert_eq!(put("W/\"a,b\" ,\t\"4\"").await.unwrap().status(), 204);
    assert_eq!(put("*").await.unwrap().status(), 204);
    let r = app
        .request(
            Method::PUT,
            "/applications/app-e/identity-providers/new",
            Some(&t),
        )
        .header("if-match", "*")
        .json(&without_key(oidc("new", "HIDDEN")))
        .send()
        .await
        .unwrap();
    assert_error(r, 409, "IAM_IDP_CHANGE_CONFLICT").await;
    let r = app
        .request(Method::PUT, ONE, Some(&t))
        .header("if-match", "5")
        .json(&without_key(oidc("k1", "HIDDEN")))
        .send()
        .await
        .unwrap();
    let body = assert_error(r, 400, "INPUT_MALFORMED").await;
    assert_eq!(fields(&body), vec!["If-Match"]);

    // List operations compare with the application's changeId (from the list GET's ETag).
    let r = app.get(LIST, &t).await;
    let list_tag = r.headers()["etag"].to_str().unwrap().to_owned();
    let stale = app
        .request(Method::PUT, LIST, Some(&t))
        .header("if-match", "\"2\"")
        .json(&json!([]))
        .send()
        .await
        .unwrap();
    assert_error(stale, 409, "IAM_IDP_CHANGE_CONFLICT").await;
    let stale = app
        .request(Method::DELETE, ONE, Some(&t))
        .header("if-match", "\"2\"")
        .send()
        .await
        .unwrap();
    assert_error(stale, 409, "IAM_IDP_CHANGE_CONFLICT").await;
    assert_eq!(
        app.get(ONE, &t).await.status(),
        200,
        "a refused delete deletes nothing"
    );
    let fresh = app
        .request(Method::DELETE, LIST, Some(&t))
        .header("if-match", list_tag)
        .send()
        .await
        .unwrap();
    assert_eq!(fresh.status(), 204);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn database_unavailable_is_503_in_error_v1() {
    let app = TestApp::spawn_with(|s| {
        s.common.database.pool_size = 2;
        s.common.database.acquire_timeout_ms = 300;
    })
    .await;
    app.register("app-e").await;
    // Hold every connection of the service's pool: the next request cannot get one in time.
    let held = (app.pool.get().await.unwrap(), app.pool.get().await.unwrap());
    let r = app
        .request(
            Method::GET,
            "/applications/app-e/public-identity-provider-setup",
            None,
        )
        .send()
        .await
        .unwrap();
    let body = assert_error(r, 503, "SERVICE_UNAVAILABLE").await;
    assert!(
        !body["message"].as_str().unwrap().contains("pool"),
        "no internals in {body}"
    );
    drop(held);
    let r = app
        .request(
            Method::GET,
            "/applications/app-e/public-identity-provider-setup",
            None,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "served again once connections are free");
}
