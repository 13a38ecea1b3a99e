use idp_management::IdpManagement;
use idp_management::settings::Settings;
use reqwest::{Method, RequestBuilder, Response};
use security::jwt::JwtKeySettings;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use test_support::Spawned;

/// Every log line the service writes during the tests (one subscriber for the test process).
pub use test_support::logs::capture as logs;

pub const ISSUER: &str = "https://iam.test";
pub const AUDIENCE: &str = "idp-management";
pub const HS_KID: &str = "hs-1";
pub const HS_SECRET: &str = "test-secret-of-at-least-thirty-two-bytes!";
pub const RS_KID: &str = "rs-1";
pub const RSA_PRIVATE: &str =
    include_str!("../../../../crates/security/tests/fixtures/rsa_private.pem");
pub const RSA_PUBLIC: &str =
    include_str!("../../../../crates/security/tests/fixtures/rsa_public.pem");
pub const SEAL_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

/// The service spawned for one test (see [`Spawned`]: its address, client, pool, exchange, ...).
pub struct TestApp(Spawned);

impl std::ops::Deref for TestApp {
    type Target = Spawned;
    fn deref(&self) -> &Spawned {
        &self.0
    }
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    pub async fn spawn_with(tweak: impl FnOnce(&mut Settings)) -> Self {
        let _ = logs();
        Self(
            Spawned::start::<IdpManagement>(|settings| {
                test_keys(settings);
                tweak(settings);
            })
            .await,
        )
    }

    /// A contract URL (under `/idp/v1`).
    pub fn url(&self, path: &str) -> String {
        format!("{}/idp/v1{}", self.address, path)
    }

    /// A request carrying `token` (when given).
    pub fn request(&self, method: Method, path: &str, token: Option<&str>) -> RequestBuilder {
        let builder = self.client.request(method, self.url(path));
        match token {
            Some(t) => builder.bearer_auth(t),
            None => builder,
        }
    }

    pub async fn get(&self, path: &str, token: &str) -> Response {
        self.request(Method::GET, path, Some(token))
            .send()
            .await
            .expect("request")
    }

    pub async fn put_json(&self, path: &str, token: &str, body: &Value) -> Response {
        self.request(Method::PUT, path, Some(token))
            .json(body)
            .send()
            .await
            .expect("request")
    }

    pub async fn delete(&self, path: &str, token: &str) -> Response {
        self.request(Method::DELETE, path, Some(token))
            .send()
            .await
            .expect("request")
    }

    /// Registers `application` through the admin extension endpoint.
    pub async fn register(&self, application: &str) {
        let response = self
            .request(
                Method::PUT,
                &format!("/admin/applications/{application}"),
                Some(&admin()),
            )
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 201, "registering {application}");
    }
}

/// The token and sealing keys the tests sign and seal with.
fn test_keys(settings: &mut Settings) {
    settings.jwt.issuer = ISSUER.to_owned();
    settings.jwt.audience = AUDIENCE.to_owned();
    settings.jwt.leeway_secs = 5;
    settings.jwt.keys = vec![
        JwtKeySettings {
            kid: HS_KID.to_owned(),
            alg: "HS256".to_owned(),
            secret: Some(HS_SECRET.to_owned()),
            public_key_pem: None,
        },
        JwtKeySettings {
            kid: RS_KID.to_owned(),
            alg: "RS256".to_owned(),
            secret: None,
            public_key_pem: Some(RSA_PUBLIC.to_owned()),
        },
    ];
    settings.secrets.active_key_id = "k1".to_owned();
    settings.secrets.keys = BTreeMap::from([("k1".to_owned(), SEAL_KEY.to_owned())]);
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Standard claims for `application` with `permissions`, valid for five minutes.
pub fn claims(application: &str, permissions: &[&str]) -> Value {
    json!({
        "iss": ISSUER, "aud": AUDIENCE, "exp": now() + 300, "nbf": now() - 1, "iat": now(),
        "application": application, "actor": format!("actor-of-{application}"), "permissions": permissions,
    })
}

pub fn sign(claims: &Value) -> String {
    security::jwt::mint_hs256(HS_SECRET, HS_KID, claims).expect("token")
}

/// A read/write token of `application`.
pub fn token(application: &str) -> String {
    sign(&claims(application, &["idp:read", "idp:write"]))
}

/// A token with `idp:admin` (of an application of its own).
pub fn admin() -> String {
    sign(&claims("iam-console", &["idp:admin"]))
}

pub fn oidc(key: &str, visibility: &str) -> Value {
    json!({
        "key": key, "subjectPoolKey": "pool-1", "name": format!("IdP {key}"), "description": "an OIDC provider",
        "type": "OIDC", "status": "ENABLED", "visibility": visibility,
        "oidcConfig": {"issuer": "https://login.example.com", "audience": "console",
                       "usernameMapping": {"attribute": "email"}, "nameMapping": {"attribute": "name", "syncOption": "ONCE"}},
        "additionalConfigEntries": [{"type": "button-color", "value": "blue"}],
    })
}

pub fn oauth2(key: &str, visibility: &str, secret: &str) -> Value {
    json!({
        "key": key, "subjectPoolKey": "pool-2", "type": "OAUTH2_AUTH_CODE", "status": "ENABLED",
        "visibility": visibility,
        "oauth2Config": {"clientId": "client-1", "clientSecret": secret,
                         "authorizeUrl": "https://accounts.example.com/auth", "tokenUrl": "https://oauth.example.com/token",
                         "userInfoUrl": "https://oauth.example.com/userinfo", "subjectMapping": {"attribute": "sub"},
                         "clientIdMapping": {"attribute": "aud"}},
    })
}

/// The provider without its key (the single-provider PUT's body).
pub fn without_key(mut v: Value) -> Value {
    v.as_object_mut().unwrap().remove("key");
    v
}

/// Asserts an `ErrorV1` with `status` and `code`, returning its body.
pub async fn assert_error(response: Response, status: u16, code: &str) -> Value {
    assert_eq!(response.status(), status, "status");
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        content_type.starts_with("application/json"),
        "content type {content_type}"
    );
    let body: Value = response.json().await.expect("error body");
    assert_eq!(body["code"], code, "code in {body}");
    assert!(
        body["errorId"].as_str().is_some_and(|s| !s.is_empty()),
        "errorId in {body}"
    );
    assert!(
        body["message"].as_str().is_some_and(|s| !s.is_empty()),
        "message in {body}"
    );
    assert!(body["details"].is_array(), "details in {body}");
    let occurred = body["occurredAt"].as_str().expect("occurredAt");
    chrono::DateTime::parse_from_rfc3339(occurred).expect("occurredAt is RFC 3339");
    body
}

/// The `details[].field` values of an error body.
pub fn fields(body: &Value) -> Vec<String> {
    body["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["field"].as_str().unwrap().to_owned())
        .collect()
}
