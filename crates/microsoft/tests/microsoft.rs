//! The Microsoft clients against a local fake speaking the real wire format of the identity platform's token
//! endpoint (JSON answers, AADSTS error bodies) and of Microsoft Graph (user JSON, OData error bodies).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use microsoft::graph::{GRAPH_SCOPE, GraphClient};
use microsoft::token::{CachedToken, TokenClient};
use microsoft::{MicrosoftSettings, MsError};
use serde_json::json;
use wiremock::matchers::{body_string_contains, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TENANT: &str = "contoso.onmicrosoft.com";
const SECRET: &str = "s3cr3t~value+/=";

fn settings(server: &MockServer) -> MicrosoftSettings {
    MicrosoftSettings {
        authority: server.uri(),
        graph_base_url: format!("{}/v1.0", server.uri()),
        timeout_ms: 1_000,
        max_retries: 2,
        max_retry_wait_ms: 2_000,
    }
}

fn jwt(roles: &[&str]) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"typ":"JWT","alg":"RS256","kid":"k"}"#);
    let payload = URL_SAFE_NO_PAD.encode(
        serde_json::to_vec(
            &json!({"aud": "https://graph.microsoft.com", "tid": "t", "roles": roles}),
        )
        .unwrap(),
    );
    format!("{header}.{payload}.c2lnbmF0dXJl")
}

fn token_ok(token: &str, expires_in: u64) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "token_type": "Bearer",
        "expires_in": expires_in,
        "ext_expires_in": expires_in,
        "access_token": token,
    }))
}

fn aadsts(status: u16, error: &str, code: i64, description: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({
        "error": error,
        "error_description": format!("AADSTS{code}: {description}\r\nTrace ID: 0000\r\nCorrelation ID: 1111\r\nTimestamp: 2026-11-23 19:00:00Z"),
        "error_codes": [code],
        "timestamp": "2026-11-23 19:00:00Z",
        "trace_id": "0000",
        "correlation_id": "1111",
        "error_uri": "https://login.microsoftonline.com/error?code=7000215"
    }))
}

fn token_path() -> String {
    format!("/{TENANT}/oauth2/v2.0/token")
}

async fn mount_token(server: &MockServer, token: &str, expires_in: u64) {
    Mock::given(method("POST"))
        .and(path(token_path()))
        .respond_with(token_ok(token, expires_in))
        .mount(server)
        .await;
}

fn graph(server: &MockServer, s: &MicrosoftSettings) -> GraphClient {
    let client = TokenClient::new(s).unwrap();
    let cached = CachedToken::new(client, TENANT, "app-id", SECRET, GRAPH_SCOPE);
    let _ = server;
    GraphClient::new(s, Arc::new(cached)).unwrap()
}

async fn token_requests(server: &MockServer) -> usize {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path().ends_with("/oauth2/v2.0/token"))
        .count()
}

#[tokio::test]
async fn client_credentials_posts_the_grant_and_reads_roles() {
    let server = MockServer::start().await;
    let token = jwt(&["User.Read.All", "Group.Read.All"]);
    Mock::given(method("POST"))
        .and(path(token_path()))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .and(body_string_contains("grant_type=client_credentials"))
        .and(body_string_contains("client_id=app-id"))
        .and(body_string_contains(
            "client_secret=s3cr3t%7Evalue%2B%2F%3D",
        ))
        .and(body_string_contains(
            "scope=https%3A%2F%2Fgraph.microsoft.com%2F.default",
        ))
        .respond_with(token_ok(&token, 3599))
        .expect(1)
        .mount(&server)
        .await;
    let client = TokenClient::new(&settings(&server)).unwrap();
    let before = Instant::now();
    let got = client
        .client_credentials(TENANT, "app-id", SECRET, GRAPH_SCOPE)
        .await
        .unwrap();
    assert_eq!(got.token, token);
    assert_eq!(got.roles, vec!["User.Read.All", "Group.Read.All"]);
    assert!(got.expires_at >= before + Duration::from_secs(3598));
    assert!(got.expires_at <= Instant::now() + Duration::from_secs(3599));
    assert!(!format!("{got:?}").contains(&token));
}

