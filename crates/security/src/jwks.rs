//! Verification keys an issuer publishes as a JWK Set (RFC 7517), found directly (`jwks_uri`) or through OIDC
//! discovery (`<issuer>/.well-known/openid-configuration` names `jwks_uri`), cached, and refreshed as issuers
//! rotate them. [`crate::jwt::TokenVerifier`] asks this module for the keys its configured ones do not have.
//!
//! The refresh policy, in one place (docs/OPERATIONS.md, "Token keys from a JWKS", says the same to operators):
//! - The background task fetches at start, then when the cache lifetime ends: the response's
//!   `Cache-Control: max-age` (`no-cache` / `no-store`: the minimum), else `jwks_cache_default_secs`, clamped to
//!   `[jwks_cache_min_secs, jwks_cache_max_secs]`.
//! - A token naming an unknown `kid` asks for a refresh. Fetches are single-flight (whoever asks while one is
//!   under way waits for it and uses its answer) and at most one starts per `jwks_min_refresh_interval_secs`,
//!   whoever asks (unknown kids, the timer, the retry after a failure), so a flood of made-up kids costs the
//!   issuer one request per interval at most.
//! - A failed fetch (unreachable, timeout, non-2xx, oversized, bad JSON, no usable key) keeps the last good
//!   keys and is logged with its cause, never with a token. With discovery, the next attempt rediscovers.
//! - Keys taken: signature keys (`use` absent or `sig`; `key_ops`, when present, with `verify`) with a `kid`
//!   and an asymmetric algorithm: the JWK's `alg` when it has one (it must fit `kty`/`crv`), else RSA → RS256,
//!   EC P-256 → ES256, EC P-384 → ES384, OKP Ed25519 → EdDSA. Symmetric (`kty: oct`) keys are refused: a JWKS is
//!   public, so a shared secret in it would be anybody's. A kid listed twice is dropped (which of the two the
//!   issuer signs with cannot be known).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, KeyOperations, PublicKeyUse};
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey};
use reqwest::header::{ACCEPT, CACHE_CONTROL, HeaderMap};
use serde::Deserialize;
use tokio_util::sync::CancellationToken;
use url::Url;

use crate::jwt::{JwtConfigError, JwtError, JwtSettings, KeyStatus, VerifyKey};

/// Largest discovery document or JWKS read; a larger one is a failed fetch (real ones are a few KiB).
const MAX_DOCUMENT: usize = 512 * 1024;

/// Where the JWKS is.
#[derive(Debug, Clone)]
enum Location {
    /// Named in the settings.
    Jwks(Url),
    /// Named by the issuer's discovery document at `document`, which must state `issuer` exactly.
    Discovery { issuer: String, document: Url },
}

/// The checked JWKS settings.
#[derive(Debug, Clone)]
pub(crate) struct JwksConfig {
    location: Location,
    connect_timeout: Duration,
    timeout: Duration,
    min_interval: Duration,
    cache_default: Duration,
    cache_min: Duration,
    cache_max: Duration,
}

