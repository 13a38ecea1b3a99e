//! What comes in, validated to the letter of the contract before any use case sees it: path ids, the
//! provider bodies (`...InV1` schemas), the revocation body, and (in `media`) media types, body reading,
//! `If-Match` and `returnUpdated`. Every violation is reported at once.
//!
//! Provider bodies are read as `serde_json::Value` and walked ([`walker`]) against a static copy of the schemas
//! ([`contract`]: types, required fields, `minLength`/`maxLength` in characters, `pattern`, `enum`, `maxItems`,
//! no unknown fields), so each violation names its field path (`oauth2Config.userInfoUrl`, `[2].key` in a
//! list), the value (never a client secret) and what is wrong. Rules the schema cannot express ([`rules`]) —
//! which config block the type requires, URLs that must be absolute — come next; when they are the only
//! problems the answer is `AUTHENTICATION_IDP_CONFIG_MALFORMED`, otherwise `INPUT_MALFORMED` with all details.
//! A body that passes is built ([`build`]) into the typed [`ProviderInput`].

mod build;
mod contract;
pub mod media;
mod revocation;
mod rules;
mod walker;

pub use build::{ProviderInput, SecretChange};
pub use contract::MAX_PROVIDERS;
pub use revocation::{Revocation, revocation};
pub use rules::UrlPolicy;

use crate::error::{ApiError, Detail};
use crate::ids::{ApplicationId, ProviderKey};
use contract::{PROVIDER_IN, provider_in_without_key};
use serde_json::Value;
use std::collections::HashSet;
use walker::check_object;

/// A path parameter that must match the contract's key pattern, reported under `name` (the contract's
/// parameter name).
fn key_param<T>(name: &str, raw: &str, parse: impl Fn(&str) -> Option<T>) -> Result<T, ApiError> {
    parse(raw).ok_or_else(|| {
        ApiError::malformed(
            name,
            Some(raw.chars().take(128).collect()),
            "must match ^[a-zA-Z0-9-_.]{1,64}$",
        )
    })
}

/// The application of a path, reported as parameter `name` (`application-expression`, `application-id`).
pub fn application_id(name: &str, raw: &str) -> Result<ApplicationId, ApiError> {
    key_param(name, raw, ApplicationId::parse)
}

/// The provider key of a path (`identity-provider-key`).
pub fn provider_key(raw: &str) -> Result<ProviderKey, ApiError> {
    key_param("identity-provider-key", raw, ProviderKey::parse)
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
pub fn single(
    value: Value,
    key: &ProviderKey,
    policy: UrlPolicy,
) -> Result<ProviderInput, ApiError> {
    let (mut schema, mut semantic) = (Vec::new(), Vec::new());
    check_object(&value, provider_in_without_key(), "", &mut schema);
    if let Value::Object(map) = &value {
        rules::check_semantics(map, "", policy, &mut semantic);
    }
    verdict(schema, semantic)?;
    match value {
        Value::Object(map) => build::build(map, Some(key)),
        _ => Err(ApiError::malformed("body", None, "must be an object")),
    }
}

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
            rules::check_semantics(map, &path, policy, &mut semantic);
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
    items
        .into_iter()
        .filter_map(|v| match v {
            Value::Object(map) => Some(build::build(map, None)),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn oidc() -> Value {
        json!({"key": "idp-1", "subjectPoolKey": "pool", "type": "OIDC", "status": "ENABLED", "visibility": "PUBLIC",
               "oidcConfig": {"issuer": "https://issuer.example", "audience": "aud"}})
    }

    fn key() -> ProviderKey {
        ProviderKey::parse("k").unwrap()
    }

    fn details(err: ApiError) -> Vec<Detail> {
        match err {
            ApiError::Malformed(d) | ApiError::ConfigMalformed(d) => d,
            other => panic!("unexpected {other:?}"),
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
    fn secret_change_semantics() {
        let mut v = oidc();
        v["type"] = json!("OAUTH2_IMPLICIT");
        v.as_object_mut().unwrap().remove("oidcConfig");
        v.as_object_mut().unwrap().remove("key");
        v["oauth2Config"] = json!({"clientId": "c", "authorizeUrl": "https://a", "userInfoUrl": "https://u", "subjectMapping": {"attribute": "sub"}});
        assert_eq!(
            single(v.clone(), &key(), UrlPolicy::default())
                .unwrap()
                .client_secret,
            SecretChange::Keep
        );
        v["oauth2Config"]["clientSecret"] = json!("");
        assert_eq!(
            single(v.clone(), &key(), UrlPolicy::default())
                .unwrap()
                .client_secret,
            SecretChange::Remove
        );
        v["oauth2Config"]["clientSecret"] = json!("s");
        let input = single(v, &key(), UrlPolicy::default()).unwrap();
        assert_eq!(input.client_secret, SecretChange::Set("s".into()));
        assert!(input.oauth2_config.unwrap().get("clientSecret").is_none());
    }
}
