//! idp-management's configuration validator: the schema walk over the contract's tables, the semantic rules and
//! the provider builder (`input::single`, `input::list`), and the revocation body (`input::revocation`).
//! Structured input (`arbitrary`) puts the contract's names, enumerations and URL shapes in the right places so
//! the fuzzer reaches the rules behind the schema; raw bytes cover everything else.
//!
//! Beyond "no panic": the verdict is deterministic; the single PUT and a one-item list PUT agree on the same
//! provider (same verdict, same details bar the `[0].` prefix, same input built); a list passes exactly when
//! each item passes alone and the keys are unique; the strict URL policy never accepts what the loopback one
//! refuses; an accepted provider's URLs pass the policy and its secret is split off; a refusal never echoes
//! the client secret.
#![no_main]

use arbitrary::Arbitrary;
use idp_management::error::{ApiError, Detail};
use idp_management::ids::ProviderKey;
use idp_management::input::{self, ProviderInput, SecretChange, UrlPolicy};
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value, json};
use std::collections::HashSet;

const KEYS: &[&str] = &["idp-1", "pool", "a.b_c-D", "", "a b", "k/1", "é"];
const TYPES: &[&str] = &[
    "OIDC",
    "OAUTH2_AUTH_CODE",
    "OAUTH2_IMPLICIT",
    "SAML",
    "oidc",
    "",
];
const STATUSES: &[&str] = &["ENABLED", "DISABLED", "enabled"];
const VISIBILITIES: &[&str] = &["APPLICATION", "PUBLIC", "HIDDEN", "PRIVATE"];
const URLS: &[&str] = &[
    "https://issuer.example",
    "https://login.example/oauth2/v2.0/authorize?x=1",
    "http://127.0.0.1:9000/token",
    "http://localhost/userinfo",
    "http://[::1]:8080",
    "http://a.example",
    "https://u:p@a.example",
    "/relative",
    "not a url",
    "ftp://files.example",
    "https://",
    "",
];
const TEXTS: &[&str] = &["sub", "aud", "client", "NEVER", "ONCE", "ALWAYS", "x", " "];
const SYNC: &[&str] = &["NEVER", "ONCE", "ALWAYS", "SOMETIMES"];
const DATES: &[&str] = &[
    "2030-01-01T00:00:00Z",
    "2030-01-01T00:00:00+02:00",
    "2030-13-01T00:00:00Z",
    "yesterday",
    "",
];

/// A field's value: absent, null, one of the field's pool, free text, a long run, or another JSON type.
#[derive(Arbitrary, Debug)]
enum Field {
    Absent,
    Null,
    Pick(u8),
    Text(String),
    Run(char, u16),
    Number(i64),
    Bool(bool),
    List(Vec<String>),
    Object(Vec<(String, String)>),
}

impl Field {
    fn value(&self, pool: &[&str]) -> Option<Value> {
        Some(match self {
            Self::Absent => return None,
            Self::Null => Value::Null,
            Self::Pick(i) => Value::String(
                pool.get(usize::from(*i) % pool.len().max(1))
                    .copied()
                    .unwrap_or("")
                    .to_owned(),
            ),
            Self::Text(text) => Value::String(text.clone()),
            Self::Run(c, n) => {
                Value::String(std::iter::repeat_n(*c, usize::from(*n % 5000)).collect())
            }
            Self::Number(n) => json!(n),
            Self::Bool(b) => json!(b),
            Self::List(items) => json!(items),
            Self::Object(pairs) => Value::Object(
                pairs
                    .iter()
                    .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                    .collect(),
            ),
        })
    }
}

/// An object-valued field: absent, null, the block, or not an object at all.
#[derive(Arbitrary, Debug)]
enum Block<T> {
    Absent,
    Null,
    Given(T),
    Other(Field),
}

impl<T: ToJson> Block<T> {
    fn put(&self, map: &mut Map<String, Value>, name: &str) {
        let value = match self {
            Self::Absent => None,
            Self::Null => Some(Value::Null),
            Self::Given(block) => Some(block.to_json()),
            Self::Other(field) => field.value(TEXTS),
        };
        if let Some(value) = value {
            map.insert(name.to_owned(), value);
        }
    }
}

