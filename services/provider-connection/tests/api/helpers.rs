use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use persistence::Pool;
use provider_connection::ProviderConnection;
use provider_connection::auth::Capability;
use provider_connection::settings::Settings;
use reqwest::Response;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::time::Duration;
use test_support::Spawned;
use wiremock::matchers::{body_string_contains, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

pub const JWT_SECRET: &str = "provider-connection-test-jwt-secret-0123456789";
pub const ISSUER: &str = "https://tenantpilot.test";
pub const AUDIENCE: &str = "provider-connection";
pub const WORKSPACE: &str = "ws-contoso";
pub const TENANT: &str = "tenant-a";
pub const OTHER_TENANT: &str = "tenant-b";
pub const ENTRA: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
pub const PLATFORM_APP: &str = "00000000-0000-4000-8000-0000000000aa";
pub const DEDICATED_APP: &str = "11111111-2222-4333-8444-555555555555";
/// Secrets the scan test looks for everywhere they must not be.
pub const PLATFORM_SECRET: &str = "PLATFORM-SECRET-sentinel-5b1d";
pub const DEDICATED_SECRET: &str = "DEDICATED-SECRET-sentinel-9c2e";
pub const ROTATED_SECRET: &str = "ROTATED-SECRET-sentinel-77fa";
pub const REQUIRED_ROLE: &str = "Directory.Read.All";

/// The service spawned against its own database and exchange, with the fake Microsoft it talks to and the
/// settings it was built with (tests build extra workers from them).
pub struct TestApp {
    pub spawned: Spawned,
    pub settings: Settings,
    pub microsoft: MockServer,
}

impl std::ops::Deref for TestApp {
    type Target = Spawned;
    fn deref(&self) -> &Spawned {
        &self.spawned
    }
}

/// The test keys on top of the harness's settings: known JWT, platform, consent and sealing keys, and the fake
/// Microsoft.
pub fn test_settings(settings: &mut Settings, microsoft: &MockServer) {
    settings.auth.issuer = ISSUER.to_owned();
    settings.auth.audience = AUDIENCE.to_owned();
    settings.auth.keys = vec![security::jwt::JwtKeySettings {
        kid: "test".to_owned(),
        alg: "HS256".to_owned(),
        secret: Some(JWT_SECRET.to_owned()),
        public_key_pem: None,
    }];
    settings.platform.client_id = PLATFORM_APP.to_owned();
    settings.platform.client_secret = PLATFORM_SECRET.to_owned();
    settings.consent.state_secret = "consent-state-test-secret-0123456789abcdef".to_owned();
    settings.consent.redirect_uri = "https://pilot.test/admin/consent/callback".to_owned();
    settings.secrets.active_key_id = "k1".to_owned();
    settings.secrets.keys = BTreeMap::from([("k1".to_owned(), STANDARD.encode([7u8; 32]))]);
    settings.microsoft.authority = microsoft.uri();
    settings.microsoft.graph_base_url = format!("{}/v1.0", microsoft.uri());
    settings.microsoft.timeout_ms = 1000;
    settings.microsoft.max_retries = 1;
    settings.microsoft.max_retry_wait_ms = 500;
    settings.verification.poll_interval_ms = 100;
    settings.verification.required_roles = vec![REQUIRED_ROLE.to_owned()];
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    pub async fn spawn_with(tweak: impl FnOnce(&mut Settings)) -> Self {
        test_support::logs::capture();
        let microsoft = MockServer::start().await;
        let mut used = None;
        let spawned = Spawned::start::<ProviderConnection>(|settings| {
            test_settings(settings, &microsoft);
            tweak(settings);
            used = Some(settings.clone());
        })
        .await;
        Self {
            spawned,
            settings: used.expect("the settings were tweaked"),
            microsoft,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}/admin{}", self.address, path)
    }

    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> Response {
        let mut request = self
            .client
            .request(method, self.url(path))
            .bearer_auth(token);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        request.send().await.expect("request")
    }

    pub async fn post(&self, path: &str, token: &str, body: &Value) -> Response {
        self.send(reqwest::Method::POST, path, token, Some(body), &[])
            .await
    }

    pub async fn post_empty(&self, path: &str, token: &str) -> Response {
        self.send(reqwest::Method::POST, path, token, None, &[])
            .await
    }

    pub async fn get(&self, path: &str, token: &str) -> Response {
        self.send(reqwest::Method::GET, path, token, None, &[])
            .await
    }

    /// Creates a platform connection in `TENANT` (default) as a full-capability member.
    pub async fn create_platform(&self, name: &str) -> Value {
        let response = self
            .post(
                &format!("/tenants/{TENANT}/provider-connections"),
                &admin(),
                &platform_body(name),
            )
            .await;
        assert_eq!(response.status(), 201, "creating {name}");
        response.json().await.unwrap()
    }

    /// Creates a dedicated connection in `tenant` with `DEDICATED_SECRET`.
    pub async fn create_dedicated(&self, tenant: &str, source: &str) -> Value {
        let body = dedicated_body("Dedicated", DEDICATED_SECRET, source);
        let response = self
            .post(
                &format!("/tenants/{tenant}/provider-connections"),
                &token_for(&Capability::ALL, &[TENANT, OTHER_TENANT]),
                &body,
            )
            .await;
        assert_eq!(response.status(), 201, "creating dedicated");
        response.json().await.unwrap()
    }

    /// Asks for a consent link and returns its `state`.
    pub async fn consent_state(&self, id: i64) -> String {
        let response = self
            .post_empty(
                &format!("/provider-connections/{id}/admin-consent-link"),
                &admin(),
            )
            .await;
        assert_eq!(response.status(), 200);
        let link: Value = response.json().await.unwrap();
        let url = url::Url::parse(link["url"].as_str().unwrap()).unwrap();
        url.query_pairs()
            .find(|(k, _)| k == "state")
            .map(|(_, v)| v.into_owned())
            .expect("state in link")
    }

    /// The browser's return from Microsoft (no bearer token).
    pub async fn callback(&self, query: &str) -> Response {
        self.client
            .get(format!("{}/admin/consent/callback?{query}", self.address))
            .send()
            .await
            .unwrap()
    }

    /// Grants consent through the real link + callback round trip.
    pub async fn grant_consent(&self, id: i64) {
        let state = self.consent_state(id).await;
        let response = self
            .callback(&format!("admin_consent=True&tenant={ENTRA}&state={state}"))
            .await;
        assert_eq!(response.status(), 200);
    }

    pub async fn connection(&self, id: i64) -> Value {
        let response = self
            .get(&format!("/provider-connections/{id}"), &admin())
            .await;
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }

    /// Polls the run until it is finished.
    pub async fn wait_run(&self, run_id: i64) -> Value {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        loop {
            let run: Value = self
                .get(&format!("/verification-runs/{run_id}"), &admin())
                .await
                .json()
                .await
                .unwrap();
            if !["queued", "running"].contains(&run["status"].as_str().unwrap_or_default()) {
                return run;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "run {run_id} did not finish: {run}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Fakes the token endpoint of `ENTRA`: the given secret gets a token granting `roles`.
    pub async fn fake_token(&self, secret: &str, roles: &[&str]) {
        Mock::given(method("POST"))
            .and(path(format!("/{ENTRA}/oauth2/v2.0/token")))
            .and(body_string_contains("grant_type=client_credentials"))
            .and(body_string_contains(format!("client_secret={secret}")))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "token_type": "Bearer",
                "expires_in": 3599,
                "ext_expires_in": 3599,
                "access_token": fake_access_token(roles),
            })))
            .mount(&self.microsoft)
            .await;
    }

    pub async fn fake_graph_ok(&self) {
        Mock::given(method("GET"))
            .and(path("/v1.0/organization"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "value": [{"id": ENTRA}]
            })))
            .mount(&self.microsoft)
            .await;
    }

    /// Starts a verification and waits for its run to finish.
    pub async fn verify(&self, id: i64) -> Value {
        let response = self
            .post_empty(
                &format!("/provider-connections/{id}/verification"),
                &admin(),
            )
            .await;
        assert_eq!(response.status(), 202);
        let started: Value = response.json().await.unwrap();
        assert_eq!(started["status"], "started", "{started}");
        self.wait_run(started["operation_run_id"].as_i64().unwrap())
            .await
    }
}

