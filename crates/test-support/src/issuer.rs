//! A local token issuer for the services' tests: OIDC discovery and a JWKS the test rotates, over real HTTP
//! (wiremock) like a production issuer, with the JWKS requests counted.

use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// Two RSA key pairs the issuer signs with (the security crate's fixtures).
pub const RSA_A: &str = include_str!("../../security/tests/fixtures/rsa_private.pem");
pub const RSA_B: &str = include_str!("../../security/tests/fixtures/rsa_other_private.pem");

struct Serve(Arc<Mutex<Vec<Value>>>);

impl Respond for Serve {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let keys = self.0.lock().unwrap().clone();
        ResponseTemplate::new(200).set_body_json(json!({ "keys": keys }))
    }
}

/// The issuer: discovery at `/.well-known/openid-configuration` (naming [`FakeIssuer::issuer`]), its JWKS at
/// `/keys`, serving whatever was last [`published`](FakeIssuer::publish).
pub struct FakeIssuer {
    pub server: MockServer,
    published: Arc<Mutex<Vec<Value>>>,
}

impl FakeIssuer {
    pub async fn start(keys: Vec<Value>) -> Self {
        let server = MockServer::builder().start().await;
        let published = Arc::new(Mutex::new(keys));
        Mock::given(method("GET"))
            .and(path("/.well-known/openid-configuration"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "issuer": server.uri(),
                "jwks_uri": format!("{}/keys", server.uri()),
            })))
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/keys"))
            .respond_with(Serve(Arc::clone(&published)))
            .mount(&server)
            .await;
        Self { server, published }
    }

    /// The issuer identifier (`iss`, and the base of discovery).
    pub fn issuer(&self) -> String {
        self.server.uri()
    }

    pub fn jwks_uri(&self) -> String {
        format!("{}/keys", self.server.uri())
    }

    /// Replaces the published keys (a rotation).
    pub fn publish(&self, keys: Vec<Value>) {
        *self.published.lock().unwrap() = keys;
    }

    /// How many times the JWKS was fetched.
    pub async fn fetches(&self) -> usize {
        self.server
            .received_requests()
            .await
            .unwrap_or_default()
            .iter()
            .filter(|r| r.url.path() == "/keys")
            .count()
    }
}

/// The public JWK of the RSA key `private_pem` under `kid`, as an issuer publishes it.
pub fn rsa_jwk(kid: &str, private_pem: &str) -> Value {
    let key = EncodingKey::from_rsa_pem(private_pem.as_bytes()).unwrap();
    let mut jwk = Jwk::from_encoding_key(&key, Algorithm::RS256).unwrap();
    jwk.common.key_id = Some(kid.to_owned());
    let mut value = serde_json::to_value(&jwk).unwrap();
    value["use"] = json!("sig");
    value
}

/// `claims` signed RS256 with `private_pem` under `kid`.
pub fn sign_rs256(kid: &str, private_pem: &str, claims: &Value) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(kid.to_owned());
    let key = EncodingKey::from_rsa_pem(private_pem.as_bytes()).unwrap();
    jsonwebtoken::encode(&header, claims, &key).unwrap()
}
