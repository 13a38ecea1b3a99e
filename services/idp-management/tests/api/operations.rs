//! Every operation, in JSON and NDJSON where the contract lists both.

use crate::helpers::*;
use reqwest::Method;
use serde_json::{Value, json};

fn ndjson(items: &[Value]) -> String {
    items.iter().map(|v| format!("{v}\n")).collect()
}

fn parse_ndjson(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_put_get_delete_in_json() {
    let app = TestApp::spawn().await;
    app.register("app-1").await;
    let t = token("app-1");
    let body = json!([
        oidc("b-oidc", "PUBLIC"),
        oauth2("a-oauth", "APPLICATION", "s3cr3t-value")
    ]);

    // Without returnUpdated: 204 and the new ETag.
    let r = app
        .put_json("/applications/app-1/identity-providers", &t, &body)
        .await;
    assert_eq!(r.status(), 204);
    let etag = r.headers()["etag"].to_str().unwrap().to_owned();
    assert_eq!(
        etag, "\"2\"",
        "registration is change 1, the first write change 2"
    );

    let r = app.get("/applications/app-1/identity-providers", &t).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/json");
    assert_eq!(r.headers()["etag"].to_str().unwrap(), etag);
    let list: Vec<Value> = r.json().await.unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["key"], "a-oauth", "ordered by key");
    assert_eq!(list[1]["key"], "b-oidc");
    for item in &list {
        assert_eq!(item["applicationId"], "app-1");
        assert_eq!(item["changeId"], "2");
        assert_eq!(item["createdBy"], "actor-of-app-1");
        assert_eq!(item["lastModifiedBy"], "actor-of-app-1");
        chrono::DateTime::parse_from_rfc3339(item["createdAt"].as_str().unwrap()).unwrap();
    }
    assert_eq!(list[0]["oauth2Config"]["clientSecretSet"], true);
    assert!(list[0]["oauth2Config"].get("clientSecret").is_none());
    assert_eq!(list[1]["oidcConfig"]["issuer"], "https://login.example.com");
    assert_eq!(list[1]["additionalConfigEntries"][0]["value"], "blue");

    // returnUpdated=true: 200 with the new set; an empty list removes all.
    let other = token("app-1");
    let r = app
        .request(
            Method::PUT,
            "/applications/app-1/identity-providers?returnUpdated=true",
            Some(&other),
        )
        .json(&json!([oidc("b-oidc", "HIDDEN")]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let list: Vec<Value> = r.json().await.unwrap();
    assert_eq!(list.len(), 1, "a-oauth removed by the replace");
    assert_eq!(list[0]["visibility"], "HIDDEN");
    assert_eq!(list[0]["changeId"], "3");

    let r = app
        .request(
            Method::PUT,
            "/applications/app-1/identity-providers?returnUpdated=true",
            Some(&t),
        )
        .json(&json!([]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Vec<Value>>().await.unwrap(), Vec::<Value>::new());
    let r = app.get("/applications/app-1/identity-providers", &t).await;
    assert_eq!(r.text().await.unwrap(), "[]");

    // DELETE all.
    app.put_json(
        "/applications/app-1/identity-providers",
        &t,
        &json!([oidc("x", "PUBLIC")]),
    )
    .await;
    assert_eq!(
        app.delete("/applications/app-1/identity-providers", &t)
            .await
            .status(),
        204
    );
    let list: Vec<Value> = app
        .get("/applications/app-1/identity-providers", &t)
        .await
        .json()
        .await
        .unwrap();
    assert!(list.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_put_and_get_in_ndjson() {
    let app = TestApp::spawn().await;
    app.register("app-nd").await;
    let t = token("app-nd");
    let items: Vec<Value> = (0..30)
        .map(|i| oidc(&format!("idp-{i:02}"), "PUBLIC"))
        .collect();
    let r = app
        .request(
            Method::PUT,
            "/applications/app-nd/identity-providers?returnUpdated=true",
            Some(&t),
        )
        .header("content-type", "application/x-ndjson")
        .header("accept", "application/x-ndjson")
        .body(ndjson(&items))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/x-ndjson");
    let back = parse_ndjson(&r.text().await.unwrap());
    assert_eq!(back.len(), 30);
    assert_eq!(back[0]["key"], "idp-00");

    let r = app
        .request(
            Method::GET,
            "/applications/app-nd/identity-providers",
            Some(&t),
        )
        .header("accept", "application/x-ndjson")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/x-ndjson");
    let text = r.text().await.unwrap();
    assert!(text.ends_with('\n'));
    let lines = parse_ndjson(&text);
    assert_eq!(lines.len(), 30);
    assert_eq!(lines[29]["key"], "idp-29");

    // An NDJSON body answered in JSON (the response follows Accept, not Content-Type).
    let r = app
        .request(
            Method::PUT,
            "/applications/app-nd/identity-providers?returnUpdated=true",
            Some(&t),
        )
        .header("content-type", "application/x-ndjson; charset=utf-8")
        .header("accept", "application/json")
        .body(ndjson(&items[..2]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Vec<Value>>().await.unwrap().len(), 2);

    // The empty NDJSON list streams as an empty body.
    app.delete("/applications/app-nd/identity-providers", &t)
        .await;
    let r = app
        .request(
            Method::GET,
            "/applications/app-nd/identity-providers",
            Some(&t),
        )
        .header("accept", "application/x-ndjson")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), "");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn single_provider_put_get_delete() {
    let app = TestApp::spawn().await;
    app.register("app-s").await;
    let t = token("app-s");
    let path = "/applications/app-s/identity-providers/idp-1";

    let r = app
        .put_json(path, &t, &without_key(oidc("idp-1", "PUBLIC")))
        .await;
    assert_eq!(r.status(), 204);
    assert_eq!(r.headers()["etag"], "\"2\"");

    let r = app.get(path, &t).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["etag"], "\"2\"");
    let first: Value = r.json().await.unwrap();
    assert_eq!(first["key"], "idp-1");
    assert_eq!(first["changeId"], "2");

    // Replace with another actor: createdAt/By kept, lastModified* and changeId move.
    let mut c = claims("app-s", &["idp:read", "idp:write"]);
    c["actor"] = json!("second-actor");
    let second_token = sign(&c);
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let mut changed = without_key(oidc("idp-1", "APPLICATION"));
    changed["name"] = json!("Renamed");
    let r = app
        .request(
            Method::PUT,
            &format!("{path}?returnUpdated=true"),
            Some(&second_token),
        )
        .json(&changed)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["etag"], "\"3\"");
    let second: Value = r.json().await.unwrap();
    assert_eq!(second["name"], "Renamed");
    assert_eq!(second["changeId"], "3");
    assert_eq!(second["createdAt"], first["createdAt"]);
    assert_eq!(second["createdBy"], "actor-of-app-s");
    assert_eq!(second["lastModifiedBy"], "second-actor");
    assert_ne!(second["lastModifiedAt"], first["lastModifiedAt"]);

    // returnUpdated=false explicitly is 204.
    let r = app
        .request(
            Method::PUT,
            &format!("{path}?returnUpdated=false"),
            Some(&t),
        )
        .json(&changed)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);

    assert_eq!(app.delete(path, &t).await.status(), 204);
    assert_error(app.get(path, &t).await, 404, "IAM_IDP_NOT_FOUND").await;
    assert_error(app.delete(path, &t).await, 404, "IAM_IDP_NOT_FOUND").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_secret_is_write_only_and_sealed_at_rest() {
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    use idp_management::db::schema::identity_providers as ip;

    let app = TestApp::spawn().await;
    app.register("app-sec").await;
    let t = token("app-sec");
    let path = "/applications/app-sec/identity-providers/o1";
    let secret = "very-secret-client-secret-4711";
    let r = app
        .request(Method::PUT, &format!("{path}?returnUpdated=true"), Some(&t))
        .json(&without_key(oauth2("o1", "PUBLIC", secret)))
        .send()
        .await
        .unwrap();
    let text = r.text().await.unwrap();
    assert!(!text.contains(secret), "{text}");
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["oauth2Config"]["clientSecretSet"], true);

    let stored = || async {
        let mut conn = app.pool.get().await.unwrap();
        ip::table
            .find(("app-sec", "o1"))
            .select((
                ip::config,
                ip::client_secret_key_id,
                ip::client_secret_nonce,
                ip::client_secret_ciphertext,
            ))
            .first::<(Value, Option<String>, Option<Vec<u8>>, Option<Vec<u8>>)>(&mut conn)
            .await
            .unwrap()
    };
    let (config, key_id, nonce, ciphertext) = stored().await;
    assert!(!config.to_string().contains(secret));
    let sealed = security::secret_box::Sealed {
        key_id: key_id.unwrap(),
        nonce: nonce.unwrap(),
        ciphertext: ciphertext.unwrap(),
    };
    assert!(
        !sealed
            .ciphertext
            .windows(secret.len())
            .any(|w| w == secret.as_bytes())
    );
    let boxed = security::secret_box::SecretBox::new(&security::secret_box::SecretBoxSettings {
        active_key_id: "k1".into(),
        keys: [("k1".to_owned(), SEAL_KEY.to_owned())].into(),
    })
    .unwrap();
    assert_eq!(boxed.open(&sealed, b"app-sec/o1").unwrap(), secret);
    assert!(
        boxed.open(&sealed, b"app-sec/other").is_err(),
        "bound to its row"
    );

    // Omitting clientSecret keeps it; "" removes it.
    let mut without = without_key(oauth2("o1", "PUBLIC", secret));
    without["oauth2Config"]
        .as_object_mut()
        .unwrap()
        .remove("clientSecret");
    assert_eq!(app.put_json(path, &t, &without).await.status(), 204);
    assert_eq!(
        stored().await.3.as_deref(),
        Some(sealed.ciphertext.as_slice())
    );
    let got: Value = app.get(path, &t).await.json().await.unwrap();
    assert_eq!(got["oauth2Config"]["clientSecretSet"], true);
    without["oauth2Config"]["clientSecret"] = json!("");
    assert_eq!(app.put_json(path, &t, &without).await.status(), 204);
    assert!(stored().await.3.is_none());
    let got: Value = app.get(path, &t).await.json().await.unwrap();
    assert_eq!(got["oauth2Config"]["clientSecretSet"], false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_registration_is_idempotent_and_configured_applications_exist() {
    let app =
        TestApp::spawn_with(|s| s.registry.applications = vec!["from-config".to_owned()]).await;
    let t = token("from-config");
    let r = app
        .get("/applications/from-config/identity-providers", &t)
        .await;
    assert_eq!(r.status(), 200);
    let r = app
        .request(Method::PUT, "/admin/applications/new-app", Some(&admin()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["applicationId"], "new-app");
    assert_eq!(body["changeId"], "1");
    let r = app
        .request(Method::PUT, "/admin/applications/new-app", Some(&admin()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = app
        .request(
            Method::PUT,
            "/admin/applications/new-app",
            Some(&token("new-app")),
        )
        .send()
        .await
        .unwrap();
    assert_error(r, 403, "AUTHORIZATION_MISSING_PERMISSION").await;
    let r = app
        .request(Method::PUT, "/admin/applications/bad%20id", Some(&admin()))
        .send()
        .await
        .unwrap();
    assert_error(r, 400, "INPUT_MALFORMED").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probes_and_the_contract_are_served_without_a_token() {
    let app = TestApp::spawn().await;
    let r = app
        .client
        .get(format!("{}/openapi.json", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let spec: Value = r.json().await.unwrap();
    assert_eq!(
        spec["info"]["title"],
        "IAM Identity Provider Management API Specification"
    );
    assert!(spec["paths"]["/idp/v1/admin/revoked-tokens"].is_object());
    let r = app
        .client
        .get(format!("{}/healthz", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = app
        .client
        .get(format!("{}/readyz", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
}