impl JwksConfig {
    /// The JWKS part of `settings`, or `None` when neither `jwks_uri` nor `discovery` is set.
    pub(crate) fn from_settings(s: &JwtSettings) -> Result<Option<Self>, JwtConfigError> {
        let fail = |what: String| Err(JwtConfigError::Jwks(what));
        let uri = s.jwks_uri.trim();
        let location = match (uri.is_empty(), s.discovery) {
            (true, false) => return Ok(None),
            (false, true) => {
                return fail(
                    "jwks_uri and discovery exclude each other (discovery finds jwks_uri)".into(),
                );
            }
            (false, false) => Location::Jwks(
                fetchable(uri)
                    .map_err(|why| JwtConfigError::Jwks(format!("jwks_uri {uri:?}: {why}")))?,
            ),
            (true, true) => {
                let document = format!(
                    "{}/.well-known/openid-configuration",
                    s.issuer.trim_end_matches('/')
                );
                let document = fetchable(&document).map_err(|why| {
                    JwtConfigError::Jwks(format!(
                        "discovery needs the issuer to be a URL the service can fetch ({why})"
                    ))
                })?;
                Location::Discovery {
                    issuer: s.issuer.clone(),
                    document,
                }
            }
        };
        if s.jwks_connect_timeout_ms == 0 || s.jwks_timeout_ms == 0 {
            return fail("jwks_connect_timeout_ms and jwks_timeout_ms must be at least 1".into());
        }
        if s.jwks_min_refresh_interval_secs == 0 {
            return fail("jwks_min_refresh_interval_secs must be at least 1".into());
        }
        if !(1 <= s.jwks_cache_min_secs
            && s.jwks_cache_min_secs <= s.jwks_cache_default_secs
            && s.jwks_cache_default_secs <= s.jwks_cache_max_secs)
        {
            return fail(
                "1 <= jwks_cache_min_secs <= jwks_cache_default_secs <= jwks_cache_max_secs must hold"
                    .into(),
            );
        }
        Ok(Some(Self {
            location,
            connect_timeout: Duration::from_millis(s.jwks_connect_timeout_ms),
            timeout: Duration::from_millis(s.jwks_timeout_ms),
            min_interval: Duration::from_secs(s.jwks_min_refresh_interval_secs),
            cache_default: Duration::from_secs(s.jwks_cache_default_secs),
            cache_min: Duration::from_secs(s.jwks_cache_min_secs),
            cache_max: Duration::from_secs(s.jwks_cache_max_secs),
        }))
    }

    /// How long keys from a response with `headers` are used before the next scheduled fetch.
    fn lifetime(&self, headers: &HeaderMap) -> Duration {
        let directives: Vec<String> = headers
            .get_all(CACHE_CONTROL)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(|d| d.trim().to_ascii_lowercase())
            .collect();
        let asked = if directives
            .iter()
            .any(|d| d == "no-cache" || d == "no-store")
        {
            Some(Duration::ZERO)
        } else {
            directives.iter().find_map(|d| {
                let (name, value) = d.split_once('=')?;
                (name.trim() == "max-age")
                    .then(|| value.trim().trim_matches('"').parse().ok())
                    .flatten()
                    .map(Duration::from_secs)
            })
        };
        asked
            .unwrap_or(self.cache_default)
            .clamp(self.cache_min, self.cache_max)
    }
}

/// `https`, or `http` to a loopback host (local issuers, tests): keys fetched in clear over a network could be
/// anybody's.
fn fetchable(raw: &str) -> Result<Url, String> {
    let url = Url::parse(raw).map_err(|e| format!("not an absolute URL ({e})"))?;
    let loopback = match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    match url.scheme() {
        "https" => Ok(url),
        "http" if loopback => Ok(url),
        _ => Err("must be https (http only to a loopback host)".into()),
    }
}

/// Why a fetch failed; logged, never answered to a caller.
#[derive(Debug, thiserror::Error)]
enum FetchError {
    #[error("GET {url}: {cause}")]
    Request { url: Url, cause: String },
    #[error("GET {url}: status {status}")]
    Status { url: Url, status: u16 },
    #[error("GET {url}: the document is larger than {MAX_DOCUMENT} bytes")]
    TooLarge { url: Url },
    #[error("GET {url}: not a {what}: {reason}")]
    Document {
        url: Url,
        what: &'static str,
        reason: String,
    },
    #[error("the discovery document names issuer {found:?}, not the configured one")]
    IssuerMismatch { found: String },
    #[error("the discovery document's jwks_uri {uri:?} {why}")]
    BadJwksUri { uri: String, why: String },
    #[error("GET {url}: no usable signature key in the JWKS")]
    NoUsableKey { url: Url },
}

