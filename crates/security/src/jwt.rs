//! Bearer JWT verification against configured keys and, optionally, keys an issuer publishes as a JWKS.
//!
//! The key is chosen by the token's `kid` (a single configured key may be used by a token without `kid` when no
//! JWKS is configured), and the algorithm always comes from the KEY (configured `alg`, or the JWK's `alg` /
//! `kty`+`crv`), never from the token header: a header naming another algorithm (`none`, or HS256 against an RSA
//! key — the classic confusion attack) is refused before any signature check. `exp` is required; `exp`, `nbf`,
//! `iss` and `aud` are checked with the configured leeway.
//!
//! [`JwtVerifier`] knows configured keys only and verifies synchronously (also used for the service's own
//! HS256 tokens); [`TokenVerifier`] is what services put in front of their API: configured keys first, then the
//! JWKS ([`crate::jwks`]), refreshed when a token names a key it does not know.

use std::collections::BTreeMap;
use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use tokio_util::sync::CancellationToken;

/// Shortest HS256 secret accepted, in bytes: RFC 7518 §3.2 asks for a key at least as long as the hash output.
pub const MIN_HS256_SECRET_LEN: usize = 32;

/// Longest token looked at; anything longer is malformed (a guard against oversized headers).
pub const MAX_TOKEN_LEN: usize = 16 * 1024;

/// What the service trusts: who issues its tokens, for which audience, with which keys (configured ones, and
/// those the issuer publishes as a JWKS).
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JwtSettings {
    /// Expected `iss`, compared exactly. With `discovery`, also where the OIDC discovery document is read.
    pub issuer: String,
    /// Expected `aud` (a token's `aud` string or one of its array entries must equal it).
    pub audience: String,
    /// Clock skew tolerated on `exp` and `nbf`, in seconds.
    pub leeway_secs: u64,
    /// Verification keys, selected by `kid`; looked at before the JWKS (a JWKS key cannot replace one).
    #[serde(default)]
    pub keys: Vec<JwtKeySettings>,
    /// Where the issuer publishes its keys (RFC 7517 JWK Set); empty: none (unless `discovery`).
    #[serde(default)]
    pub jwks_uri: String,
    /// Find the JWKS through OIDC discovery: `<issuer>/.well-known/openid-configuration` names `jwks_uri`.
    #[serde(default)]
    pub discovery: bool,
    /// Budget of the TCP (+ TLS) connection to the JWKS or discovery endpoint, in milliseconds.
    #[serde(default = "defaults::connect_timeout_ms")]
    pub jwks_connect_timeout_ms: u64,
    /// Budget of each whole JWKS or discovery request (connection, headers and body), in milliseconds.
    #[serde(default = "defaults::timeout_ms")]
    pub jwks_timeout_ms: u64,
    /// Fewest seconds between two fetches, whatever asks for them: unknown `kid`s or retries after a failure.
    #[serde(default = "defaults::min_refresh_interval_secs")]
    pub jwks_min_refresh_interval_secs: u64,
    /// How long fetched keys are used before a refresh when the response has no `Cache-Control: max-age`.
    #[serde(default = "defaults::cache_default_secs")]
    pub jwks_cache_default_secs: u64,
    /// Shortest cache lifetime, whatever the issuer's `max-age` says (`no-cache` included).
    #[serde(default = "defaults::cache_min_secs")]
    pub jwks_cache_min_secs: u64,
    /// Longest cache lifetime, whatever the issuer's `max-age` says: bounds how long a key the issuer withdrew
    /// is still trusted.
    #[serde(default = "defaults::cache_max_secs")]
    pub jwks_cache_max_secs: u64,
}

/// The JWKS defaults, also written in every service's `config/defaults.toml`.
mod defaults {
    pub(super) fn connect_timeout_ms() -> u64 {
        2_000
    }
    pub(super) fn timeout_ms() -> u64 {
        5_000
    }
    pub(super) fn min_refresh_interval_secs() -> u64 {
        30
    }
    pub(super) fn cache_default_secs() -> u64 {
        600
    }
    pub(super) fn cache_min_secs() -> u64 {
        60
    }
    pub(super) fn cache_max_secs() -> u64 {
        3_600
    }
}