#[tokio::test]
async fn a_token_without_roles_has_none() {
    let server = MockServer::start().await;
    let payload = URL_SAFE_NO_PAD.encode(br#"{"aud":"x"}"#);
    mount_token(&server, &format!("h.{payload}.s"), 60).await;
    let got = TokenClient::new(&settings(&server))
        .unwrap()
        .client_credentials(TENANT, "app-id", SECRET, GRAPH_SCOPE)
        .await
        .unwrap();
    assert!(got.roles.is_empty());
}

#[tokio::test]
async fn a_wrong_secret_is_invalid_client_without_the_secret_in_the_error() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(token_path()))
        .respond_with(aadsts(
            401,
            "invalid_client",
            7000215,
            "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.",
        ))
        .expect(1)
        .mount(&server)
        .await;
    let err = TokenClient::new(&settings(&server))
        .unwrap()
        .client_credentials(TENANT, "app-id", SECRET, GRAPH_SCOPE)
        .await
        .unwrap_err();
    let MsError::InvalidClient {
        error,
        description,
        error_codes,
    } = &err
    else {
        panic!("expected InvalidClient, got {err:?}");
    };
    assert_eq!(error, "invalid_client");
    assert_eq!(error_codes, &[7000215]);
    assert!(err.has_code(7000215));
    assert!(!err.has_code(700016));
    assert!(description.starts_with("AADSTS7000215: Invalid client secret provided."));
    assert!(!description.contains("Trace ID"));
    assert!(!err.to_string().contains(SECRET));
    assert!(!format!("{err:?}").contains(SECRET));
}

#[tokio::test]
async fn an_unauthorized_client_is_invalid_client() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(token_path()))
        .respond_with(aadsts(
            400,
            "unauthorized_client",
            700016,
            "Application with identifier 'app-id' was not found in the directory 'contoso'.",
        ))
        .mount(&server)
        .await;
    let err = TokenClient::new(&settings(&server))
        .unwrap()
        .client_credentials(TENANT, "app-id", SECRET, GRAPH_SCOPE)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, MsError::InvalidClient { error, .. } if error == "unauthorized_client"),
        "{err:?}"
    );
    // The AADSTS code is data: callers match it without reading the description.
    assert!(err.has_code(700016), "{err:?}");
    assert_eq!(err.error_codes(), &[700016]);
    assert!(!MsError::Timeout.has_code(700016));
}

#[tokio::test]
async fn an_unknown_tenant_is_tenant_not_found() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(token_path()))
        .respond_with(aadsts(
            400,
            "invalid_request",
            90002,
            "Tenant 'contoso.onmicrosoft.com' not found. Check to make sure you have the correct tenant ID.",
        ))
        .mount(&server)
        .await;
    let err = TokenClient::new(&settings(&server))
        .unwrap()
        .client_credentials(TENANT, "app-id", SECRET, GRAPH_SCOPE)
        .await
        .unwrap_err();
    assert_eq!(err, MsError::TenantNotFound);
    // A tenant that would change the path is refused before any request.
    let err = TokenClient::new(&settings(&server))
        .unwrap()
        .client_credentials("../common", "app-id", SECRET, GRAPH_SCOPE)
        .await
        .unwrap_err();
    assert_eq!(err, MsError::TenantNotFound);
    assert_eq!(token_requests(&server).await, 1);
}

#[tokio::test]
async fn a_malformed_token_answer_is_malformed() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(token_path()))
        .respond_with(ResponseTemplate::new(200).set_body_string("{\"access_token\": "))
        .mount(&server)
        .await;
    let err = TokenClient::new(&settings(&server))
        .unwrap()
        .client_credentials(TENANT, "app-id", SECRET, GRAPH_SCOPE)
        .await
        .unwrap_err();
    assert!(matches!(err, MsError::Malformed(_)), "{err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_callers_share_one_token_request() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(token_path()))
        .respond_with(token_ok("tok-1", 3599).set_delay(Duration::from_millis(150)))
        .expect(1)
        .mount(&server)
        .await;
    let cached = Arc::new(CachedToken::new(
        TokenClient::new(&settings(&server)).unwrap(),
        TENANT,
        "app-id",
        SECRET,
        GRAPH_SCOPE,
    ));
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let cached = cached.clone();
        tasks.push(tokio::spawn(async move { cached.get().await }));
    }
    for task in tasks {
        assert_eq!(task.await.unwrap().unwrap(), "tok-1");
    }
    assert_eq!(cached.get().await.unwrap(), "tok-1");
    assert_eq!(token_requests(&server).await, 1);
}

#[tokio::test]
async fn an_expiring_token_is_refreshed() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(token_path()))
        .respond_with(token_ok("first", 1))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    mount_token(&server, "second", 3599).await;
    let cached = CachedToken::new(
        TokenClient::new(&settings(&server)).unwrap(),
        TENANT,
        "app-id",
        SECRET,
        GRAPH_SCOPE,
    );
    assert_eq!(cached.get().await.unwrap(), "first");
    assert_eq!(cached.get().await.unwrap(), "first");
    assert_eq!(token_requests(&server).await, 1);
    // Renewed a quarter of its one-second lifetime before expiry.
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(cached.get().await.unwrap(), "second");
    assert_eq!(cached.get().await.unwrap(), "second");
    assert_eq!(token_requests(&server).await, 2);
}