/// The reqwest error and its causes on one line (its own message omits "connection refused", "timed out").
fn describe(err: &reqwest::Error) -> String {
    let mut text = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The keys in use and the bookkeeping of the refresh policy.
struct Cache {
    keys: Arc<BTreeMap<String, Arc<VerifyKey>>>,
    ever_fetched: bool,
    last_ok: bool,
    /// When the keys' lifetime ends (the next scheduled fetch).
    expires: Option<Instant>,
    /// When the last fetch started, successful or not (the rate bound counts from it).
    last_attempt: Option<Instant>,
    /// Bumped by every finished fetch: a waiter that sees it moved knows a fetch answered it.
    generation: u64,
}

/// A JWKS, fetched and cached. One per verifier; shared across workers.
pub(crate) struct JwksSource {
    config: JwksConfig,
    client: reqwest::Client,
    cache: RwLock<Cache>,
    /// Held for the length of a fetch (the single flight); holds the JWKS URL discovery found, if any.
    flight: tokio::sync::Mutex<Option<Url>>,
}

impl fmt::Debug for JwksSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwksSource")
            .field("location", &self.config.location)
            .field("status", &self.status())
            .finish()
    }
}

impl JwksSource {
    pub(crate) fn new(config: JwksConfig) -> Result<Self, JwtConfigError> {
        let client = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .timeout(config.timeout)
            .user_agent(concat!("identity-suite-jwks/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| JwtConfigError::Client(e.to_string()))?;
        Ok(Self {
            config,
            client,
            cache: RwLock::new(Cache {
                keys: Arc::new(BTreeMap::new()),
                ever_fetched: false,
                last_ok: false,
                expires: None,
                last_attempt: None,
                generation: 0,
            }),
            flight: tokio::sync::Mutex::new(None),
        })
    }

    // A poisoned lock only means a panic elsewhere while it was held; the cache is replaced whole, never torn.
    fn read(&self) -> RwLockReadGuard<'_, Cache> {
        self.cache.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, Cache> {
        self.cache.write().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn status(&self) -> KeyStatus {
        let cache = self.read();
        match (cache.ever_fetched, cache.last_ok) {
            (false, _) => KeyStatus::Unavailable,
            (true, true) => KeyStatus::Fresh,
            (true, false) => KeyStatus::Stale,
        }
    }

    /// The key `kid` names: from the cache, else after a refresh (subject to the rate bound). Unknown after
    /// that: [`JwtError::UnknownKey`] when the JWKS answered, [`JwtError::KeysUnavailable`] when it did not.
    pub(crate) async fn key(&self, kid: &str) -> Result<Arc<VerifyKey>, JwtError> {
        let seen = {
            let cache = self.read();
            if let Some(key) = cache.keys.get(kid) {
                return Ok(Arc::clone(key));
            }
            cache.generation
        };
        self.refresh(seen, "unknown kid").await;
        let cache = self.read();
        match cache.keys.get(kid) {
            Some(key) => Ok(Arc::clone(key)),
            None if cache.last_ok => Err(JwtError::UnknownKey),
            None => Err(JwtError::KeysUnavailable),
        }
    }

    /// Fetches unless a fetch finished since the caller looked (generation `seen`: that one answered it) or
    /// one started less than the minimum interval ago.
    async fn refresh(&self, seen: u64, trigger: &'static str) {
        let mut discovered = self.flight.lock().await;
        {
            let cache = self.read();
            if cache.generation != seen
                || cache
                    .last_attempt
                    .is_some_and(|at| at.elapsed() < self.config.min_interval)
            {
                return;
            }
        }
        let started = Instant::now();
        let outcome = self.fetch(&mut discovered).await;
        let mut cache = self.write();
        cache.generation = cache.generation.wrapping_add(1);
        cache.last_attempt = Some(started);
        match outcome {
            Ok((keys, lifetime)) => {
                tracing::info!(
                    trigger,
                    kids = ?keys.keys().collect::<Vec<_>>(),
                    lifetime_secs = lifetime.as_secs(),
                    "token keys fetched from the JWKS"
                );
                cache.keys = Arc::new(keys);
                cache.ever_fetched = true;
                cache.last_ok = true;
                cache.expires = Some(started + lifetime);
            }
            Err(err) => {
                // Rediscover next time: the JWKS may have moved.
                *discovered = None;
                cache.last_ok = false;
                tracing::warn!(
                    trigger,
                    error = %err,
                    kept = cache.keys.len(),
                    "token keys refresh failed; keeping the last good keys"
                );
            }
        }
    }

    /// The scheduled refreshes: now, then at the end of each lifetime (after a failure, once the minimum
    /// interval has passed), until `stop`.
    pub(crate) async fn run(&self, stop: CancellationToken) {
        loop {
            let (seen, due) = {
                let cache = self.read();
                let due = match (cache.last_attempt, cache.last_ok, cache.expires) {
                    (None, _, _) => Instant::now(),
                    (Some(at), true, Some(expires)) => expires.max(at + self.config.min_interval),
                    (Some(at), _, _) => at + self.config.min_interval,
                };
                (cache.generation, due)
            };
            tokio::select! {
                () = stop.cancelled() => return,
                () = tokio::time::sleep_until(tokio::time::Instant::from_std(due)) => {}
            }
            self.refresh(seen, "schedule").await;
        }
    }

    async fn fetch(
        &self,
        discovered: &mut Option<Url>,
    ) -> Result<(BTreeMap<String, Arc<VerifyKey>>, Duration), FetchError> {
        let url = match (&self.config.location, discovered.as_ref()) {
            (Location::Jwks(url), _) => url.clone(),
            (Location::Discovery { .. }, Some(url)) => url.clone(),
            (Location::Discovery { issuer, document }, None) => {
                let url = self.discover(issuer, document).await?;
                *discovered = Some(url.clone());
                url
            }
        };
        let (headers, body) = self.get(&url).await?;
        let keys = parse_jwks(&body).map_err(|reason| FetchError::Document {
            url: url.clone(),
            what: "JWK Set",
            reason,
        })?;
        if keys.is_empty() {
            return Err(FetchError::NoUsableKey { url });
        }
        Ok((keys, self.config.lifetime(&headers)))
    }

    /// The JWKS URL the issuer's discovery document names (OpenID Connect Discovery 1.0 §4: the document's
    /// `issuer` must be the configured one, or the keys are another issuer's).
    async fn discover(&self, issuer: &str, document: &Url) -> Result<Url, FetchError> {
        #[derive(Deserialize)]
        struct Discovery {
            issuer: String,
            jwks_uri: String,
        }
        let (_, body) = self.get(document).await?;
        let found: Discovery = serde_json::from_slice(&body).map_err(|e| FetchError::Document {
            url: document.clone(),
            what: "discovery document",
            reason: e.to_string(),
        })?;
        if found.issuer != issuer {
            return Err(FetchError::IssuerMismatch {
                found: found.issuer,
            });
        }
        fetchable(&found.jwks_uri).map_err(|why| FetchError::BadJwksUri {
            uri: found.jwks_uri,
            why,
        })
    }

    /// GETs `url` within the time budget, reading at most [`MAX_DOCUMENT`] bytes.
    async fn get(&self, url: &Url) -> Result<(HeaderMap, Vec<u8>), FetchError> {
        let failed = |err: reqwest::Error| FetchError::Request {
            url: url.clone(),
            cause: describe(&err),
        };
        let mut response = self
            .client
            .get(url.clone())
            .header(ACCEPT, "application/json")
            .send()
            .await
            .map_err(failed)?;
        if !response.status().is_success() {
            return Err(FetchError::Status {
                url: url.clone(),
                status: response.status().as_u16(),
            });
        }
        let headers = response.headers().clone();
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(failed)? {
            if body.len() + chunk.len() > MAX_DOCUMENT {
                return Err(FetchError::TooLarge { url: url.clone() });
            }
            body.extend_from_slice(&chunk);
        }
        Ok((headers, body))
    }
}

/// The usable keys of a JWK Set document (see the module doc for which); a key this service cannot or must
/// not use is skipped and logged, so one odd key does not cost the issuer's others. Public only so the fuzz
/// target `jwks` (`fuzz/`) runs the parser the fetch runs; nothing else outside this module calls it.
pub fn parse_jwks(body: &[u8]) -> Result<BTreeMap<String, Arc<VerifyKey>>, String> {
    // Read as a value, not into a struct: serde reads a struct from an array too, so `[[{..jwk..}]]` passed
    // for a JWK Set, which RFC 7517 §5 defines as an object with a `keys` array (found by the `jwks` fuzz target).
    let serde_json::Value::Object(mut set) =
        serde_json::from_slice(body).map_err(|e: serde_json::Error| e.to_string())?
    else {
        return Err("a JWK Set must be a JSON object".to_owned());
    };
    let Some(serde_json::Value::Array(entries)) = set.remove("keys") else {
        return Err("a JWK Set must have a `keys` array".to_owned());
    };
    let mut keys = BTreeMap::new();
    let mut twice = BTreeSet::new();
    for raw in entries {
        let kid = raw.get("kid").and_then(|k| k.as_str()).map(str::to_owned);
        match usable(raw) {
            Ok((kid, key)) => {
                if keys.insert(kid.clone(), Arc::new(key)).is_some() {
                    twice.insert(kid);
                }
            }
            Err(reason) => tracing::info!(kid, reason, "JWKS key ignored"),
        }
    }
    for kid in twice {
        keys.remove(&kid);
        tracing::warn!(kid, "JWKS lists this kid more than once; ignored");
    }
    Ok(keys)
}

/// The key and the one algorithm it verifies, or why it is not used.
fn usable(raw: serde_json::Value) -> Result<(String, VerifyKey), &'static str> {
    let jwk: Jwk = serde_json::from_value(raw).map_err(|_| "not a JWK this service reads")?;
    match &jwk.common.public_key_use {
        None | Some(PublicKeyUse::Signature) => {}
        Some(_) => return Err("not a signature key (use)"),
    }
    if let Some(ops) = &jwk.common.key_operations
        && !ops.contains(&KeyOperations::Verify)
    {
        return Err("not a verification key (key_ops)");
    }
    let kid = jwk
        .common
        .key_id
        .clone()
        .filter(|k| !k.is_empty())
        .ok_or("no kid")?;
    let alg = algorithm(&jwk)?;
    let key = DecodingKey::from_jwk(&jwk).map_err(|_| "unreadable key material")?;
    Ok((kid, VerifyKey { alg, key }))
}

/// The algorithm a JWK verifies: its `alg` if it fits the key type and curve, else the one its type implies.
fn algorithm(jwk: &Jwk) -> Result<Algorithm, &'static str> {
    let (family, implied) = match &jwk.algorithm {
        AlgorithmParameters::RSA(_) => (AlgorithmFamily::Rsa, Algorithm::RS256),
        AlgorithmParameters::EllipticCurve(p) => match p.curve {
            EllipticCurve::P256 => (AlgorithmFamily::Ec, Algorithm::ES256),
            EllipticCurve::P384 => (AlgorithmFamily::Ec, Algorithm::ES384),
            _ => return Err("unsupported elliptic curve"),
        },
        AlgorithmParameters::OctetKeyPair(p) if p.curve == EllipticCurve::Ed25519 => {
            (AlgorithmFamily::Ed, Algorithm::EdDSA)
        }
        AlgorithmParameters::OctetKey(_) => {
            return Err("symmetric (oct) keys are never taken from a JWKS");
        }
        _ => return Err("unsupported key type"),
    };
    let Some(named) = jwk.common.key_algorithm else {
        return Ok(implied);
    };
    let alg = Algorithm::try_from(named).map_err(|_| "alg is not a signature algorithm")?;
    // RSA keys serve RS* and PS*; an EC key's curve fixes its one algorithm.
    let fits = alg.family() == family && (family == AlgorithmFamily::Rsa || alg == implied);
    if fits {
        Ok(alg)
    } else {
        Err("alg does not fit the key type")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn alg_of(v: serde_json::Value) -> Result<Algorithm, &'static str> {
        usable(v).map(|(_, k)| k.alg)
    }

    const N: &str = "sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1WlUzewbgBHod5pcM9H95GQRV3JDXboIRROSBigeC5yjU1hGzHHyXss8UDprecbAYxknTcQkhslANGRUZmdTOQ5qTRsLAt6BTYuyvVRdhS8exSZEy_c4gs_7svlJJQ4H9_NxsiIoLwAEk7-Q3UXERGYw_75IDrGA84-lA_-Ct4eTlXHBIY2EaV7t7LjJaynVJCpkv4LKjTTAumiGUIuQhrNhZLuF_RJLqHpM2kgWFLU7-VTdL1VbC2tejvcI2BlMkEpk1BzBZI0KQB0GaDWFLN-aEAw3vRw";

    #[test]
    fn algorithms_come_from_the_key() {
        assert_eq!(
            alg_of(json!({"kty": "RSA", "kid": "a", "n": N, "e": "AQAB"})),
            Ok(Algorithm::RS256)
        );
        assert_eq!(
            alg_of(json!({"kty": "RSA", "kid": "a", "alg": "PS384", "n": N, "e": "AQAB"})),
            Ok(Algorithm::PS384)
        );
        let ec = |crv: &str, alg: Option<&str>| {
            let mut v = json!({"kty": "EC", "kid": "e", "crv": crv,
                "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"});
            if let Some(alg) = alg {
                v["alg"] = json!(alg);
            }
            alg_of(v)
        };
        assert_eq!(ec("P-256", None), Ok(Algorithm::ES256));
        assert_eq!(ec("P-384", None), Ok(Algorithm::ES384));
        assert_eq!(ec("P-256", Some("ES256")), Ok(Algorithm::ES256));
        assert!(ec("P-256", Some("ES384")).is_err());
        assert!(ec("P-521", None).is_err());
        assert_eq!(
            alg_of(json!({"kty": "OKP", "kid": "d", "crv": "Ed25519",
                "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"})),
            Ok(Algorithm::EdDSA)
        );
    }

    #[test]
    fn keys_that_must_not_be_used_are_ignored() {
        for (why, key) in [
            (
                "oct",
                json!({"kty": "oct", "kid": "h", "k": "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA"}),
            ),
            (
                "HS alg on RSA",
                json!({"kty": "RSA", "kid": "a", "alg": "HS256", "n": N, "e": "AQAB"}),
            ),
            (
                "ES alg on RSA",
                json!({"kty": "RSA", "kid": "a", "alg": "ES256", "n": N, "e": "AQAB"}),
            ),
            (
                "use enc",
                json!({"kty": "RSA", "kid": "a", "use": "enc", "n": N, "e": "AQAB"}),
            ),
            (
                "encryption alg",
                json!({"kty": "RSA", "kid": "a", "alg": "RSA-OAEP", "n": N, "e": "AQAB"}),
            ),
            (
                "key_ops without verify",
                json!({"kty": "RSA", "kid": "a", "key_ops": ["encrypt"], "n": N, "e": "AQAB"}),
            ),
            ("no kid", json!({"kty": "RSA", "n": N, "e": "AQAB"})),
            ("unknown kty", json!({"kty": "XYZ", "kid": "a"})),
        ] {
            assert!(usable(key).is_err(), "{why}");
        }
    }

    #[test]
    fn a_duplicated_kid_is_dropped_and_odd_keys_do_not_spoil_the_set() {
        let set = json!({"keys": [
            {"kty": "RSA", "kid": "a", "n": N, "e": "AQAB"},
            {"kty": "RSA", "kid": "a", "n": N, "e": "AQAB"},
            {"kty": "RSA", "kid": "b", "use": "sig", "n": N, "e": "AQAB"},
            {"kty": "oct", "kid": "c", "k": "AAAA"},
            {"kty": "weird"},
        ]});
        let keys = parse_jwks(&serde_json::to_vec(&set).unwrap()).unwrap();
        assert_eq!(keys.keys().collect::<Vec<_>>(), ["b"]);
        assert!(parse_jwks(b"{\"nope\": 1}").is_err());
    }

    #[test]
    fn a_set_is_an_object_with_a_keys_array() {
        // Regression (fuzz/regressions/jwks): serde read the set's struct from an array, so this passed.
        let array = json!([[{"kty": "RSA", "kid": "a", "n": N, "e": "AQAB"}]]);
        assert!(parse_jwks(&serde_json::to_vec(&array).unwrap()).is_err());
        assert!(parse_jwks(b"[[]]").is_err());
        assert!(parse_jwks(b"{\"keys\": {}}").is_err());
        let set = json!({"keys": [{"kty": "RSA", "kid": "a", "n": N, "e": "AQAB"}]});
        assert_eq!(
            parse_jwks(&serde_json::to_vec(&set).unwrap())
                .unwrap()
                .keys()
                .collect::<Vec<_>>(),
            ["a"]
        );
    }

    fn config() -> JwksConfig {
        let settings = JwtSettings {
            issuer: "https://iam.test".into(),
            audience: "a".into(),
            jwks_uri: "https://iam.test/keys".into(),
            jwks_cache_min_secs: 60,
            jwks_cache_default_secs: 600,
            jwks_cache_max_secs: 3600,
            ..JwtSettings::default()
        };
        JwksConfig::from_settings(&settings).unwrap().unwrap()
    }

    #[test]
    fn cache_lifetime_honours_max_age_within_bounds() {
        let c = config();
        let with = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert(CACHE_CONTROL, v.parse().unwrap());
            c.lifetime(&h).as_secs()
        };
        assert_eq!(c.lifetime(&HeaderMap::new()).as_secs(), 600);
        assert_eq!(with("public, max-age=1200"), 1200);
        assert_eq!(with("max-age=5"), 60);
        assert_eq!(with("max-age=999999"), 3600);
        assert_eq!(with("no-cache"), 60);
        assert_eq!(with("max-age=300, no-store"), 60);
        assert_eq!(with("max-age=soon"), 600);
    }

