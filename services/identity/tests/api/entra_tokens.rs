//! The bearer token Entra sends to the custom authentication extensions (`[connectors.entra]` on), against a
//! local fake of the tenant's discovery document and published keys: a good token (v2 and v1 shapes) opens
//! `/entra/*`, every bad one is the same 401, the tenant's key rotation is followed, and keys never fetched are
//! 503 and not ready.

use reqwest::Response;
use serde_json::{Value, json};
use std::time::Duration;
use test_support::FakeIssuer;
use test_support::issuer::{RSA_A, RSA_A_PUBLIC, RSA_B, forged, rsa_jwk, sign_rs256};

use crate::connectors::{attribute_submit, register_example};
use crate::helpers::{KEY, TestApp};

const TENANT: &str = "30000000-0000-0000-0000-000000000003";
/// The custom extension's app registration (the token's audience).
const EXTENSION_APP: &str = "a1b2c3d4-0000-4000-8000-00000000e47a";
const EVENTS_APP: &str = identity::connectors::auth::AUTHENTICATION_EVENTS_APP_ID;
const SUBMIT: &str = "/entra/attributecollectionsubmit";

/// The tenant's fake issuer, at Microsoft's issuer path (`/<tenant>/v2.0`), publishing key A.
async fn tenant() -> FakeIssuer {
    FakeIssuer::start_at(&format!("/{TENANT}/v2.0"), vec![rsa_jwk("A", RSA_A)]).await
}

/// The service with Entra validation on, trusting `issuer`'s tenant (found through discovery, as in production:
/// the issuer setting keeps its `{tenant_id}` placeholder).
async fn spawn(issuer: &FakeIssuer) -> TestApp {
    let origin = issuer.server.uri();
    TestApp::spawn_with(move |s| {
        s.connectors.entra.tenant_id = TENANT.to_owned();
        s.connectors.entra.audience = EXTENSION_APP.to_owned();
        s.connectors.entra.issuer = format!("{origin}/{{tenant_id}}/v2.0");
        s.connectors.entra.jwks_min_refresh_interval_secs = 1;
    })
    .await
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// What Entra's v2 token for the extension carries (`azp` names the authentication events service).
fn v2(issuer: &FakeIssuer) -> Value {
    json!({
        "iss": issuer.issuer(), "aud": EXTENSION_APP, "ver": "2.0", "azp": EVENTS_APP,
        "tid": TENANT, "sub": "f2a7d8b0-0000-4000-8000-000000000001",
        "iat": now(), "nbf": now() - 5, "exp": now() + 3600,
    })
}

/// The v1 shape: the authorized party is `appid`, there is no `azp`.
fn v1(issuer: &FakeIssuer) -> Value {
    let mut claims = v2(issuer);
    let object = claims.as_object_mut().unwrap();
    object.remove("azp");
    object.insert("ver".into(), json!("1.0"));
    object.insert("appid".into(), json!(EVENTS_APP));
    claims
}

fn with(mut claims: Value, key: &str, value: Value) -> Value {
    claims[key] = value;
    claims
}

fn without(mut claims: Value, key: &str) -> Value {
    claims.as_object_mut().unwrap().remove(key);
    claims
}

/// POSTs the documented attribute-collection event with `authorization` (and `query`) as given.
async fn submit(app: &TestApp, authorization: Option<&str>, query: &str) -> Response {
    let mut request = app
        .client
        .post(format!("{}{query}", app.api(SUBMIT)))
        .json(&attribute_submit("larissa@contoso.com", "Larissa Price"));
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    request.send().await.unwrap()
}

async fn submit_with(app: &TestApp, token: &str) -> Response {
    submit(app, Some(&format!("Bearer {token}")), "").await
}

/// Asserts the continue answer of a call that got through.
async fn assert_continues(response: Response, what: &str) {
    assert_eq!(response.status(), 200, "{what}");
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body["data"]["actions"][0]["@odata.type"],
        "microsoft.graph.attributeCollectionSubmit.continueWithDefaultBehavior",
        "{what}: {body}"
    );
}

/// Asserts a 401 with `challenge` and returns its body.
async fn refused(response: Response, challenge: &str, what: &str) -> Value {
    assert_eq!(response.status(), 401, "{what}");
    assert_eq!(
        response.headers()["www-authenticate"],
        challenge,
        "{what}: the challenge"
    );
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json",
        "{what}"
    );
    response.json().await.unwrap()
}

