//! `TokenVerifier` against a real local issuer (wiremock) serving OIDC discovery and a JWKS that rotates.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use security::jwt::{JwtError, JwtKeySettings, JwtSettings, KeyStatus, TokenVerifier};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const KEY_A: &str = include_str!("fixtures/rsa_private.pem");
const KEY_B: &str = include_str!("fixtures/rsa_other_private.pem");
const PUBLIC_A: &str = include_str!("fixtures/rsa_public.pem");
const AUDIENCE: &str = "idp-management";

/// What the fake issuer serves at `/keys`, changed by the test while the verifier runs.
#[derive(Default)]
struct Published {
    keys: Vec<Value>,
    cache_control: Option<String>,
}

struct Serve(Arc<Mutex<Published>>);

impl Respond for Serve {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let published = self.0.lock().unwrap();
        let mut response =
            ResponseTemplate::new(200).set_body_json(json!({"keys": published.keys}));
        if let Some(value) = &published.cache_control {
            response = response.insert_header("cache-control", value.as_str());
        }
        response
    }
}

/// A local issuer: discovery at `/.well-known/openid-configuration`, its JWKS at `/keys`.
struct Issuer {
    server: MockServer,
    published: Arc<Mutex<Published>>,
}

impl Issuer {
    async fn start(keys: Vec<Value>) -> Self {
        // Not pooled: dropping it closes the port (the "issuer down" test).
        let server = MockServer::builder().start().await;
        let published = Arc::new(Mutex::new(Published {
            keys,
            cache_control: None,
        }));
        Mock::given(method("GET"))
            .and(path("/.well-known/openid-configuration"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "issuer": server.uri(),
                "jwks_uri": format!("{}/keys", server.uri()),
                "id_token_signing_alg_values_supported": ["RS256"],
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

    fn issuer(&self) -> String {
        self.server.uri()
    }

    fn publish(&self, keys: Vec<Value>) {
        self.published.lock().unwrap().keys = keys;
    }

    async fn requests(&self, to: &str) -> usize {
        self.server
            .received_requests()
            .await
            .unwrap()
            .iter()
            .filter(|r| r.url.path() == to)
            .count()
    }

    async fn fetches(&self) -> usize {
        self.requests("/keys").await
    }
}

/// The public JWK of `pem` under `kid`, as an issuer publishes it.
fn jwk(kid: &str, pem: &str) -> Value {
    let mut jwk = Jwk::from_encoding_key(
        &EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap(),
        Algorithm::RS256,
    )
    .unwrap();
    jwk.common.key_id = Some(kid.to_owned());
    let mut value = serde_json::to_value(&jwk).unwrap();
    value["use"] = json!("sig");
    value
}

fn now() -> i64 {
    i64::try_from(jsonwebtoken::get_current_timestamp()).unwrap()
}

fn claims(issuer: &str) -> Value {
    json!({"iss": issuer, "aud": AUDIENCE, "exp": now() + 300, "sub": "alice"})
}

fn sign(alg: Algorithm, kid: &str, pem: &str, claims: &Value) -> String {
    let mut header = Header::new(alg);
    header.kid = Some(kid.to_owned());
    jsonwebtoken::encode(
        &header,
        claims,
        &EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap(),
    )
    .unwrap()
}

fn b64(v: &Value) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap())
}

fn settings(issuer: &str) -> JwtSettings {
    JwtSettings {
        issuer: issuer.to_owned(),
        audience: AUDIENCE.to_owned(),
        leeway_secs: 5,
        discovery: true,
        jwks_connect_timeout_ms: 500,
        jwks_timeout_ms: 1000,
        jwks_min_refresh_interval_secs: 1,
        jwks_cache_min_secs: 1,
        jwks_cache_default_secs: 600,
        jwks_cache_max_secs: 3600,
        ..JwtSettings::default()
    }
}

/// The verifier with its background refresh running (stopped when the guard drops).
struct Running {
    verifier: Arc<TokenVerifier>,
    _stop: tokio_util::sync::DropGuard,
}

async fn running(settings: &JwtSettings) -> Running {
    let verifier = Arc::new(TokenVerifier::new(settings).unwrap());
    let stop = CancellationToken::new();
    tokio::spawn(Arc::clone(&verifier).refresh_in_background(stop.clone()));
    let running = Running {
        verifier,
        _stop: stop.drop_guard(),
    };
    // The first scheduled fetch is immediate.
    for _ in 0..100 {
        if running.verifier.status() != KeyStatus::Unavailable {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    running
}

async fn verify(r: &Running, token: &str) -> Result<Value, JwtError> {
    r.verifier.verify::<Value>(token).await
}

/// Waits out the minimum refresh interval, so the next unknown kid may fetch.
async fn past_the_rate_bound() {
    tokio::time::sleep(Duration::from_millis(1100)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotation_is_followed_through_the_unknown_kid() {
    let issuer = Issuer::start(vec![jwk("A", KEY_A)]).await;
    let r = running(&settings(&issuer.issuer())).await;
    assert_eq!(r.verifier.status(), KeyStatus::Fresh);
    let c = claims(&issuer.issuer());
    assert_eq!(
        verify(&r, &sign(Algorithm::RS256, "A", KEY_A, &c))
            .await
            .unwrap()["sub"],
        "alice"
    );

    // The issuer rotates: B published, A withdrawn.
    issuer.publish(vec![jwk("B", KEY_B)]);
    past_the_rate_bound().await;
    assert!(
        verify(&r, &sign(Algorithm::RS256, "B", KEY_B, &c))
            .await
            .is_ok()
    );
    assert_eq!(
        verify(&r, &sign(Algorithm::RS256, "A", KEY_A, &c)).await,
        Err(JwtError::UnknownKey),
        "a key the issuer withdrew is refused once the JWKS was refreshed"
    );
    assert_eq!(
        issuer.requests("/.well-known/openid-configuration").await,
        1,
        "discovery is cached"
    );
    assert_eq!(
        issuer.fetches().await,
        2,
        "the start and the one unknown kid"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_unknown_kids_costs_one_fetch_per_interval() {
    let issuer = Issuer::start(vec![jwk("A", KEY_A)]).await;
    let r = Arc::new(running(&settings(&issuer.issuer())).await);
    let c = claims(&issuer.issuer());
    assert_eq!(issuer.fetches().await, 1);

    // Within the interval of the start's fetch, made-up kids fetch nothing.
    let flood = |kids: Vec<String>| {
        let r = Arc::clone(&r);
        let c = c.clone();
        async move {
            let tasks: Vec<_> = kids
                .into_iter()
                .map(|kid| {
                    let r = Arc::clone(&r);
                    let pem = if kid == "B" { KEY_B } else { KEY_A };
                    let token = sign(Algorithm::RS256, &kid, pem, &c);
                    tokio::spawn(async move { verify(&r, &token).await })
                })
                .collect();
            let mut results = Vec::new();
            for task in tasks {
                results.push(task.await.unwrap());
            }
            results
        }
    };
    let made_up = |n: usize| (0..n).map(|i| format!("nope-{i}")).collect::<Vec<_>>();
    let results = flood(made_up(50)).await;
    assert!(results.iter().all(|r| *r == Err(JwtError::UnknownKey)));
    assert_eq!(issuer.fetches().await, 1);

    // After the interval, a concurrent flood of the rotated-in kid and made-up ones shares one fetch.
    issuer.publish(vec![jwk("A", KEY_A), jwk("B", KEY_B)]);
    past_the_rate_bound().await;
    let mut kids = made_up(40);
    kids.extend((0..40).map(|_| "B".to_owned()));
    let results = flood(kids).await;
    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        40,
        "{results:?}"
    );
    assert_eq!(issuer.fetches().await, 2);
    let results = flood(made_up(50)).await;
    assert!(results.iter().all(|r| *r == Err(JwtError::UnknownKey)));
    assert_eq!(issuer.fetches().await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_and_invalid_tokens_are_refused() {
    // Besides A: an HMAC key and an encryption key, which must never verify anything.
    let secret = "a-shared-secret-someone-put-in-a-public-jwks";
    let mut enc = jwk("ENC", KEY_B);
    enc["use"] = json!("enc");
    let issuer = Issuer::start(vec![
        jwk("A", KEY_A),
        json!({"kty": "oct", "kid": "H", "alg": "HS256", "k": URL_SAFE_NO_PAD.encode(secret)}),
        enc,
    ])
    .await;
    let r = running(&settings(&issuer.issuer())).await;
    let c = claims(&issuer.issuer());

    let none = format!("{}.{}.", b64(&json!({"alg": "none", "kid": "A"})), b64(&c));
    assert_eq!(
        verify(&r, &none).await,
        Err(JwtError::AlgorithmNotAllowed),
        "alg none"
    );

    // Key confusion: HS256 with the RSA public key (public, after all) as the HMAC secret.
    let mut h = Header::new(Algorithm::HS256);
    h.kid = Some("A".into());
    let confused =
        jsonwebtoken::encode(&h, &c, &EncodingKey::from_secret(PUBLIC_A.as_bytes())).unwrap();
    assert_eq!(
        verify(&r, &confused).await,
        Err(JwtError::AlgorithmNotAllowed),
        "HS256 with the RSA key"
    );

    // The JWK says RS256: RS384 or PS256 under its kid is refused, even correctly signed with its key.
    for alg in [Algorithm::RS384, Algorithm::PS256] {
        assert_eq!(
            verify(&r, &sign(alg, "A", KEY_A, &c)).await,
            Err(JwtError::AlgorithmNotAllowed),
            "{alg:?}"
        );
    }

    // The oct key and the enc key were not taken from the JWKS.
    let hs = security::jwt::mint_hs256(secret, "H", &c).unwrap();
    assert_eq!(verify(&r, &hs).await, Err(JwtError::UnknownKey), "oct key");
    assert_eq!(
        verify(&r, &sign(Algorithm::RS256, "ENC", KEY_B, &c)).await,
        Err(JwtError::UnknownKey),
        "use enc"
    );

    // Signed by someone else under A's kid.
    assert_eq!(
        verify(&r, &sign(Algorithm::RS256, "A", KEY_B, &c)).await,
        Err(JwtError::BadSignature)
    );

    let mut expired = c.clone();
    expired["exp"] = json!(now() - 60);
    assert_eq!(
        verify(&r, &sign(Algorithm::RS256, "A", KEY_A, &expired)).await,
        Err(JwtError::Expired)
    );
    let mut wrong = c.clone();
    wrong["iss"] = json!("https://evil.test");
    assert_eq!(
        verify(&r, &sign(Algorithm::RS256, "A", KEY_A, &wrong)).await,
        Err(JwtError::WrongIssuer)
    );
    let mut wrong = c.clone();
    wrong["aud"] = json!("someone-else");
    assert_eq!(
        verify(&r, &sign(Algorithm::RS256, "A", KEY_A, &wrong)).await,
        Err(JwtError::WrongAudience)
    );

    // A kid-less token is refused: with a JWKS no key is unambiguous.
    let t = jsonwebtoken::encode(
        &Header::new(Algorithm::RS256),
        &c,
        &EncodingKey::from_rsa_pem(KEY_A.as_bytes()).unwrap(),
    )
    .unwrap();
    assert_eq!(verify(&r, &t).await, Err(JwtError::UnknownKey));
    assert!(
        verify(&r, &sign(Algorithm::RS256, "A", KEY_A, &c))
            .await
            .is_ok()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_issuer_down_keeps_the_last_good_keys() {
    let _logs = logs();
    let issuer = Issuer::start(vec![jwk("A", KEY_A)]).await;
    let name = issuer.issuer();
    let r = running(&settings(&name)).await;
    let c = claims(&name);
    let token_a = sign(Algorithm::RS256, "A", KEY_A, &c);
    assert!(verify(&r, &token_a).await.is_ok());

    drop(issuer);
    past_the_rate_bound().await;
    // The unknown kid's refresh fails: not known to be bad, so unavailable, not unknown.
    let token_b = sign(Algorithm::RS256, "B", KEY_B, &c);
    assert_eq!(verify(&r, &token_b).await, Err(JwtError::KeysUnavailable));
    assert_eq!(r.verifier.status(), KeyStatus::Stale);
    assert!(r.verifier.ready());
    assert_eq!(
        verify(&r, &token_a).await.unwrap()["sub"],
        "alice",
        "A still verifies"
    );
    let text = String::from_utf8(_logs.lock().unwrap().clone()).unwrap();
    assert!(text.contains("keeping the last good keys"), "{text}");
    assert!(
        !text.contains(&token_b) && !text.contains(&token_a),
        "no token in the log"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_jwks_never_fetched_is_unavailable_not_unauthorized() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let mut s = settings("https://iam.test");
    s.discovery = false;
    s.jwks_uri = format!("http://{closed}/keys");
    let r = running(&s).await;
    let token = sign(Algorithm::RS256, "A", KEY_A, &claims("https://iam.test"));
    assert_eq!(verify(&r, &token).await, Err(JwtError::KeysUnavailable));
    assert_eq!(r.verifier.status(), KeyStatus::Unavailable);
    assert!(!r.verifier.ready(), "nothing can be verified");

    // With a configured key beside it, that key works (configured first) and the service is ready.
    s.keys = vec![JwtKeySettings {
        kid: "local".into(),
        alg: "RS256".into(),
        secret: None,
        public_key_pem: Some(PUBLIC_A.into()),
    }];
    let r = running(&s).await;
    assert!(r.verifier.ready());
    let local = sign(
        Algorithm::RS256,
        "local",
        KEY_A,
        &claims("https://iam.test"),
    );
    assert!(verify(&r, &local).await.is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_age_drives_the_scheduled_refresh() {
    let issuer = Issuer::start(vec![jwk("A", KEY_A)]).await;
    issuer.published.lock().unwrap().cache_control = Some("public, max-age=1".into());
    let r = running(&settings(&issuer.issuer())).await;
    let c = claims(&issuer.issuer());
    let token_a = sign(Algorithm::RS256, "A", KEY_A, &c);
    assert!(verify(&r, &token_a).await.is_ok());

    // Withdrawn A is dropped by the scheduled refresh, without any token asking.
    issuer.publish(vec![jwk("B", KEY_B)]);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert!(issuer.fetches().await >= 2, "refreshed by max-age");
    let before = issuer.fetches().await;
    assert!(
        verify(&r, &sign(Algorithm::RS256, "B", KEY_B, &c))
            .await
            .is_ok()
    );
    assert_eq!(issuer.fetches().await, before, "B was already there");
    assert_eq!(verify(&r, &token_a).await, Err(JwtError::UnknownKey));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_discovery_document_of_another_issuer_is_not_trusted() {
    let issuer = Issuer::start(vec![jwk("A", KEY_A)]).await;
    // Same host, another issuer path: the document there names `issuer.issuer()`, not this one.
    let r = running(&settings(&format!("{}/", issuer.issuer()))).await;
    let token = sign(
        Algorithm::RS256,
        "A",
        KEY_A,
        &claims(&format!("{}/", issuer.issuer())),
    );
    assert_eq!(verify(&r, &token).await, Err(JwtError::KeysUnavailable));
    assert_eq!(issuer.fetches().await, 0);
}

/// The log lines of this test binary (JSON, one subscriber per process).
fn logs() -> Arc<Mutex<Vec<u8>>> {
    static BUFFER: std::sync::OnceLock<Arc<Mutex<Vec<u8>>>> = std::sync::OnceLock::new();
    Arc::clone(BUFFER.get_or_init(|| {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let writer = Arc::clone(&buffer);
        let _ = tracing_subscriber::fmt()
            .json()
            .with_max_level(tracing::Level::DEBUG)
            .with_writer(move || Writer(Arc::clone(&writer)))
            .try_init();
        buffer
    }))
}

struct Writer(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Writer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