impl Default for JwtSettings {
    /// Nothing trusted yet (empty issuer and audience, no key, no JWKS) with the JWKS tuning defaults: a base
    /// for settings built in code (`JwtSettings { issuer, audience, keys, ..Default::default() }`).
    fn default() -> Self {
        Self {
            issuer: String::new(),
            audience: String::new(),
            leeway_secs: 0,
            keys: Vec::new(),
            jwks_uri: String::new(),
            discovery: false,
            jwks_connect_timeout_ms: defaults::connect_timeout_ms(),
            jwks_timeout_ms: defaults::timeout_ms(),
            jwks_min_refresh_interval_secs: defaults::min_refresh_interval_secs(),
            jwks_cache_default_secs: defaults::cache_default_secs(),
            jwks_cache_min_secs: defaults::cache_min_secs(),
            jwks_cache_max_secs: defaults::cache_max_secs(),
        }
    }
}

impl fmt::Debug for JwtSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtSettings")
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("leeway_secs", &self.leeway_secs)
            .field("keys", &self.keys)
            .field("jwks_uri", &self.jwks_uri)
            .field("discovery", &self.discovery)
            .field("jwks_connect_timeout_ms", &self.jwks_connect_timeout_ms)
            .field("jwks_timeout_ms", &self.jwks_timeout_ms)
            .field(
                "jwks_min_refresh_interval_secs",
                &self.jwks_min_refresh_interval_secs,
            )
            .field("jwks_cache_default_secs", &self.jwks_cache_default_secs)
            .field("jwks_cache_min_secs", &self.jwks_cache_min_secs)
            .field("jwks_cache_max_secs", &self.jwks_cache_max_secs)
            .finish()
    }
}

/// One verification key. `alg` fixes the only algorithm a token signed with this key may use.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JwtKeySettings {
    /// Key id, matched against the token header's `kid`.
    pub kid: String,
    /// `"HS256"` or `"RS256"`.
    pub alg: String,
    /// HS256 shared secret (its UTF-8 bytes are the HMAC key); at least [`MIN_HS256_SECRET_LEN`] bytes.
    pub secret: Option<String>,
    /// RS256 public key, PEM (`-----BEGIN PUBLIC KEY-----` or `-----BEGIN RSA PUBLIC KEY-----`).
    pub public_key_pem: Option<String>,
}

impl fmt::Debug for JwtKeySettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtKeySettings")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .field("secret", &self.secret.as_ref().map(|_| "<redacted>"))
            .field(
                "public_key_pem",
                &self.public_key_pem.as_ref().map(|_| "<pem>"),
            )
            .finish()
    }
}

/// A configuration that cannot verify anything safely; names the key at fault.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum JwtConfigError {
    /// No key configured, and no JWKS either.
    #[error("jwt: at least one key must be configured, or a JWKS (jwks_uri or discovery)")]
    NoKeys,
    /// The issuer or audience is empty.
    #[error("jwt: {0} must not be empty")]
    Empty(&'static str),
    /// Two keys share a kid.
    #[error("jwt: duplicate key id {0:?}")]
    DuplicateKid(String),
    /// An algorithm other than HS256 / RS256.
    #[error("jwt: key {kid:?}: unsupported algorithm {alg:?} (HS256 or RS256)")]
    UnsupportedAlgorithm {
        /// The key at fault.
        kid: String,
        /// The algorithm it names.
        alg: String,
    },
    /// The key material is missing, too short or unreadable.
    #[error("jwt: key {kid:?}: {reason}")]
    BadKey {
        /// The key at fault.
        kid: String,
        /// Why it cannot be used.
        reason: String,
    },
    /// A JWKS setting that cannot work (names the setting).
    #[error("jwt: {0}")]
    Jwks(String),
    /// The HTTP client for the JWKS could not be built.
    #[error("jwt: cannot build the JWKS client: {0}")]
    Client(String),
}

