//! Request bodies, validated to the letter of the contract's `...InV1` schemas, every violation reported at once.
//!
//! Bodies are read as `serde_json::Value` and walked against a static copy of the schemas (types, required
//! fields, `minLength`/`maxLength` in characters, `pattern`, `enum`, `maxItems`, no unknown fields), so each
//! violation names its field path (`oauth2Config.userInfoUrl`, `[2].key` in a list), the value (never a client
//! secret) and what is wrong. Rules the schema cannot express — which config block the type requires, URLs that
//! must be absolute — come next; when they are the only problems the answer is
//! `AUTHENTICATION_IDP_CONFIG_MALFORMED`, otherwise `INPUT_MALFORMED` with all details.

use crate::error::{ApiError, Detail};
use serde_json::{Map, Value};
use std::collections::HashSet;

/// How much of an offending value a detail echoes.
const MAX_ECHO: usize = 256;

struct Str {
    min: usize,
    max: Option<usize>,
    /// `^[a-zA-Z0-9-_.]{1,64}$`
    key_pattern: bool,
    one_of: &'static [&'static str],
    secret: bool,
}

const fn text(min: usize, max: usize) -> Str {
    Str {
        min,
        max: Some(max),
        key_pattern: false,
        one_of: &[],
        secret: false,
    }
}

const KEY: Str = Str {
    min: 1,
    max: Some(64),
    key_pattern: true,
    one_of: &[],
    secret: false,
};

const fn one_of(values: &'static [&'static str]) -> Str {
    Str {
        min: 0,
        max: None,
        key_pattern: false,
        one_of: values,
        secret: false,
    }
}

