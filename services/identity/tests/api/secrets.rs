//! Secrets never leave the service: the function keys (in either position, right and wrong), the connectors'
//! Basic password, the Graph client secrets of both tenants and the access tokens the fake Microsoft issues
//! appear in no response (headers included), log line (the whole process at trace level while the flows run) or
//! event (the outbox and the bus), in any encoding (`test_support::secrets`), and nothing token-shaped is in a
//! log line or event. Identity keeps no audit rows and stores no secret (its function keys and Graph secrets
//! live in its settings alone), so there is no row to check for encryption at rest.

use crate::connectors::{register_example, token_example};
use crate::graph::{USER, graph_user, graph_users};
use crate::helpers::{KEY, TestApp};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use reqwest::Method;
use serde_json::json;
use std::time::Duration;
use test_support::secrets::Scan;
use wiremock::matchers::{body_string_contains, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const B2C_TENANT: &str = "cfsbrandsb2c.onmicrosoft.com";
const AAD_TENANT: &str = "cfsbrands.onmicrosoft.com";
const B2C_SECRET: &str = "B2C-CLIENT-SECRET-sentinel-6a1f";
const AAD_SECRET: &str = "AAD-CLIENT-SECRET-sentinel-03be";
const BASIC_PASSWORD: &str = "BASIC-PASSWORD-sentinel-d45c";
const WRONG_KEY: &str = "WRONG-KEY-sentinel-7e90";

/// An access token shaped like Microsoft's, naming `tenant`.
fn access_token(tenant: &str) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"typ":"JWT","alg":"RS256"}"#);
    let payload = URL_SAFE_NO_PAD.encode(json!({"tid": tenant, "sentinel": "graph"}).to_string());
    format!("{header}.{payload}.c2lnbmF0dXJlLXNlbnRpbmVs")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_never_appear_in_responses_logs_or_events() {
    test_support::logs::capture();
    let _trace = test_support::logs::verbose();
    let microsoft = MockServer::start().await;
    for (tenant, secret) in [(B2C_TENANT, B2C_SECRET), (AAD_TENANT, AAD_SECRET)] {
        Mock::given(method("POST"))
            .and(path(format!("/{tenant}/oauth2/v2.0/token")))
            .and(body_string_contains(format!("client_secret={secret}")))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599,
                "access_token": access_token(tenant),
            })))
            .mount(&microsoft)
            .await;
    }
    Mock::given(method("GET"))
        .and(path(format!("/v1.0/users/{USER}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(graph_user()))
        .mount(&microsoft)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users"))
        .respond_with(graph_users(json!([{
            "id": "5f0f5c4e-6f7e-4b0e-9a55-1b2c3d4e5f60", "mail": "found@cfsbrands.com",
            "userPrincipalName": "found@cfsbrands.com", "givenName": "Found", "surname": "Person", "country": null
        }])))
        .mount(&microsoft)
        .await;
    let uri = microsoft.uri();
    let app = TestApp::spawn_with(move |s| {
        s.microsoft.authority = uri.clone();
        s.microsoft.graph_base_url = format!("{uri}/v1.0");
        s.microsoft.timeout_ms = 500;
        s.microsoft.max_retries = 0;
        s.graph.b2c.tenant = B2C_TENANT.to_owned();
        s.graph.b2c.client_id = "b2c-app".to_owned();
        s.graph.b2c.client_secret = B2C_SECRET.to_owned();
        s.graph.aad.tenant = AAD_TENANT.to_owned();
        s.graph.aad.client_id = "aad-app".to_owned();
        s.graph.aad.client_secret = AAD_SECRET.to_owned();
        s.connectors.basic_username = "b2c".to_owned();
        s.connectors.basic_password = BASIC_PASSWORD.to_owned();
    })
    .await;
    let mut bus = app.subscribe().await;
    let mut seen = Scan::default();
    let basic = format!("Basic {}", STANDARD.encode(format!("b2c:{BASIC_PASSWORD}")));
    let wrong_basic = format!("Basic {}", STANDARD.encode("b2c:not-the-password"));

    // The directory, with the key in the header, in `?code=`, and wrong in both.
    let grouptype = app.create_grouptype("Secretive").await;
    let r = app
        .client
        .post(app.api(&format!("/groups?code={KEY}")))
        .json(&json!({"name": "Keyed", "typeid": grouptype["id"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    seen.response("create group by ?code=", r).await;
    let r = app
        .client
        .get(app.api("/groups"))
        .header("x-functions-key", "second-key")
        .send()
        .await
        .unwrap();
    seen.response("list groups by header", r).await;
    for (name, request) in [
        (
            "wrong header",
            app.client
                .get(app.api("/groups"))
                .header("x-functions-key", WRONG_KEY),
        ),
        (
            "wrong ?code=",
            app.client
                .get(app.api(&format!("/groups?code={WRONG_KEY}"))),
        ),
        (
            "wrong Basic",
            app.client
                .post(app.api("/b2c/register"))
                .header("authorization", &wrong_basic)
                .json(&register_example()),
        ),
    ] {
        let r = request.send().await.unwrap();
        assert_eq!(r.status(), 401, "{name}");
        seen.response(name, r).await;
    }

    // Graph: both registrations' tokens fetched and used.
    for (name, route) in [
        ("b2c user details", format!("/b2c/userdetails/{USER}")),
        ("aad user details", format!("/aad/userdetails/{USER}")),
    ] {
        let r = app.get(&route).await;
        assert_eq!(r.status(), 200, "{name}");
        seen.response(name, r).await;
    }
    let r = app
        .post_empty("/aad/getoidbyemail?email=found@cfsbrands.com")
        .await;
    assert_eq!(r.status(), 201);
    seen.response("getoidbyemail", r).await;

    // The connectors, by Basic and by key.
    for (name, route, body) in [
        ("register", "/b2c/register", register_example()),
        ("token", "/b2c/token", token_example()),
    ] {
        let r = app
            .client
            .request(Method::POST, app.api(route))
            .header("authorization", &basic)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{name}");
        seen.response(name, r).await;
    }

    let mut kept = Scan::default();
    let events = test_support::outbox::envelopes(&app.pool).await;
    assert!(!events.is_empty());
    kept.add("outbox", serde_json::to_string(&events).unwrap());
    for received in bus.take(events.len(), Duration::from_secs(15)).await {
        kept.add("published event", received.event.to_string());
    }
    drop(_trace);
    let logs = test_support::logs::text();
    assert!(
        logs.contains(r#""level":"TRACE""#),
        "the logs were captured at trace level"
    );
    assert!(
        logs.contains("request served"),
        "the service's logs are captured"
    );
    kept.add("logs", logs);

    let b2c_token = access_token(B2C_TENANT);
    let aad_token = access_token(AAD_TENANT);
    let basic_pair = format!("b2c:{BASIC_PASSWORD}");
    let secrets: [(&str, &[u8]); 9] = [
        ("function key", KEY.as_bytes()),
        ("second function key", b"second-key"),
        ("wrong function key", WRONG_KEY.as_bytes()),
        ("Basic password", BASIC_PASSWORD.as_bytes()),
        ("Basic credentials", basic_pair.as_bytes()),
        ("B2C client secret", B2C_SECRET.as_bytes()),
        ("AAD client secret", AAD_SECRET.as_bytes()),
        ("B2C access token", b2c_token.as_bytes()),
        ("AAD access token", aad_token.as_bytes()),
    ];
    seen.assert_clean(&secrets);
    kept.assert_clean(&secrets);
    kept.assert_no_tokens();
    // The fake Microsoft did receive both secrets, and Graph both tokens: the scan looked where they could leak.
    let requests = microsoft.received_requests().await.unwrap();
    for secret in [B2C_SECRET, AAD_SECRET] {
        assert!(
            requests
                .iter()
                .any(|r| String::from_utf8_lossy(&r.body).contains(secret))
        );
    }
    for token in [&b2c_token, &aad_token] {
        assert!(requests.iter().any(|r| {
            r.headers
                .get("authorization")
                .is_some_and(|v| v.to_str().unwrap().ends_with(token.as_str()))
        }));
    }
}