/// Why a token was refused. Each variant maps to one clear authentication failure.
#[derive(Debug, Clone, Copy, thiserror::Error, PartialEq, Eq)]
pub enum JwtError {
    /// Not a JWT: wrong shape, bad base64, bad JSON, missing required claims.
    #[error("token is malformed")]
    Malformed,
    /// The `kid` names no configured key (or no `kid` while several keys are configured).
    #[error("token key is unknown")]
    UnknownKey,
    /// The header's `alg` differs from the algorithm of the key (including `none`).
    #[error("token algorithm is not allowed for its key")]
    AlgorithmNotAllowed,
    /// The signature does not verify.
    #[error("token signature is invalid")]
    BadSignature,
    /// `exp` is in the past (beyond the leeway).
    #[error("token has expired")]
    Expired,
    /// `nbf` is in the future (beyond the leeway).
    #[error("token is not yet valid")]
    NotYetValid,
    /// `iss` is not the configured issuer.
    #[error("token issuer is wrong")]
    WrongIssuer,
    /// `aud` does not contain the configured audience.
    #[error("token audience is wrong")]
    WrongAudience,
    /// The token names a key that may be in the issuer's JWKS, but the JWKS could not be fetched (never, or not
    /// on the refresh this token asked for): the token is not known to be bad, the service cannot tell (503).
    #[error("token keys are unavailable")]
    KeysUnavailable,
}

/// A verification key and the one algorithm it verifies. Public (its fields are not) because
/// [`crate::jwks::parse_jwks`] is, for the fuzz targets (`fuzz/`).
pub struct VerifyKey {
    pub(crate) alg: Algorithm,
    pub(crate) key: DecodingKey,
}

impl VerifyKey {
    /// The one algorithm a token verified with this key may name.
    pub fn algorithm(&self) -> Algorithm {
        self.alg
    }
}

/// The claim checks every token gets, whichever key verified it.
struct Checks {
    issuer: String,
    audience: String,
    leeway: u64,
}

impl Checks {
    fn new(settings: &JwtSettings) -> Result<Self, JwtConfigError> {
        if settings.issuer.is_empty() {
            return Err(JwtConfigError::Empty("issuer"));
        }
        if settings.audience.is_empty() {
            return Err(JwtConfigError::Empty("audience"));
        }
        Ok(Self {
            issuer: settings.issuer.clone(),
            audience: settings.audience.clone(),
            leeway: settings.leeway_secs,
        })
    }

    /// Refuses a header `alg` other than the key's, then checks signature, `exp`/`nbf`/`iss`/`aud`.
    fn decode<C: DeserializeOwned>(
        &self,
        key: &VerifyKey,
        header: &RawHeader,
        token: &str,
    ) -> Result<C, JwtError> {
        if header.alg.parse::<Algorithm>().ok() != Some(key.alg) {
            return Err(JwtError::AlgorithmNotAllowed);
        }
        let mut validation = Validation::new(key.alg);
        validation.leeway = self.leeway;
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        jsonwebtoken::decode::<C>(token, &key.key, &validation)
            .map(|data| data.claims)
            .map_err(|e| match e.kind() {
                ErrorKind::InvalidSignature => JwtError::BadSignature,
                ErrorKind::ExpiredSignature => JwtError::Expired,
                ErrorKind::ImmatureSignature => JwtError::NotYetValid,
                ErrorKind::InvalidIssuer => JwtError::WrongIssuer,
                ErrorKind::InvalidAudience => JwtError::WrongAudience,
                ErrorKind::InvalidAlgorithm | ErrorKind::MissingAlgorithm => {
                    JwtError::AlgorithmNotAllowed
                }
                _ => JwtError::Malformed,
            })
    }
}

/// Verifies tokens with the configured keys. Cheap to share (`Arc`) across workers.
pub struct JwtVerifier {
    keys: BTreeMap<String, VerifyKey>,
    checks: Checks,
}

