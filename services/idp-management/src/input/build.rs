//! The typed input made from a provider object the walk and the rules have passed: the contract's fields as the
//! store takes them, `clientSecret` split off the OAuth2 block into what to do with the stored secret.

use crate::db::models::{IdpType, Status, Visibility};
use crate::error::ApiError;
use crate::ids::ProviderKey;
use serde_json::{Map, Value};

/// A validated provider configuration, ready to store (its `Debug` never shows the secret).
#[derive(Debug, Clone)]
pub struct ProviderInput {
    pub key: ProviderKey,
    pub subject_pool_key: String,
    pub name: Option<String>,
    pub description: Option<String>,
    pub idp_type: IdpType,
    pub status: Status,
    pub visibility: Visibility,
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

/// A typed required field of an object already known to be valid (a miss is a bug of the tables).
fn typed<T>(
    map: &Map<String, Value>,
    name: &str,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<T, ApiError> {
    map.get(name)
        .and_then(Value::as_str)
        .and_then(parse)
        .ok_or_else(|| ApiError::bug("a validated provider lacks a required field"))
}

/// Builds the input from an object already known to be valid; `key` is the path's, when the body has none.
pub fn build(
    mut map: Map<String, Value>,
    key: Option<&ProviderKey>,
) -> Result<ProviderInput, ApiError> {
    let mut client_secret = SecretChange::Keep;
    // The walk refused every explicit null, so what is present is a value.
    let oauth2_config = map.remove("oauth2Config").map(|mut block| {
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
    let key = match key {
        Some(key) => key.clone(),
        None => typed(&map, "key", ProviderKey::parse)?,
    };
    Ok(ProviderInput {
        key,
        subject_pool_key: string(&map, "subjectPoolKey").unwrap_or_default(),
        name: string(&map, "name"),
        description: string(&map, "description"),
        idp_type: typed(&map, "type", IdpType::parse)?,
        status: typed(&map, "status", Status::parse)?,
        visibility: typed(&map, "visibility", Visibility::parse)?,
        oauth2_config,
        oidc_config: map.remove("oidcConfig"),
        additional_config_entries: map
            .remove("additionalConfigEntries")
            .unwrap_or(Value::Array(Vec::new())),
        client_secret,
    })
}