enum Kind {
    Str(Str),
    Obj(&'static [Field]),
    Arr { max: usize, item: &'static [Field] },
}

struct Field {
    name: &'static str,
    required: bool,
    kind: Kind,
}

const fn req(name: &'static str, kind: Kind) -> Field {
    Field {
        name,
        required: true,
        kind,
    }
}

const fn opt(name: &'static str, kind: Kind) -> Field {
    Field {
        name,
        required: false,
        kind,
    }
}

/// The contract's `type` enum.
pub const TYPES: &[&str] = &["OAUTH2_IMPLICIT", "OAUTH2_AUTH_CODE", "OIDC"];
/// The contract's `status` enum.
pub const STATUSES: &[&str] = &["ENABLED", "DISABLED"];
/// The contract's `visibility` enum.
pub const VISIBILITIES: &[&str] = &["APPLICATION", "PUBLIC", "HIDDEN"];
const SYNC_OPTIONS: &[&str] = &["NEVER", "ONCE", "ALWAYS"];

const ATTRIBUTE: &[Field] = &[req("attribute", Kind::Str(text(1, 256)))];
const NAME_MAPPING: &[Field] = &[
    req("attribute", Kind::Str(text(1, 256))),
    req("syncOption", Kind::Str(one_of(SYNC_OPTIONS))),
];
const CONFIG_ENTRY: &[Field] = &[
    req("type", Kind::Str(text(1, 256))),
    req("value", Kind::Str(text(1, 256))),
];
const OAUTH2: &[Field] = &[
    opt("clientId", Kind::Str(text(0, 256))),
    opt(
        "clientSecret",
        Kind::Str(Str {
            min: 0,
            max: Some(256),
            key_pattern: false,
            one_of: &[],
            secret: true,
        }),
    ),
    opt("authorizeUrl", Kind::Str(text(0, 256))),
    opt("tokenUrl", Kind::Str(text(0, 256))),
    req("userInfoUrl", Kind::Str(text(1, 256))),
    opt("clientIdMapping", Kind::Obj(ATTRIBUTE)),
    req("subjectMapping", Kind::Obj(ATTRIBUTE)),
    opt("usernameMapping", Kind::Obj(ATTRIBUTE)),
    opt("nameMapping", Kind::Obj(NAME_MAPPING)),
];
const OIDC: &[Field] = &[
    req("issuer", Kind::Str(text(1, 256))),
    req("audience", Kind::Str(text(1, 256))),
    opt("usernameMapping", Kind::Obj(ATTRIBUTE)),
    opt("nameMapping", Kind::Obj(NAME_MAPPING)),
];

/// `ApplicationIdentityProviderInV1` (with `key`); the `...WithoutKeyV1` variant skips the first field.
const PROVIDER_IN: &[Field] = &[
    req("key", Kind::Str(KEY)),
    req("subjectPoolKey", Kind::Str(KEY)),
    opt("name", Kind::Str(text(0, 64))),
    opt("description", Kind::Str(text(0, 4096))),
    req("type", Kind::Str(one_of(TYPES))),
    req("status", Kind::Str(one_of(STATUSES))),
    opt("oauth2Config", Kind::Obj(OAUTH2)),
    opt("oidcConfig", Kind::Obj(OIDC)),
    req("visibility", Kind::Str(one_of(VISIBILITIES))),
    opt(
        "additionalConfigEntries",
        Kind::Arr {
            max: 20,
            item: CONFIG_ENTRY,
        },
    ),
];

/// The contract's key pattern `^[a-zA-Z0-9-_.]{1,64}$` (application expressions and provider keys).
pub fn is_key(value: &str) -> bool {
    (1..=64).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
}

fn echo(value: &Value) -> Option<String> {
    let text = match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    Some(if text.chars().count() > MAX_ECHO {
        let cut: String = text.chars().take(MAX_ECHO).collect();
        format!("{cut}...")
    } else {
        text
    })
}

fn join(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_owned()
    } else {
        format!("{path}.{name}")
    }
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn check_object(value: &Value, fields: &[Field], path: &str, out: &mut Vec<Detail>) {
    let Value::Object(map) = value else {
        let field = if path.is_empty() { "body" } else { path };
        out.push(Detail::new(
            field,
            echo(value),
            format!("must be an object, not {}", type_name(value)),
        ));
        return;
    };
    for name in map.keys() {
        if !fields.iter().any(|f| f.name == name) {
            out.push(Detail::new(join(path, name), None, "is not a known field"));
        }
    }
    for field in fields {
        let at = join(path, field.name);
        match map.get(field.name) {
            None | Some(Value::Null) => {
                if field.required {
                    out.push(Detail::new(at, None, "is required"));
                }
            }
            Some(v) => check_kind(v, &field.kind, &at, out),
        }
    }
}

fn check_kind(value: &Value, kind: &Kind, at: &str, out: &mut Vec<Detail>) {
    match kind {
        Kind::Obj(fields) => check_object(value, fields, at, out),
        Kind::Arr { max, item } => {
            let Value::Array(items) = value else {
                out.push(Detail::new(
                    at,
                    echo(value),
                    format!("must be an array, not {}", type_name(value)),
                ));
                return;
            };
            if items.len() > *max {
                out.push(Detail::new(
                    at,
                    Some(items.len().to_string()),
                    format!("must have at most {max} items"),
                ));
            }
            for (i, v) in items.iter().enumerate() {
                check_object(v, item, &format!("{at}[{i}]"), out);
            }
        }
        Kind::Str(rule) => {
            let shown = |v: &Value| if rule.secret { None } else { echo(v) };
            let Value::String(s) = value else {
                out.push(Detail::new(
                    at,
                    shown(value),
                    format!("must be a string, not {}", type_name(value)),
                ));
                return;
            };
            let len = s.chars().count();
            if len < rule.min {
                out.push(Detail::new(
                    at,
                    shown(value),
                    format!("must be at least {} characters", rule.min),
                ));
            } else if let Some(max) = rule.max.filter(|m| len > *m) {
                out.push(Detail::new(
                    at,
                    shown(value),
                    format!("must be at most {max} characters (got {len})"),
                ));
            } else if rule.key_pattern && !is_key(s) {
                out.push(Detail::new(
                    at,
                    shown(value),
                    "must match ^[a-zA-Z0-9-_.]{1,64}$",
                ));
            }
            if !rule.one_of.is_empty() && !rule.one_of.contains(&s.as_str()) {
                out.push(Detail::new(
                    at,
                    shown(value),
                    format!("must be one of {}", rule.one_of.join(", ")),
                ));
            }
        }
    }
}

/// How strict URL checks are.
#[derive(Debug, Clone, Copy, Default)]
pub struct UrlPolicy {
    /// Accept `http://` for loopback hosts (127.0.0.0/8, ::1, localhost) — local development only.
    pub allow_http_loopback: bool,
}

impl UrlPolicy {
    /// `None` when `raw` is an absolute https URL (or loopback http when allowed), else why not.
    pub fn problem(&self, raw: &str) -> Option<&'static str> {
        let Ok(url) = url::Url::parse(raw) else {
            return Some("must be an absolute URL");
        };
        let Some(host) = url.host() else {
            return Some("must be an absolute URL with a host");
        };
        let loopback = match host {
            url::Host::Domain(d) => d.eq_ignore_ascii_case("localhost"),
            url::Host::Ipv4(ip) => ip.is_loopback(),
            url::Host::Ipv6(ip) => ip.is_loopback(),
        };
        if !url.username().is_empty() || url.password().is_some() {
            return Some("must not carry credentials");
        }
        match url.scheme() {
            "https" => None,
            "http" if loopback && self.allow_http_loopback => None,
            "http" if loopback => {
                Some("must use https (http is allowed for loopback only when configured)")
            }
            _ => Some("must use https"),
        }
    }
}

/// Rules that make a well-formed configuration workable; each problem is one detail.
fn check_semantics(map: &Map<String, Value>, path: &str, policy: UrlPolicy, out: &mut Vec<Detail>) {
    let Some(idp_type) = map.get("type").and_then(Value::as_str) else {
        return;
    };
    let present = |name: &str| map.get(name).is_some_and(|v| !v.is_null());
    let (needed, forbidden) = if idp_type == "OIDC" {
        ("oidcConfig", "oauth2Config")
    } else {
        ("oauth2Config", "oidcConfig")
    };
    if !present(needed) {
        out.push(Detail::new(
            join(path, needed),
            None,
            format!("is required when type is {idp_type}"),
        ));
    }
    if present(forbidden) {
        out.push(Detail::new(
            join(path, forbidden),
            None,
            format!("must not be given when type is {idp_type}"),
        ));
    }
    let mut url_check = |block: &str, name: &str, required: bool| {
        let at = join(path, &format!("{block}.{name}"));
        match map.get(block).and_then(|b| b.get(name)) {
            Some(Value::String(s)) if !s.is_empty() => {
                if let Some(problem) = policy.problem(s) {
                    out.push(Detail::new(at, echo(&Value::String(s.clone())), problem));
                }
            }
            _ if required => out.push(Detail::new(
                at,
                None,
                format!("is required when type is {idp_type}"),
            )),
            _ => {}
        }
    };
    match idp_type {
        "OIDC" if present("oidcConfig") => url_check("oidcConfig", "issuer", false),
        "OAUTH2_AUTH_CODE" | "OAUTH2_IMPLICIT" if present("oauth2Config") => {
            url_check("oauth2Config", "userInfoUrl", false);
            url_check("oauth2Config", "authorizeUrl", true);
            url_check("oauth2Config", "tokenUrl", idp_type == "OAUTH2_AUTH_CODE");
            let client_id = map.get("oauth2Config").and_then(|b| b.get("clientId"));
            if client_id.and_then(Value::as_str).is_none_or(str::is_empty) {
                out.push(Detail::new(
                    join(path, "oauth2Config.clientId"),
                    None,
                    format!("is required when type is {idp_type}"),
                ));
            }
        }
        _ => {}
    }
}

/// A validated provider configuration, ready to store (its `Debug` never shows the secret).
#[derive(Debug, Clone)]
pub struct ProviderInput {
    pub key: String,
    pub subject_pool_key: String,
    pub name: Option<String>,
    pub description: Option<String>,
    pub idp_type: String,
    pub status: String,
    pub visibility: String,
    /// The OAuth2 block without `clientSecret`.
    pub oauth2_config: Option<Value>,
    pub oidc_config: Option<Value>,
    pub additional_config_entries: Value,
    /// What to do with the stored client secret.
    pub client_secret: SecretChange,
}

/// `clientSecret` is write-only: absent keeps the stored one, `""` removes it, any other value replaces it.
#[derive(Clone, PartialEq, Eq)]
pub enum SecretChange {
    Keep,
    Remove,
    Set(String),
}

impl std::fmt::Debug for SecretChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Keep => "Keep",
            Self::Remove => "Remove",
            Self::Set(_) => "Set(<redacted>)",
        })
    }
}