impl fmt::Debug for JwtVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtVerifier")
            .field("kids", &self.keys.keys().collect::<Vec<_>>())
            .field("issuer", &self.checks.issuer)
            .field("audience", &self.checks.audience)
            .field("leeway", &self.checks.leeway)
            .finish()
    }
}

#[derive(Deserialize)]
struct RawHeader {
    alg: String,
    #[serde(default)]
    kid: Option<String>,
}

/// The configured keys, refusing any that could not be used safely.
fn configured_keys(settings: &JwtSettings) -> Result<BTreeMap<String, VerifyKey>, JwtConfigError> {
    let mut keys = BTreeMap::new();
    for k in &settings.keys {
        let bad = |reason: &str| JwtConfigError::BadKey {
            kid: k.kid.clone(),
            reason: reason.to_owned(),
        };
        let entry = match k.alg.as_str() {
            "HS256" => {
                let secret = k
                    .secret
                    .as_deref()
                    .ok_or_else(|| bad("HS256 needs `secret`"))?;
                if secret.len() < MIN_HS256_SECRET_LEN {
                    return Err(bad("HS256 secret must be at least 32 bytes"));
                }
                VerifyKey {
                    alg: Algorithm::HS256,
                    key: DecodingKey::from_secret(secret.as_bytes()),
                }
            }
            "RS256" => {
                let pem = k
                    .public_key_pem
                    .as_deref()
                    .ok_or_else(|| bad("RS256 needs `public_key_pem`"))?;
                let key = DecodingKey::from_rsa_pem(pem.as_bytes())
                    .map_err(|e| bad(&format!("unreadable RSA public key: {e}")))?;
                VerifyKey {
                    alg: Algorithm::RS256,
                    key,
                }
            }
            other => {
                return Err(JwtConfigError::UnsupportedAlgorithm {
                    kid: k.kid.clone(),
                    alg: other.to_owned(),
                });
            }
        };
        if keys.insert(k.kid.clone(), entry).is_some() {
            return Err(JwtConfigError::DuplicateKid(k.kid.clone()));
        }
    }
    Ok(keys)
}

impl JwtVerifier {
    /// Builds the verifier, refusing any key that could not be used safely. Configured keys only: a JWKS in
    /// `settings` is ignored here (see [`TokenVerifier`]).
    pub fn new(settings: &JwtSettings) -> Result<Self, JwtConfigError> {
        if settings.keys.is_empty() {
            return Err(JwtConfigError::NoKeys);
        }
        let checks = Checks::new(settings)?;
        Ok(Self {
            keys: configured_keys(settings)?,
            checks,
        })
    }

    /// Verifies `token` and returns its claims. Signature first, then `exp`/`nbf`/`iss`/`aud`.
    pub fn verify<C: DeserializeOwned>(&self, token: &str) -> Result<C, JwtError> {
        let header = parse_header(token)?;
        let key = match header.kid.as_deref() {
            Some(kid) => self.keys.get(kid).ok_or(JwtError::UnknownKey)?,
            None if self.keys.len() == 1 => {
                self.keys.values().next().ok_or(JwtError::UnknownKey)?
            }
            None => return Err(JwtError::UnknownKey),
        };
        self.checks.decode(key, &header, token)
    }
}

/// Where a [`TokenVerifier`]'s keys stand, for readiness and operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyStatus {
    /// Configured keys only, no JWKS.
    Configured,
    /// The JWKS was fetched and the last fetch succeeded.
    Fresh,
    /// The last JWKS fetch failed; the last good keys are in use.
    Stale,
    /// The JWKS has never been fetched.
    Unavailable,
}

impl KeyStatus {
    /// The readiness report's word for it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Configured => "configured",
            Self::Fresh => "ok",
            Self::Stale => "stale",
            Self::Unavailable => "unavailable",
        }
    }
}