trait ToJson {
    fn to_json(&self) -> Value;
}

fn put(map: &mut Map<String, Value>, name: &str, field: &Field, pool: &[&str]) {
    if let Some(value) = field.value(pool) {
        map.insert(name.to_owned(), value);
    }
}

#[derive(Arbitrary, Debug)]
struct Attribute {
    attribute: Field,
    sync_option: Option<Field>,
    extra: Option<(String, Field)>,
}

impl ToJson for Attribute {
    fn to_json(&self) -> Value {
        let mut map = Map::new();
        put(&mut map, "attribute", &self.attribute, TEXTS);
        if let Some(sync) = &self.sync_option {
            put(&mut map, "syncOption", sync, SYNC);
        }
        if let Some((name, field)) = &self.extra {
            put(&mut map, name, field, TEXTS);
        }
        Value::Object(map)
    }
}

#[derive(Arbitrary, Debug)]
struct OAuth2 {
    client_id: Field,
    client_secret: Field,
    authorize_url: Field,
    token_url: Field,
    user_info_url: Field,
    client_id_mapping: Block<Attribute>,
    subject_mapping: Block<Attribute>,
    username_mapping: Block<Attribute>,
    name_mapping: Block<Attribute>,
    extra: Option<(String, Field)>,
}

impl ToJson for OAuth2 {
    fn to_json(&self) -> Value {
        let mut map = Map::new();
        put(&mut map, "clientId", &self.client_id, TEXTS);
        put(
            &mut map,
            "clientSecret",
            &self.client_secret,
            &["", "s3cr3t!value#1"],
        );
        put(&mut map, "authorizeUrl", &self.authorize_url, URLS);
        put(&mut map, "tokenUrl", &self.token_url, URLS);
        put(&mut map, "userInfoUrl", &self.user_info_url, URLS);
        self.client_id_mapping.put(&mut map, "clientIdMapping");
        self.subject_mapping.put(&mut map, "subjectMapping");
        self.username_mapping.put(&mut map, "usernameMapping");
        self.name_mapping.put(&mut map, "nameMapping");
        if let Some((name, field)) = &self.extra {
            put(&mut map, name, field, TEXTS);
        }
        Value::Object(map)
    }
}

#[derive(Arbitrary, Debug)]
struct Oidc {
    issuer: Field,
    audience: Field,
    username_mapping: Block<Attribute>,
    name_mapping: Block<Attribute>,
}

impl ToJson for Oidc {
    fn to_json(&self) -> Value {
        let mut map = Map::new();
        put(&mut map, "issuer", &self.issuer, URLS);
        put(&mut map, "audience", &self.audience, TEXTS);
        self.username_mapping.put(&mut map, "usernameMapping");
        self.name_mapping.put(&mut map, "nameMapping");
        Value::Object(map)
    }
}

#[derive(Arbitrary, Debug)]
struct Provider {
    key: Field,
    subject_pool_key: Field,
    name: Field,
    description: Field,
    idp_type: Field,
    status: Field,
    visibility: Field,
    oauth2: Block<OAuth2>,
    oidc: Block<Oidc>,
    entries: Option<Vec<(Field, Field)>>,
    extra: Option<(String, Field)>,
}

impl ToJson for Provider {
    fn to_json(&self) -> Value {
        let mut map = Map::new();
        put(&mut map, "key", &self.key, KEYS);
        put(&mut map, "subjectPoolKey", &self.subject_pool_key, KEYS);
        put(&mut map, "name", &self.name, TEXTS);
        put(&mut map, "description", &self.description, TEXTS);
        put(&mut map, "type", &self.idp_type, TYPES);
        put(&mut map, "status", &self.status, STATUSES);
        put(&mut map, "visibility", &self.visibility, VISIBILITIES);
        self.oauth2.put(&mut map, "oauth2Config");
        self.oidc.put(&mut map, "oidcConfig");
        if let Some(entries) = &self.entries {
            let items = entries
                .iter()
                .map(|(kind, value)| {
                    let mut entry = Map::new();
                    put(&mut entry, "type", kind, TEXTS);
                    put(&mut entry, "value", value, TEXTS);
                    Value::Object(entry)
                })
                .collect();
            map.insert("additionalConfigEntries".to_owned(), Value::Array(items));
        }
        if let Some((name, field)) = &self.extra {
            put(&mut map, name, field, TEXTS);
        }
        Value::Object(map)
    }
}