fn string(map: &Map<String, Value>, name: &str) -> Option<String> {
    map.get(name).and_then(Value::as_str).map(str::to_owned)
}

fn non_null(map: &Map<String, Value>, name: &str) -> Option<Value> {
    map.get(name).filter(|v| !v.is_null()).cloned()
}

/// Strips nulls from an object (an explicit null is the same as an omitted optional field).
fn without_nulls(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, without_nulls(v)))
                .collect(),
        ),
        other => other,
    }
}

/// Builds the input from an object already known to be valid.
fn build(mut map: Map<String, Value>, key: Option<&str>) -> ProviderInput {
    let mut client_secret = SecretChange::Keep;
    let oauth2_config = non_null(&map, "oauth2Config").map(|block| {
        let mut block = without_nulls(block);
        if let Some(Value::String(secret)) =
            block.as_object_mut().and_then(|o| o.remove("clientSecret"))
        {
            client_secret = if secret.is_empty() {
                SecretChange::Remove
            } else {
                SecretChange::Set(secret)
            };
        }
        block
    });
    ProviderInput {
        key: key
            .map(str::to_owned)
            .or_else(|| string(&map, "key"))
            .unwrap_or_default(),
        subject_pool_key: string(&map, "subjectPoolKey").unwrap_or_default(),
        name: string(&map, "name"),
        description: string(&map, "description"),
        idp_type: string(&map, "type").unwrap_or_default(),
        status: string(&map, "status").unwrap_or_default(),
        visibility: string(&map, "visibility").unwrap_or_default(),
        oauth2_config,
        oidc_config: non_null(&map, "oidcConfig").map(without_nulls),
        additional_config_entries: map
            .remove("additionalConfigEntries")
            .filter(|v| !v.is_null())
            .unwrap_or(Value::Array(Vec::new())),
        client_secret,
    }
}