/// An access token shaped like Microsoft's (the service reads its `roles` without verifying it).
pub fn fake_access_token(roles: &[&str]) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"typ":"JWT","alg":"RS256"}"#);
    let payload = URL_SAFE_NO_PAD.encode(
        json!({"aud": "https://graph.microsoft.com", "tid": ENTRA, "roles": roles}).to_string(),
    );
    format!("{header}.{payload}.c2lnbmF0dXJl")
}

/// A member token with `capabilities` over `tenants` of `WORKSPACE`.
pub fn token_for(capabilities: &[Capability], tenants: &[&str]) -> String {
    token_with(json!({
        "sub": "member-1",
        "workspace_id": WORKSPACE,
        "tenants": tenants,
        "capabilities": capabilities.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
    }))
}

/// A token with `claims` plus valid `iss`, `aud`, `exp`.
pub fn token_with(mut claims: Value) -> String {
    let exp = chrono::Utc::now().timestamp() + 600;
    claims["iss"] = json!(ISSUER);
    claims["aud"] = json!(AUDIENCE);
    if claims.get("exp").is_none() {
        claims["exp"] = json!(exp);
    }
    security::jwt::mint_hs256(JWT_SECRET, "test", &claims).unwrap()
}

/// Every capability over `TENANT`.
pub fn admin() -> String {
    token_for(&Capability::ALL, &[TENANT])
}

/// Every capability but `missing`, over `TENANT`.
pub fn without(missing: Capability) -> String {
    let rest: Vec<Capability> = Capability::ALL
        .into_iter()
        .filter(|c| *c != missing)
        .collect();
    token_for(&rest, &[TENANT])
}

pub fn platform_body(name: &str) -> Value {
    json!({"provider": "microsoft", "entra_tenant_id": ENTRA, "display_name": name})
}

pub fn dedicated_body(name: &str, secret: &str, source: &str) -> Value {
    json!({
        "provider": "microsoft",
        "entra_tenant_id": ENTRA,
        "display_name": name,
        "connection_type": "dedicated",
        "dedicated_credential": {
            "credential_kind": "client_secret",
            "source": source,
            "client_id": DEDICATED_APP,
            "client_secret": secret,
        }
    })
}

pub use test_support::http::assert_problem;

/// Every audit row of the app's database, oldest first, as JSON.
pub async fn audit_rows(pool: &Pool) -> Vec<Value> {
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    use provider_connection::db::models::AuditRecord;
    use provider_connection::db::schema::audit_records;
    use provider_connection::views::AuditRecordView;
    let mut conn = pool.get().await.unwrap();
    audit_records::table
        .order(audit_records::id)
        .select(AuditRecord::as_select())
        .load(&mut conn)
        .await
        .unwrap()
        .into_iter()
        .map(|r| serde_json::to_value(AuditRecordView::from(r)).unwrap())
        .collect()
}

/// Every outbox envelope of the app's database, in order, each checked against the catalogue.
pub use test_support::outbox::catalogued as outbox_events;