#[tokio::test]
async fn a_failed_fetch_is_not_cached() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(token_path()))
        .respond_with(aadsts(
            401,
            "invalid_client",
            7000215,
            "Invalid client secret provided.",
        ))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    mount_token(&server, "good", 3599).await;
    let cached = CachedToken::new(
        TokenClient::new(&settings(&server)).unwrap(),
        TENANT,
        "app-id",
        SECRET,
        GRAPH_SCOPE,
    );
    assert!(matches!(
        cached.get().await,
        Err(MsError::InvalidClient { .. })
    ));
    assert_eq!(cached.get().await.unwrap(), "good");
}

#[tokio::test]
async fn throttling_is_retried_after_retry_after() {
    let server = MockServer::start().await;
    mount_token(&server, "tok", 3599).await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users/u1"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("Retry-After", "1")
                .set_body_json(
                    json!({"error": {"code": "TooManyRequests", "message": "Too many requests"}}),
                ),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users/u1"))
        .and(header("authorization", "Bearer tok"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "u1"})))
        .expect(1)
        .mount(&server)
        .await;
    let s = settings(&server);
    let client = graph(&server, &s);
    let started = Instant::now();
    let user = client.get_user("u1", &[]).await.unwrap().unwrap();
    assert_eq!(user["id"], "u1");
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After was not honoured"
    );
}

#[tokio::test]
async fn a_retry_after_beyond_the_budget_fails_at_once() {
    let server = MockServer::start().await;
    mount_token(&server, "tok", 3599).await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users/u1"))
        .respond_with(
            ResponseTemplate::new(503)
                .insert_header("Retry-After", "30")
                .set_body_json(json!({"error": {"code": "serviceNotAvailable", "message": "Service unavailable"}})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let s = settings(&server);
    let started = Instant::now();
    let err = graph(&server, &s).get_user("u1", &[]).await.unwrap_err();
    assert_eq!(
        err,
        MsError::Throttled {
            retry_after: Some(Duration::from_secs(30))
        }
    );
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[tokio::test]
async fn server_errors_are_retried_then_reported() {
    let server = MockServer::start().await;
    mount_token(&server, "tok", 3599).await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users/u1"))
        .respond_with(ResponseTemplate::new(500).set_body_json(
            json!({"error": {"code": "generalException", "message": "General exception while processing."}}),
        ))
        .expect(3)
        .mount(&server)
        .await;
    let s = settings(&server);
    let err = graph(&server, &s).get_user("u1", &[]).await.unwrap_err();
    assert_eq!(err, MsError::Upstream { status: 500 });
}

#[tokio::test]
async fn a_transient_server_error_is_retried_to_success() {
    let server = MockServer::start().await;
    mount_token(&server, "tok", 3599).await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users/u1"))
        .respond_with(ResponseTemplate::new(502))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users/u1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "u1"})))
        .mount(&server)
        .await;
    let s = settings(&server);
    assert!(
        graph(&server, &s)
            .get_user("u1", &[])
            .await
            .unwrap()
            .is_some()
    );
}

#[tokio::test]
async fn a_slow_graph_is_a_timeout_not_a_hang() {
    let server = MockServer::start().await;
    mount_token(&server, "tok", 3599).await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users/u1"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"id": "u1"}))
                .set_delay(Duration::from_secs(5)),
        )
        .mount(&server)
        .await;
    let mut s = settings(&server);
    s.timeout_ms = 200;
    let started = Instant::now();
    let err = graph(&server, &s).get_user("u1", &[]).await.unwrap_err();
    assert_eq!(err, MsError::Timeout);
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn malformed_graph_json_is_malformed() {
    let server = MockServer::start().await;
    mount_token(&server, "tok", 3599).await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users/u1"))
        .respond_with(ResponseTemplate::new(200).set_body_string("<html>not json</html>"))
        .mount(&server)
        .await;
    let s = settings(&server);
    let err = graph(&server, &s).get_user("u1", &[]).await.unwrap_err();
    assert!(matches!(err, MsError::Malformed(_)), "{err:?}");
}

#[tokio::test]
async fn an_unknown_user_is_none_and_select_is_sent() {
    let server = MockServer::start().await;
    mount_token(&server, "tok", 3599).await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users/missing"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({"error": {
            "code": "Request_ResourceNotFound",
            "message": "Resource 'missing' does not exist or one of its queried reference-property objects are not present.",
            "innerError": {"date": "2026-11-23T19:00:00", "request-id": "r", "client-request-id": "c"}
        }})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users/a%20b"))
        .and(query_param("$select", "id,displayName,mail"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users(id,displayName,mail)/$entity",
            "id": "a b", "displayName": "Adele Vance", "mail": "AdeleV@contoso.com"
        })))
        .expect(1)
        .mount(&server)
        .await;
    let s = settings(&server);
    let client = graph(&server, &s);
    assert_eq!(client.get_user("missing", &["id"]).await.unwrap(), None);
    let user = client
        .get_user("a b", &["id", "displayName", "mail"])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(user["displayName"], "Adele Vance");
    assert_eq!(token_requests(&server).await, 1);
}