#[derive(Arbitrary, Debug)]
struct RevocationBody {
    jti: Field,
    expires_at: Field,
    extra: Option<(String, Field)>,
}

#[derive(Arbitrary, Debug)]
enum Input {
    Raw(Vec<u8>),
    One(Provider, bool),
    List(Vec<Provider>, bool),
    Revocation(RevocationBody),
}

fuzz_target!(|input: Input| match input {
    Input::Raw(bytes) => {
        if let Ok(value) = serde_json::from_slice::<Value>(&bytes) {
            one(value.clone(), true);
            revocation(&value);
            if let Value::Array(items) = value {
                list(items, false);
            }
        }
    }
    Input::One(provider, loose) => one(provider.to_json(), loose),
    Input::List(providers, loose) => list(providers.iter().map(ToJson::to_json).collect(), loose),
    Input::Revocation(body) => {
        let mut map = Map::new();
        put(&mut map, "jti", &body.jti, TEXTS);
        put(&mut map, "expiresAt", &body.expires_at, DATES);
        if let Some((name, field)) = &body.extra {
            put(&mut map, name, field, TEXTS);
        }
        revocation(&Value::Object(map));
    }
});

fn policy(loose: bool) -> UrlPolicy {
    UrlPolicy {
        allow_http_loopback: loose,
    }
}

fn details(err: &ApiError) -> &[Detail] {
    match err {
        ApiError::Malformed(d) | ApiError::ConfigMalformed(d) => {
            assert!(!d.is_empty(), "a refusal without details");
            d
        }
        other => panic!("a body refused with {other:?}"),
    }
}

/// The client secret a body carries, when one is distinctive enough that finding it in a detail means it was
/// echoed (it holds a character no message or field name has, and the rest of the body does not hold it).
fn distinctive_secret(value: &Value) -> Option<String> {
    let secret = value
        .pointer("/oauth2Config/clientSecret")?
        .as_str()?
        .to_owned();
    let mut rest = value.clone();
    rest.get_mut("oauth2Config")?
        .as_object_mut()?
        .remove("clientSecret");
    let plain = |c: char| c.is_ascii_alphanumeric() || " ,._-()[]^${}:/'".contains(c);
    (secret.chars().count() >= 4 && !secret.chars().all(plain) && !holds(&rest, &secret))
        .then_some(secret)
}

/// Whether any key or text in `value`, or its JSON, holds `text`.
fn holds(value: &Value, text: &str) -> bool {
    match value {
        Value::String(s) => s.contains(text),
        Value::Array(items) => items.iter().any(|v| holds(v, text)),
        Value::Object(map) => map.iter().any(|(k, v)| k.contains(text) || holds(v, text)),
        other => other.to_string().contains(text),
    }
}

fn never_echoes(err: &ApiError, value: &Value) {
    if let Some(secret) = distinctive_secret(value) {
        for d in details(err) {
            let echoed = d.value.as_deref().unwrap_or("");
            assert!(
                !echoed.contains(&secret)
                    && !d.message.contains(&secret)
                    && !d.field.contains(&secret),
                "the client secret is echoed in {d:?}"
            );
        }
    }
}