    #[test]
    fn settings_are_checked() {
        let base = || JwtSettings {
            issuer: "https://iam.test".into(),
            audience: "a".into(),
            ..JwtSettings::default()
        };
        assert!(JwksConfig::from_settings(&base()).unwrap().is_none());
        let bad = |s: JwtSettings| JwksConfig::from_settings(&s).is_err();
        assert!(bad(JwtSettings {
            jwks_uri: "http://iam.example.com/keys".into(),
            ..base()
        }));
        assert!(bad(JwtSettings {
            jwks_uri: "https://iam.test/keys".into(),
            discovery: true,
            ..base()
        }));
        assert!(bad(JwtSettings {
            issuer: "iam".into(),
            discovery: true,
            ..base()
        }));
        assert!(bad(JwtSettings {
            jwks_uri: "https://iam.test/keys".into(),
            jwks_cache_min_secs: 700,
            ..base()
        }));
        assert!(bad(JwtSettings {
            jwks_uri: "https://iam.test/keys".into(),
            jwks_min_refresh_interval_secs: 0,
            ..base()
        }));
        for ok in [
            "http://127.0.0.1:9/keys",
            "http://localhost/keys",
            "http://[::1]/k",
        ] {
            assert!(!bad(JwtSettings {
                jwks_uri: ok.into(),
                ..base()
            }));
        }
        assert!(!bad(JwtSettings {
            discovery: true,
            ..base()
        }));
    }
}