fn verdict(schema: Vec<Detail>, semantic: Vec<Detail>) -> Result<(), ApiError> {
    if !schema.is_empty() {
        let mut all = schema;
        all.extend(semantic);
        return Err(ApiError::Malformed(all));
    }
    if !semantic.is_empty() {
        return Err(ApiError::ConfigMalformed(semantic));
    }
    Ok(())
}

/// Validates one `ApplicationIdentityProviderInWithoutKeyV1` (the key comes from the path).
pub fn single(value: Value, key: &str, policy: UrlPolicy) -> Result<ProviderInput, ApiError> {
    let (mut schema, mut semantic) = (Vec::new(), Vec::new());
    check_object(&value, &PROVIDER_IN[1..], "", &mut schema);
    if let Value::Object(map) = &value {
        check_semantics(map, "", policy, &mut semantic);
    }
    verdict(schema, semantic)?;
    match value {
        Value::Object(map) => Ok(build(map, Some(key))),
        _ => Err(ApiError::malformed("body", None, "must be an object")),
    }
}

/// Most providers one list PUT may carry (extension: the contract sets no bound; this keeps one write's
/// statement within PostgreSQL's bind-parameter limit and its transaction short).
pub const MAX_PROVIDERS: usize = 1000;

/// Validates a list of `ApplicationIdentityProviderInV1`; keys must be unique within the list.
pub fn list(items: Vec<Value>, policy: UrlPolicy) -> Result<Vec<ProviderInput>, ApiError> {
    if items.len() > MAX_PROVIDERS {
        return Err(ApiError::malformed(
            "body",
            Some(items.len().to_string()),
            format!("must list at most {MAX_PROVIDERS} identity providers"),
        ));
    }
    let (mut schema, mut semantic) = (Vec::new(), Vec::new());
    let mut seen = HashSet::new();
    for (i, item) in items.iter().enumerate() {
        let path = format!("[{i}]");
        check_object(item, PROVIDER_IN, &path, &mut schema);
        if let Value::Object(map) = item {
            check_semantics(map, &path, policy, &mut semantic);
            if let Some(key) = map.get("key").and_then(Value::as_str)
                && !seen.insert(key.to_owned())
            {
                schema.push(Detail::new(
                    format!("{path}.key"),
                    Some(key.to_owned()),
                    "is given more than once in this list",
                ));
            }
        }
    }
    verdict(schema, semantic)?;
    Ok(items
        .into_iter()
        .filter_map(|v| match v {
            Value::Object(map) => Some(build(map, None)),
            _ => None,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn oidc() -> Value {
        json!({"key": "idp-1", "subjectPoolKey": "pool", "type": "OIDC", "status": "ENABLED", "visibility": "PUBLIC",
               "oidcConfig": {"issuer": "https://issuer.example", "audience": "aud"}})
    }

    fn details(err: ApiError) -> Vec<Detail> {
        match err {
            ApiError::Malformed(d) | ApiError::ConfigMalformed(d) => d,
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn key_pattern() {
        assert!(is_key("a-b_c.D9"));
        assert!(is_key(&"a".repeat(64)));
        for bad in ["", &"a".repeat(65), "a b", "a/b", "ä", "a$"] {
            assert!(!is_key(bad), "{bad}");
        }
    }

    #[test]
    fn valid_list_passes_and_all_violations_are_reported() {
        assert_eq!(list(vec![oidc()], UrlPolicy::default()).unwrap().len(), 1);
        let bad = json!({"key": "a b", "subjectPoolKey": "", "type": "SAML", "status": 1, "visibility": "PUBLIC",
                         "extra": true, "name": "n".repeat(65)});
        let d = details(list(vec![bad], UrlPolicy::default()).unwrap_err());
        let fields: Vec<&str> = d.iter().map(|d| d.field.as_str()).collect();
        for f in [
            "[0].key",
            "[0].subjectPoolKey",
            "[0].type",
            "[0].status",
            "[0].extra",
            "[0].name",
        ] {
            assert!(fields.contains(&f), "{f} in {fields:?}");
        }
    }

    #[test]
    fn secret_is_never_echoed() {
        let mut v = oidc();
        v["type"] = json!("OAUTH2_AUTH_CODE");
        v.as_object_mut().unwrap().remove("oidcConfig");
        v["oauth2Config"] = json!({"clientSecret": "TOPSECRET".repeat(40), "userInfoUrl": "https://u", "subjectMapping": {"attribute": "sub"}});
        let d = details(list(vec![v], UrlPolicy::default()).unwrap_err());
        let secret = d
            .iter()
            .find(|d| d.field == "[0].oauth2Config.clientSecret")
            .unwrap();
        assert!(secret.value.is_none());
        assert!(!format!("{d:?}").contains("TOPSECRET"));
    }

    #[test]
    fn config_problems_alone_are_config_malformed() {
        let mut v = oidc();
        v["oidcConfig"]["issuer"] = json!("not a url");
        assert!(matches!(
            list(vec![v], UrlPolicy::default()),
            Err(ApiError::ConfigMalformed(_))
        ));
        let mut v = oidc();
        v["type"] = json!("OAUTH2_IMPLICIT");
        let d = details(list(vec![v], UrlPolicy::default()).unwrap_err());
        assert!(d.iter().any(|d| d.field == "[0].oauth2Config"));
        assert!(d.iter().any(|d| d.field == "[0].oidcConfig"));
    }

    #[test]
    fn url_policy() {
        let strict = UrlPolicy::default();
        let loose = UrlPolicy {
            allow_http_loopback: true,
        };
        assert!(strict.problem("https://a.example/x").is_none());
        assert!(strict.problem("http://a.example").is_some());
        assert!(strict.problem("http://127.0.0.1:9000").is_some());
        assert!(loose.problem("http://127.0.0.1:9000").is_none());
        assert!(loose.problem("http://localhost:9000").is_none());
        assert!(loose.problem("http://a.example").is_some());
        assert!(strict.problem("/relative").is_some());
        assert!(strict.problem("https://u:p@a.example").is_some());
    }

    #[test]
    fn secret_change_semantics() {
        let mut v = oidc();
        v["type"] = json!("OAUTH2_IMPLICIT");
        v.as_object_mut().unwrap().remove("oidcConfig");
        v.as_object_mut().unwrap().remove("key");
        v["oauth2Config"] = json!({"clientId": "c", "authorizeUrl": "https://a", "userInfoUrl": "https://u", "subjectMapping": {"attribute": "sub"}});
        assert_eq!(
            single(v.clone(), "k", UrlPolicy::default())
                .unwrap()
                .client_secret,
            SecretChange::Keep
        );
        v["oauth2Config"]["clientSecret"] = json!("");
        assert_eq!(
            single(v.clone(), "k", UrlPolicy::default())
                .unwrap()
                .client_secret,
            SecretChange::Remove
        );
        v["oauth2Config"]["clientSecret"] = json!("s");
        let input = single(v, "k", UrlPolicy::default()).unwrap();
        assert_eq!(input.client_secret, SecretChange::Set("s".into()));
        assert!(input.oauth2_config.unwrap().get("clientSecret").is_none());
    }
}