async fn ready(app: &TestApp) -> (u16, Value) {
    let response = app
        .client
        .get(format!("{}/readyz", app.address))
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entras_token_opens_the_extension_paths_and_every_bad_one_is_the_same_401() {
    test_support::logs::capture();
    let issuer = tenant().await;
    let app = spawn(&issuer).await;

    let good = sign_rs256("A", RSA_A, &v2(&issuer));
    assert_continues(submit_with(&app, &good).await, "a v2 token").await;
    assert_continues(
        submit_with(&app, &sign_rs256("A", RSA_A, &v1(&issuer))).await,
        "a v1 token (appid)",
    )
    .await;
    // A `?code=` left in the extension's target URL is neither needed nor harmful.
    assert_continues(
        submit(
            &app,
            Some(&format!("Bearer {good}")),
            &format!("?code={KEY}"),
        )
        .await,
        "a token beside a function key",
    )
    .await;
    let (status, readiness) = ready(&app).await;
    assert_eq!((status, &readiness["token_keys"]), (200, &json!("ok")));

    // The reference refusal: every other one must be byte for byte the same body.
    let missing = refused(submit(&app, None, "").await, "Bearer", "no token").await;
    assert_eq!(missing["status"], 401);
    let detail = missing["detail"].as_str().unwrap().to_owned();
    for word in ["expired", "audience", "issuer", "signature", "kid", "azp"] {
        assert!(
            !detail.contains(word),
            "the detail names no check: {detail}"
        );
    }

    // A function key (or Basic) no longer speaks for Entra here; /b2c/* still take it.
    let by_key = app
        .client
        .post(format!("{}?code={KEY}", app.api(SUBMIT)))
        .header("x-functions-key", KEY)
        .json(&attribute_submit("larissa@contoso.com", "Larissa Price"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        refused(by_key, "Bearer", "a function key alone").await,
        missing
    );
    assert_eq!(
        app.post("/b2c/register", &register_example())
            .await
            .status(),
        200,
        "/b2c/* unchanged"
    );

    let claims = v2(&issuer);
    // Claims signed with the tenant's own key A: only the claim named is wrong.
    let signed =
        |what, claims: Value| (what, format!("Bearer {}", sign_rs256("A", RSA_A, &claims)));
    let swapped = with(claims.clone(), "sub", json!("someone-else"));
    let other_tenant = format!(
        "{}/40000000-0000-0000-0000-000000000004/v2.0",
        issuer.server.uri()
    );
    let bad: Vec<(&str, String)> = vec![
        ("empty", "Bearer ".to_owned()),
        ("another scheme", format!("Basic {good}")),
        ("malformed", "Bearer not.a-jwt".to_owned()),
        ("two parts", "Bearer eyJhbGciOiJSUzI1NiJ9.e30".to_owned()),
        signed("expired", with(claims.clone(), "exp", json!(now() - 3600))),
        signed(
            "not yet valid",
            with(claims.clone(), "nbf", json!(now() + 3600)),
        ),
        signed("no exp", without(claims.clone(), "exp")),
        signed(
            "wrong audience",
            with(claims.clone(), "aud", json!("api://another-app")),
        ),
        signed(
            "another tenant's issuer",
            with(claims.clone(), "iss", json!(other_tenant)),
        ),
        signed(
            "the workforce issuer of the same tenant",
            with(
                claims.clone(),
                "iss",
                json!(format!("https://login.microsoftonline.com/{TENANT}/v2.0")),
            ),
        ),
        signed(
            "another client (azp)",
            with(claims.clone(), "azp", json!(EXTENSION_APP)),
        ),
        signed(
            "v1, another client (appid)",
            with(v1(&issuer), "appid", json!(EXTENSION_APP)),
        ),
        signed(
            "azp wrong though appid right",
            with(
                with(claims.clone(), "azp", json!(EXTENSION_APP)),
                "appid",
                json!(EVENTS_APP),
            ),
        ),
        signed("no authorized party", without(claims.clone(), "azp")),
        (
            "tampered payload",
            format!("Bearer {}", forged::with_payload(&good, &swapped)),
        ),
        (
            "signed with another key under A's kid",
            format!("Bearer {}", sign_rs256("A", RSA_B, &claims)),
        ),
        (
            "alg none",
            format!("Bearer {}", forged::alg_none(Some("A"), &claims)),
        ),
        (
            "alg none without kid",
            format!("Bearer {}", forged::alg_none(None, &claims)),
        ),
        (
            "HS256 with A's public key (key confusion)",
            format!(
                "Bearer {}",
                forged::hs256("A", RSA_A_PUBLIC.as_bytes(), &claims)
            ),
        ),
        (
            "a kid the tenant never published",
            format!("Bearer {}", sign_rs256("Z", RSA_B, &claims)),
        ),
    ];
    for (what, authorization) in &bad {
        let body = refused(
            submit(&app, Some(authorization), "").await,
            "Bearer error=\"invalid_token\"",
            what,
        )
        .await;
        assert_eq!(body, missing, "{what}: the same body as any refusal");
    }
    // The reason is the log's (at debug), never a token.
    let logs = test_support::logs::text();
    for reason in [
        "token has expired",
        "token is not yet valid",
        "token audience is wrong",
        "token issuer is wrong",
        "token algorithm is not allowed for its key",
        "the authorized party (azp / appid) is not Entra's authentication events service",
    ] {
        assert!(
            logs.lines()
                .any(|line| line.contains("Entra bearer token refused") && line.contains(reason)),
            "logged: {reason}"
        );
    }
    assert!(!logs.contains(&good), "no token in the log");

    // A refused token provisions nobody.
    let user = "90000000-0000-0000-0000-0000000000e1";
    let event = json!({
        "type": "microsoft.graph.authenticationEvent.tokenIssuanceStart",
        "data": {"authenticationContext": {"user": {"id": user, "mail": "e1@contoso.com"}}}
    });
    let expired = sign_rs256(
        "A",
        RSA_A,
        &with(claims.clone(), "exp", json!(now() - 3600)),
    );
    for (token, status) in [(expired, 401), (good, 200)] {
        let response = app
            .client
            .post(app.api("/entra/tokenissuancestart"))
            .bearer_auth(token)
            .json(&event)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), status);
        let found = app.get(&format!("/users/{user}")).await.status();
        assert_eq!(found, if status == 200 { 200 } else { 404 });
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tenants_key_rotation_is_followed_and_a_withdrawn_key_is_refused() {
    let issuer = tenant().await;
    let app = spawn(&issuer).await;
    let token_a = sign_rs256("A", RSA_A, &v2(&issuer));
    assert_continues(submit_with(&app, &token_a).await, "signed with A").await;

    // The tenant rotates to B and withdraws A (Microsoft's JWKS is the revocation list of its keys).
    issuer.publish(vec![rsa_jwk("B", RSA_B)]);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let token_b = sign_rs256("B", RSA_B, &v2(&issuer));
    assert_continues(
        submit_with(&app, &token_b).await,
        "signed with B, a new kid",
    )
    .await;
    let withdrawn = refused(
        submit_with(&app, &token_a).await,
        "Bearer error=\"invalid_token\"",
        "signed with the withdrawn A",
    )
    .await;
    let missing = refused(submit(&app, None, "").await, "Bearer", "no token").await;
    assert_eq!(withdrawn, missing);
    assert_eq!(issuer.fetches().await, 2, "at start, and for B's kid");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_never_fetched_are_503_and_not_ready_only_with_entra_on() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let issuer = tenant().await;
    let app = TestApp::spawn_with(|s| {
        s.connectors.entra.tenant_id = TENANT.to_owned();
        s.connectors.entra.audience = EXTENSION_APP.to_owned();
        s.connectors.entra.issuer = issuer.issuer();
        s.connectors.entra.jwks_uri = format!("http://{closed}/keys");
    })
    .await;
    let response = submit_with(&app, &sign_rs256("A", RSA_A, &v2(&issuer))).await;
    assert_eq!(response.status(), 503, "not known to be bad: retry");
    let (status, readiness) = ready(&app).await;
    assert_eq!(status, 503, "{readiness}");
    assert_eq!(readiness["token_keys"], "unavailable", "{readiness}");

    // Off (the default), there are no Entra keys to wait for.
    let off = TestApp::spawn().await;
    let (status, readiness) = ready(&off).await;
    assert_eq!(status, 200, "{readiness}");
    assert!(readiness.get("token_keys").is_none(), "{readiness}");
}