/// The services' bearer-token verifier: configured keys first, then the issuer's JWKS (when configured),
/// refreshed on an unknown `kid` at a bounded rate and in the background by cache lifetime. Share it in an
/// `Arc`; run [`TokenVerifier::refresh_in_background`] beside the server.
pub struct TokenVerifier {
    configured: BTreeMap<String, VerifyKey>,
    jwks: Option<crate::jwks::JwksSource>,
    checks: Checks,
}

impl fmt::Debug for TokenVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenVerifier")
            .field("configured", &self.configured.keys().collect::<Vec<_>>())
            .field("jwks", &self.jwks)
            .field("issuer", &self.checks.issuer)
            .field("audience", &self.checks.audience)
            .finish()
    }
}

impl TokenVerifier {
    /// Checks `settings` the way [`TokenVerifier::new`] does, without building anything (for settings checks).
    pub fn check(settings: &JwtSettings) -> Result<(), JwtConfigError> {
        Checks::new(settings)?;
        configured_keys(settings)?;
        let jwks = crate::jwks::JwksConfig::from_settings(settings)?;
        if settings.keys.is_empty() && jwks.is_none() {
            return Err(JwtConfigError::NoKeys);
        }
        Ok(())
    }

    /// Builds the verifier. No fetch happens here: the first one is the background task's (or the first
    /// token's), so a service starts while its issuer is unreachable and says so in readiness.
    pub fn new(settings: &JwtSettings) -> Result<Self, JwtConfigError> {
        Self::check(settings)?;
        let jwks = crate::jwks::JwksConfig::from_settings(settings)?
            .map(crate::jwks::JwksSource::new)
            .transpose()?;
        Ok(Self {
            configured: configured_keys(settings)?,
            jwks,
            checks: Checks::new(settings)?,
        })
    }

    /// Verifies `token` and returns its claims. A `kid` found neither among the configured keys nor in the
    /// cached JWKS asks for one refresh (shared with concurrent tokens, at most one per
    /// `jwks_min_refresh_interval_secs`) before it is refused.
    pub async fn verify<C: DeserializeOwned>(&self, token: &str) -> Result<C, JwtError> {
        let header = parse_header(token)?;
        let Some(kid) = header.kid.as_deref() else {
            // Without a kid only an unambiguous key will do: one configured key and no JWKS that may rotate.
            return match (
                self.configured.values().next(),
                self.configured.len(),
                &self.jwks,
            ) {
                (Some(key), 1, None) => self.checks.decode(key, &header, token),
                _ => Err(JwtError::UnknownKey),
            };
        };
        if let Some(key) = self.configured.get(kid) {
            return self.checks.decode(key, &header, token);
        }
        let Some(jwks) = &self.jwks else {
            return Err(JwtError::UnknownKey);
        };
        let key = jwks.key(kid).await?;
        self.checks.decode(&key, &header, token)
    }

    /// Where the keys stand (readiness reports it).
    pub fn status(&self) -> KeyStatus {
        self.jwks
            .as_ref()
            .map_or(KeyStatus::Configured, crate::jwks::JwksSource::status)
    }

    /// Whether tokens can be verified at all: a configured key, or a JWKS fetched at least once.
    pub fn ready(&self) -> bool {
        !self.configured.is_empty() || self.status() != KeyStatus::Unavailable
    }

    /// Fetches the JWKS now, then again whenever the cached keys' lifetime ends (after a failure: once the
    /// minimum refresh interval has passed), until `stop`. Returns at once without a JWKS.
    pub async fn refresh_in_background(self: std::sync::Arc<Self>, stop: CancellationToken) {
        if let Some(jwks) = &self.jwks {
            jwks.run(stop).await;
        }
    }
}

fn parse_header(token: &str) -> Result<RawHeader, JwtError> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(JwtError::Malformed);
    }
    let mut parts = token.split('.');
    let (Some(h), Some(_), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwtError::Malformed);
    };
    let bytes = URL_SAFE_NO_PAD.decode(h).map_err(|_| JwtError::Malformed)?;
    serde_json::from_slice(&bytes).map_err(|_| JwtError::Malformed)
}