#[tokio::test]
async fn an_email_with_quotes_and_operators_cannot_inject_odata() {
    let server = MockServer::start().await;
    mount_token(&server, "tok", 3599).await;
    let email = "x' or startswith(mail,'a') or mail eq 'y@contoso.com";
    let escaped = "'x'' or startswith(mail,''a'') or mail eq ''y@contoso.com'";
    Mock::given(method("GET"))
        .and(path("/v1.0/users"))
        .and(query_param(
            "$filter",
            format!("mail eq {escaped} or userPrincipalName eq {escaped}"),
        ))
        .and(query_param("$top", "1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users",
            "value": []
        })))
        .expect(1)
        .mount(&server)
        .await;
    let s = settings(&server);
    assert_eq!(
        graph(&server, &s)
            .find_user_by_email(email, &["id"])
            .await
            .unwrap(),
        None
    );
}

#[tokio::test]
async fn a_user_found_by_email_is_the_first_match() {
    let server = MockServer::start().await;
    mount_token(&server, "tok", 3599).await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users"))
        .and(query_param(
            "$filter",
            "mail eq 'o''neil@contoso.com' or userPrincipalName eq 'o''neil@contoso.com'",
        ))
        .and(query_param("$select", "id,mail"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "value": [{"id": "6e7b768e-07e2-4810-8459-485f84f8f204", "mail": "o'neil@contoso.com"}]
        })))
        .mount(&server)
        .await;
    let s = settings(&server);
    let user = graph(&server, &s)
        .find_user_by_email("o'neil@contoso.com", &["id", "mail"])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(user["id"], "6e7b768e-07e2-4810-8459-485f84f8f204");
}

#[tokio::test]
async fn a_rejected_token_is_refreshed_once() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(token_path()))
        .respond_with(token_ok("revoked", 3599))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    mount_token(&server, "fresh", 3599).await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users/u1"))
        .and(header("authorization", "Bearer revoked"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"error": {
            "code": "InvalidAuthenticationToken", "message": "Access token has expired or is not yet valid."
        }})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users/u1"))
        .and(header("authorization", "Bearer fresh"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "u1"})))
        .mount(&server)
        .await;
    let s = settings(&server);
    assert!(
        graph(&server, &s)
            .get_user("u1", &[])
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(token_requests(&server).await, 2);
}

#[tokio::test]
async fn forbidden_is_upstream_403() {
    let server = MockServer::start().await;
    mount_token(&server, "tok", 3599).await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users/u1"))
        .respond_with(ResponseTemplate::new(403).set_body_json(json!({"error": {
            "code": "Authorization_RequestDenied", "message": "Insufficient privileges to complete the operation."
        }})))
        .expect(1)
        .mount(&server)
        .await;
    let s = settings(&server);
    assert_eq!(
        graph(&server, &s).get_user("u1", &[]).await.unwrap_err(),
        MsError::Upstream { status: 403 }
    );
}

#[tokio::test]
async fn an_unreachable_microsoft_is_a_transport_error() {
    // A port nothing listens on: bind, read the port, drop the listener.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let s = MicrosoftSettings {
        authority: format!("http://127.0.0.1:{port}"),
        graph_base_url: format!("http://127.0.0.1:{port}/v1.0"),
        ..MicrosoftSettings::default()
    };
    let err = TokenClient::new(&s)
        .unwrap()
        .client_credentials(TENANT, "app-id", SECRET, GRAPH_SCOPE)
        .await
        .unwrap_err();
    assert!(matches!(err, MsError::Transport(_)), "{err:?}");
}

#[test]
fn settings_have_microsoft_defaults_and_are_checked() {
    let s: MicrosoftSettings = serde_json::from_value(json!({})).unwrap();
    assert_eq!(s.authority, "https://login.microsoftonline.com");
    assert_eq!(s.graph_base_url, "https://graph.microsoft.com/v1.0");
    assert!(s.check("microsoft").is_ok());
    let bad = MicrosoftSettings {
        graph_base_url: "not a url".into(),
        ..s
    };
    assert_eq!(
        bad.check("b2c").unwrap_err(),
        "b2c.graph_base_url must be an http(s) URL"
    );
}