fn accepted(input: &ProviderInput, value: &Value, policy: UrlPolicy) {
    let text = |name: &str| value.get(name).and_then(Value::as_str);
    assert_eq!(Some(input.idp_type.as_str()), text("type"));
    assert_eq!(Some(input.status.as_str()), text("status"));
    assert_eq!(Some(input.visibility.as_str()), text("visibility"));
    assert_eq!(
        Some(input.subject_pool_key.as_str()),
        text("subjectPoolKey")
    );
    if let Some(block) = &input.oauth2_config {
        assert!(
            block.get("clientSecret").is_none(),
            "the secret stays in the stored block"
        );
        for url in ["userInfoUrl", "authorizeUrl", "tokenUrl"] {
            if let Some(url) = block
                .get(url)
                .and_then(Value::as_str)
                .filter(|u| !u.is_empty())
            {
                assert_eq!(
                    policy.problem(url),
                    None,
                    "an accepted {url} breaks the policy"
                );
            }
        }
    }
    if let Some(issuer) = input
        .oidc_config
        .as_ref()
        .and_then(|b| b.get("issuer"))
        .and_then(Value::as_str)
    {
        assert_eq!(
            policy.problem(issuer),
            None,
            "an accepted issuer breaks the policy"
        );
    }
    match value.pointer("/oauth2Config/clientSecret") {
        Some(Value::String(s)) if s.is_empty() => {
            assert_eq!(input.client_secret, SecretChange::Remove)
        }
        Some(Value::String(s)) => assert_eq!(input.client_secret, SecretChange::Set(s.clone())),
        _ => assert_eq!(input.client_secret, SecretChange::Keep),
    }
}

fn verdict<T: std::fmt::Debug>(result: &Result<T, ApiError>) -> String {
    format!("{result:?}")
}

/// One provider, through the single PUT (key from the path) and as a one-item list.
fn one(value: Value, loose: bool) {
    let listed = input::list(vec![value.clone()], policy(loose));
    assert_eq!(
        verdict(&listed),
        verdict(&input::list(vec![value.clone()], policy(loose))),
        "not deterministic"
    );
    if loose {
        let strict = input::list(vec![value.clone()], policy(false));
        assert!(
            strict.is_err() || listed.is_ok(),
            "strict accepts what loopback-http refuses"
        );
    }
    match &listed {
        Ok(inputs) => {
            assert_eq!(inputs.len(), 1);
            accepted(&inputs[0], &value, policy(loose));
        }
        Err(err) => never_echoes(err, &value),
    }
    let Some(key) = value
        .get("key")
        .and_then(Value::as_str)
        .and_then(ProviderKey::parse)
    else {
        return;
    };
    let mut without_key = value.clone();
    if let Some(map) = without_key.as_object_mut() {
        map.remove("key");
    }
    let single = input::single(without_key, &key, policy(loose));
    match (&listed, &single) {
        (Ok(l), Ok(s)) => assert_eq!(
            format!("{:?}", l[0]),
            format!("{s:?}"),
            "single and list build differently"
        ),
        (Err(l), Err(s)) => {
            assert_eq!(
                std::mem::discriminant(l),
                std::mem::discriminant(s),
                "single and list classify differently: {l:?} / {s:?}"
            );
            let unprefixed: Vec<Detail> = details(l)
                .iter()
                .map(|d| Detail {
                    field: d.field.strip_prefix("[0].").unwrap_or(&d.field).to_owned(),
                    ..d.clone()
                })
                .collect();
            assert_eq!(unprefixed, details(s), "single and list report differently");
        }
        (l, s) => panic!("single and list disagree: list {l:?}, single {s:?}"),
    }
}

/// A list: it passes exactly when each item passes alone and no key is repeated.
fn list(items: Vec<Value>, loose: bool) {
    let whole = input::list(items.clone(), policy(loose));
    if items.len() > input::MAX_PROVIDERS {
        assert!(whole.is_err());
        return;
    }
    let each = items
        .iter()
        .all(|item| input::list(vec![item.clone()], policy(loose)).is_ok());
    let mut seen = HashSet::new();
    let unique = items
        .iter()
        .filter_map(|item| item.get("key").and_then(Value::as_str))
        .all(|key| seen.insert(key));
    assert_eq!(
        whole.is_ok(),
        each && unique,
        "the list's verdict is not its items' ({whole:?})"
    );
    if let Ok(inputs) = whole {
        assert_eq!(inputs.len(), items.len());
    }
}

fn revocation(value: &Value) {
    let Ok(revocation) = input::revocation(value) else {
        return;
    };
    assert!((1..=256).contains(&revocation.jti.chars().count()));
    assert_eq!(
        Some(revocation.jti.as_str()),
        value.get("jti").and_then(Value::as_str)
    );
    if let Some(at) = revocation.expires_at {
        let again = chrono::DateTime::parse_from_rfc3339(&at.to_rfc3339()).unwrap();
        assert_eq!(again, at, "expiresAt does not survive a round trip");
    }
}