/// Why a token could not be minted.
#[derive(Debug, thiserror::Error)]
pub enum MintError {
    /// The secret is shorter than [`MIN_HS256_SECRET_LEN`].
    #[error("HS256 secret must be at least 32 bytes")]
    ShortSecret,
    /// The claims are not a JSON object.
    #[error("claims must be a JSON object")]
    NotAnObject,
    /// Signing failed.
    #[error("signing failed: {0}")]
    Sign(String),
}

/// Signs `claims` with HS256 under `kid`: for local development (`mint-jwt`) and tests, never used by a service.
pub fn mint_hs256(
    secret: &str,
    kid: &str,
    claims: &serde_json::Value,
) -> Result<String, MintError> {
    if secret.len() < MIN_HS256_SECRET_LEN {
        return Err(MintError::ShortSecret);
    }
    if !claims.is_object() {
        return Err(MintError::NotAnObject);
    }
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some(kid.to_owned());
    jsonwebtoken::encode(
        &header,
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .map_err(|e| MintError::Sign(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    const SECRET: &str = "0123456789abcdef0123456789abcdef-hs";
    const RSA_PRIVATE: &str = include_str!("../tests/fixtures/rsa_private.pem");
    const RSA_PUBLIC: &str = include_str!("../tests/fixtures/rsa_public.pem");
    const RSA_OTHER_PRIVATE: &str = include_str!("../tests/fixtures/rsa_other_private.pem");

    fn now() -> i64 {
        i64::try_from(jsonwebtoken::get_current_timestamp()).unwrap()
    }

    fn settings() -> JwtSettings {
        JwtSettings {
            issuer: "https://iam.test".into(),
            audience: "idp-management".into(),
            leeway_secs: 5,
            keys: vec![
                JwtKeySettings {
                    kid: "hs1".into(),
                    alg: "HS256".into(),
                    secret: Some(SECRET.into()),
                    public_key_pem: None,
                },
                JwtKeySettings {
                    kid: "rs1".into(),
                    alg: "RS256".into(),
                    secret: None,
                    public_key_pem: Some(RSA_PUBLIC.into()),
                },
            ],
            ..JwtSettings::default()
        }
    }

    fn claims() -> Value {
        json!({"iss": "https://iam.test", "aud": "idp-management", "exp": now() + 300, "sub": "alice"})
    }

    fn sign_rs(kid: &str, pem: &str, claims: &Value) -> String {
        let mut h = Header::new(Algorithm::RS256);
        h.kid = Some(kid.into());
        jsonwebtoken::encode(
            &h,
            claims,
            &EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap(),
        )
        .unwrap()
    }

    fn verify(token: &str) -> Result<Value, JwtError> {
        JwtVerifier::new(&settings())
            .unwrap()
            .verify::<Value>(token)
    }

    fn b64(v: &Value) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap())
    }

    #[test]
    fn hs256_round_trip() {
        let t = mint_hs256(SECRET, "hs1", &claims()).unwrap();
        assert_eq!(verify(&t).unwrap()["sub"], "alice");
    }

    #[test]
    fn rs256_round_trip() {
        let t = sign_rs("rs1", RSA_PRIVATE, &claims());
        assert_eq!(verify(&t).unwrap()["sub"], "alice");
    }

    #[test]
    fn audience_array_containing_ours_is_accepted() {
        let mut c = claims();
        c["aud"] = json!(["other", "idp-management"]);
        assert!(verify(&mint_hs256(SECRET, "hs1", &c).unwrap()).is_ok());
    }

    #[test]
    fn tampered_payload_is_bad_signature() {
        let t = mint_hs256(SECRET, "hs1", &claims()).unwrap();
        let mut parts: Vec<String> = t.split('.').map(str::to_owned).collect();
        let mut c = claims();
        c["sub"] = json!("mallory");
        parts[1] = b64(&c);
        assert_eq!(verify(&parts.join(".")), Err(JwtError::BadSignature));
    }

    #[test]
    fn wrong_secret_is_bad_signature() {
        let t = mint_hs256("another-secret-of-32-bytes-or-more!!", "hs1", &claims()).unwrap();
        assert_eq!(verify(&t), Err(JwtError::BadSignature));
    }

    #[test]
    fn wrong_rsa_key_is_bad_signature() {
        let t = sign_rs("rs1", RSA_OTHER_PRIVATE, &claims());
        assert_eq!(verify(&t), Err(JwtError::BadSignature));
    }

    #[test]
    fn unknown_kid_and_missing_kid_with_several_keys() {
        let t = mint_hs256(SECRET, "nope", &claims()).unwrap();
        assert_eq!(verify(&t), Err(JwtError::UnknownKey));
        let h = Header::new(Algorithm::HS256);
        let t = jsonwebtoken::encode(&h, &claims(), &EncodingKey::from_secret(SECRET.as_bytes()))
            .unwrap();
        assert_eq!(verify(&t), Err(JwtError::UnknownKey));
    }

    #[test]
    fn single_key_may_be_used_without_kid() {
        let mut s = settings();
        s.keys.truncate(1);
        let v = JwtVerifier::new(&s).unwrap();
        let h = Header::new(Algorithm::HS256);
        let t = jsonwebtoken::encode(&h, &claims(), &EncodingKey::from_secret(SECRET.as_bytes()))
            .unwrap();
        assert!(v.verify::<Value>(&t).is_ok());
    }

    #[test]
    fn expired_and_not_yet_valid() {
        let mut c = claims();
        c["exp"] = json!(now() - 60);
        assert_eq!(
            verify(&mint_hs256(SECRET, "hs1", &c).unwrap()),
            Err(JwtError::Expired)
        );
        let mut c = claims();
        c["exp"] = json!(now() - 2); // within leeway
        assert!(verify(&mint_hs256(SECRET, "hs1", &c).unwrap()).is_ok());
        let mut c = claims();
        c["nbf"] = json!(now() + 60);
        assert_eq!(
            verify(&mint_hs256(SECRET, "hs1", &c).unwrap()),
            Err(JwtError::NotYetValid)
        );
        let mut c = claims();
        c["nbf"] = json!(now() - 1);
        assert!(verify(&mint_hs256(SECRET, "hs1", &c).unwrap()).is_ok());
    }

    #[test]
    fn missing_exp_is_malformed() {
        let mut c = claims();
        c.as_object_mut().unwrap().remove("exp");
        assert_eq!(
            verify(&mint_hs256(SECRET, "hs1", &c).unwrap()),
            Err(JwtError::Malformed)
        );
    }

    #[test]
    fn wrong_issuer_and_audience() {
        let mut c = claims();
        c["iss"] = json!("https://evil.test");
        assert_eq!(
            verify(&mint_hs256(SECRET, "hs1", &c).unwrap()),
            Err(JwtError::WrongIssuer)
        );
        let mut c = claims();
        c["aud"] = json!("someone-else");
        assert_eq!(
            verify(&mint_hs256(SECRET, "hs1", &c).unwrap()),
            Err(JwtError::WrongAudience)
        );
    }

    #[test]
    fn alg_none_is_refused() {
        for kid in ["hs1", "rs1"] {
            let t = format!(
                "{}.{}.",
                b64(&json!({"alg": "none", "kid": kid})),
                b64(&claims())
            );
            assert_eq!(verify(&t), Err(JwtError::AlgorithmNotAllowed), "{kid}");
            let t = format!(
                "{}.{}.",
                b64(&json!({"alg": "None", "kid": kid})),
                b64(&claims())
            );
            assert_eq!(verify(&t), Err(JwtError::AlgorithmNotAllowed), "{kid}");
        }
    }

    #[test]
    fn hs_rs_confusion_is_refused() {
        // The attacker signs HS256 with the RSA public key (which is public) as the HMAC secret.
        let mut h = Header::new(Algorithm::HS256);
        h.kid = Some("rs1".into());
        let t = jsonwebtoken::encode(
            &h,
            &claims(),
            &EncodingKey::from_secret(RSA_PUBLIC.as_bytes()),
        )
        .unwrap();
        assert_eq!(verify(&t), Err(JwtError::AlgorithmNotAllowed));
        // And an RS256-labelled token carrying an HMAC signature does not verify either.
        let hs = jsonwebtoken::encode(
            &h,
            &claims(),
            &EncodingKey::from_secret(RSA_PUBLIC.as_bytes()),
        )
        .unwrap();
        let parts: Vec<&str> = hs.split('.').collect();
        let forged = format!(
            "{}.{}.{}",
            b64(&json!({"alg": "RS256", "kid": "rs1"})),
            parts[1],
            parts[2]
        );
        assert_eq!(verify(&forged), Err(JwtError::BadSignature));
        // An RS256 token presented under the HS key id is refused too.
        let t = sign_rs("hs1", RSA_PRIVATE, &claims());
        assert_eq!(verify(&t), Err(JwtError::AlgorithmNotAllowed));
    }

    #[test]
    fn garbage_is_malformed() {
        for t in [
            "",
            "abc",
            "a.b",
            "a.b.c.d",
            "!!!.e30.x",
            &"a".repeat(MAX_TOKEN_LEN + 1),
        ] {
            assert_eq!(verify(t), Err(JwtError::Malformed), "{t:.20}");
        }
        // Correctly signed, but the payload is not JSON: malformed, not accepted.
        let signing_input = format!(
            "{}.{}",
            b64(&json!({"alg": "HS256", "kid": "hs1"})),
            URL_SAFE_NO_PAD.encode("nope")
        );
        let key = EncodingKey::from_secret(SECRET.as_bytes());
        let sig =
            jsonwebtoken::crypto::sign(signing_input.as_bytes(), &key, Algorithm::HS256).unwrap();
        assert_eq!(
            verify(&format!("{signing_input}.{sig}")),
            Err(JwtError::Malformed)
        );
    }

    #[test]
    fn typed_claims_are_deserialized() {
        #[derive(Deserialize)]
        struct Mine {
            sub: String,
        }
        let t = mint_hs256(SECRET, "hs1", &claims()).unwrap();
        let v = JwtVerifier::new(&settings()).unwrap();
        assert_eq!(v.verify::<Mine>(&t).unwrap().sub, "alice");
    }

    #[test]
    fn bad_configuration_is_refused() {
        let mut s = settings();
        s.keys[0].secret = Some("short".into());
        assert!(matches!(
            JwtVerifier::new(&s),
            Err(JwtConfigError::BadKey { .. })
        ));
        let mut s = settings();
        s.keys[1].public_key_pem = Some("not a pem".into());
        assert!(matches!(
            JwtVerifier::new(&s),
            Err(JwtConfigError::BadKey { .. })
        ));
        let mut s = settings();
        s.keys[0].alg = "none".into();
        assert!(matches!(
            JwtVerifier::new(&s),
            Err(JwtConfigError::UnsupportedAlgorithm { .. })
        ));
        let mut s = settings();
        s.keys[1].kid = "hs1".into();
        assert_eq!(
            JwtVerifier::new(&s).unwrap_err(),
            JwtConfigError::DuplicateKid("hs1".into())
        );
        let mut s = settings();
        s.keys.clear();
        assert_eq!(JwtVerifier::new(&s).unwrap_err(), JwtConfigError::NoKeys);
    }

    #[test]
    fn debug_never_prints_secrets() {
        let s = settings();
        let text = format!("{s:?} {:?}", JwtVerifier::new(&s).unwrap());
        assert!(!text.contains(SECRET));
        assert!(!text.contains("BEGIN PUBLIC KEY"));
    }

    #[test]
    fn mint_refuses_short_secret_and_non_object() {
        assert!(matches!(
            mint_hs256("short", "k", &claims()),
            Err(MintError::ShortSecret)
        ));
        assert!(matches!(
            mint_hs256(SECRET, "k", &json!([1])),
            Err(MintError::NotAnObject)
        ));
    }
}
