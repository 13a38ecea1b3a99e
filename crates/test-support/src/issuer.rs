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

/// The issuer: discovery at `<issuer>/.well-known/openid-configuration` (naming [`FakeIssuer::issuer`]), its
/// JWKS at `/keys`, serving whatever was last [`published`](FakeIssuer::publish).
pub struct FakeIssuer {
    pub server: MockServer,
    published: Arc<Mutex<Vec<Value>>>,
    /// The issuer's path under the server's origin (empty: the origin itself).
    prefix: String,
}

impl FakeIssuer {
    pub async fn start(keys: Vec<Value>) -> Self {
        Self::start_at("", keys).await
    }

    /// An issuer whose identifier has a path, as Microsoft's do (`/<tenant>/v2.0`): `prefix` is that path.
    pub async fn start_at(prefix: &str, keys: Vec<Value>) -> Self {
        let server = MockServer::builder().start().await;
        let published = Arc::new(Mutex::new(keys));
        Mock::given(method("GET"))
            .and(path(format!("{prefix}/.well-known/openid-configuration")))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "issuer": format!("{}{prefix}", server.uri()),
                "jwks_uri": format!("{}/keys", server.uri()),
            })))
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/keys"))
            .respond_with(Serve(Arc::clone(&published)))
            .mount(&server)
            .await;
        Self {
            server,
            published,
            prefix: prefix.to_owned(),
        }
    }

    /// The issuer identifier (`iss`, and the base of discovery).
    pub fn issuer(&self) -> String {
        format!("{}{}", self.server.uri(), self.prefix)
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

/// The public half of [`RSA_A`], PEM: what an attacker has to forge with.
pub const RSA_A_PUBLIC: &str = include_str!("../../security/tests/fixtures/rsa_public.pem");

/// Tokens an attacker can make without any signing key, for the services' edge-case tables.
pub mod forged {
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use jsonwebtoken::{Algorithm, EncodingKey, Header};
    use serde_json::{Value, json};

    fn b64(value: &Value) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap())
    }

    /// `alg: none` (under `kid`, if any), with an empty signature.
    pub fn alg_none(kid: Option<&str>, claims: &Value) -> String {
        let mut header = json!({"alg": "none", "typ": "JWT"});
        if let Some(kid) = kid {
            header["kid"] = json!(kid);
        }
        format!("{}.{}.", b64(&header), b64(claims))
    }

    /// HS256 under `kid` with `secret` (the key-confusion attack passes an RSA public key, which is public).
    pub fn hs256(kid: &str, secret: &[u8], claims: &Value) -> String {
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(kid.to_owned());
        jsonwebtoken::encode(&header, claims, &EncodingKey::from_secret(secret)).unwrap()
    }

    /// `token`'s header and signature around another payload (a tampered token).
    pub fn with_payload(token: &str, claims: &Value) -> String {
        let mut parts = token.split('.');
        let (header, _, signature) = (
            parts.next().unwrap(),
            parts.next().unwrap(),
            parts.next().unwrap(),
        );
        format!("{header}.{}.{signature}", b64(claims))
    }
}
