//! The contract's representations, built from stored rows. None ever carries the client secret: the
//! management view shows `oauth2Config.clientSecretSet` (an extension) instead, discovery shows only details.
//! Responses and event payloads are these same types, so an event shows a resource exactly as the API does.

use crate::db::models::{Application, IdpType, Provider, Status, Visibility};
use crate::ids::{ApplicationId, ProviderKey};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use serde_json::Value;

fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// `ApplicationIdentityProviderV1`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProviderV1 {
    pub application_id: ApplicationId,
    pub key: ProviderKey,
    pub subject_pool_key: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(rename = "type")]
    pub idp_type: IdpType,
    pub status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oauth2_config: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oidc_config: Option<Value>,
    pub visibility: Visibility,
    pub additional_config_entries: Value,
    pub created_at: String,
    pub created_by: String,
    pub last_modified_at: String,
    pub last_modified_by: String,
    pub change_id: String,
}

impl From<&Provider> for ProviderV1 {
    fn from(row: &Provider) -> Self {
        let oauth2_config = row.part("oauth2Config").cloned().map(|mut block| {
            if let Some(map) = block.as_object_mut() {
                map.remove("clientSecret");
                map.insert("clientSecretSet".to_owned(), Value::Bool(row.has_secret()));
            }
            block
        });
        Self {
            application_id: row.application_id.clone(),
            key: row.key.clone(),
            subject_pool_key: row.subject_pool_key.clone(),
            name: row.text("name"),
            description: row.text("description"),
            idp_type: row.idp_type,
            status: row.status,
            oauth2_config,
            oidc_config: row.part("oidcConfig").cloned(),
            visibility: row.visibility,
            additional_config_entries: row
                .part("additionalConfigEntries")
                .cloned()
                .unwrap_or(Value::Array(Vec::new())),
            created_at: time(row.created_at),
            created_by: row.created_by.clone(),
            last_modified_at: time(row.last_modified_at),
            last_modified_by: row.last_modified_by.clone(),
            change_id: row.change_id.to_string(),
        }
    }
}

/// `IdentityProviderV1`: what discovery shows (no secret, no mappings, no audit fields).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DiscoveredV1 {
    pub key: ProviderKey,
    pub subject_pool_key: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(rename = "type")]
    pub idp_type: IdpType,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oauth2_details: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oidc_details: Option<Value>,
    pub additional_config_entries: Value,
}

fn pick(block: &Value, names: &[&str]) -> Value {
    Value::Object(
        names
            .iter()
            .filter_map(|n| block.get(*n).map(|v| ((*n).to_owned(), v.clone())))
            .collect(),
    )
}

impl From<&Provider> for DiscoveredV1 {
    fn from(row: &Provider) -> Self {
        Self {
            key: row.key.clone(),
            subject_pool_key: row.subject_pool_key.clone(),
            name: row.text("name"),
            description: row.text("description"),
            idp_type: row.idp_type,
            oauth2_details: row
                .part("oauth2Config")
                .map(|b| pick(b, &["clientId", "authorizeUrl", "userInfoUrl"])),
            oidc_details: row
                .part("oidcConfig")
                .map(|b| pick(b, &["issuer", "audience"])),
            additional_config_entries: row
                .part("additionalConfigEntries")
                .cloned()
                .unwrap_or(Value::Array(Vec::new())),
        }
    }
}

/// `IdentityProviderSetupV1`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SetupV1 {
    pub application_id: ApplicationId,
    pub identity_providers: Vec<DiscoveredV1>,
    /// The application's change id (the response's `ETag`), shown as a string.
    #[serde(serialize_with = "as_text")]
    pub change_id: i64,
}

fn as_text<S: serde::Serializer>(value: &i64, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(value)
}

impl SetupV1 {
    /// The setup as discovery shows it: `public_only` for the public endpoint, else APPLICATION + PUBLIC.
    pub fn of<'a>(
        application_id: &ApplicationId,
        change_id: i64,
        rows: impl IntoIterator<Item = &'a Provider>,
        public_only: bool,
    ) -> Self {
        Self {
            application_id: application_id.clone(),
            identity_providers: rows
                .into_iter()
                .filter(|r| r.discoverable(public_only))
                .map(DiscoveredV1::from)
                .collect(),
            change_id,
        }
    }
}

/// The registration extension's answer: a registered application.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationV1 {
    pub application_id: ApplicationId,
    pub change_id: String,
    pub created_at: String,
    pub created_by: String,
}

impl From<&Application> for ApplicationV1 {
    fn from(app: &Application) -> Self {
        Self {
            application_id: app.application_id.clone(),
            change_id: app.change_id.to_string(),
            created_at: time(app.created_at),
            created_by: app.created_by.clone(),
        }
    }
}

/// `data` of `idp-management.application.registered.v1`: the application without its creation time.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RegisteredV1 {
    pub application_id: ApplicationId,
    pub change_id: String,
    pub created_by: String,
}

impl From<&Application> for RegisteredV1 {
    fn from(app: &Application) -> Self {
        Self {
            application_id: app.application_id.clone(),
            change_id: app.change_id.to_string(),
            created_by: app.created_by.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn row(config: Value, secret: bool) -> Provider {
        Provider {
            application_id: ApplicationId::parse("a").unwrap(),
            key: ProviderKey::parse("k").unwrap(),
            subject_pool_key: "p".into(),
            idp_type: IdpType::OAuth2AuthCode,
            status: Status::Enabled,
            visibility: Visibility::Public,
            config,
            client_secret_key_id: secret.then(|| "k1".into()),
            client_secret_nonce: secret.then(|| vec![0; 12]),
            client_secret_ciphertext: secret.then(|| vec![1; 20]),
            created_at: Utc::now(),
            created_by: "x".into(),
            last_modified_at: Utc::now(),
            last_modified_by: "x".into(),
            change_id: 7,
        }
    }

    #[test]
    fn no_view_ever_carries_a_client_secret() {
        // Even a clientSecret that slipped into the stored config is not shown.
        let r = row(
            json!({"oauth2Config": {"clientId": "c", "clientSecret": "leak", "userInfoUrl": "https://u"}}),
            true,
        );
        let management = serde_json::to_string(&ProviderV1::from(&r)).unwrap();
        let discovery = serde_json::to_string(&DiscoveredV1::from(&r)).unwrap();
        assert!(!management.contains("leak") && !discovery.contains("leak"));
        assert!(management.contains("\"clientSecretSet\":true"));
        assert!(!discovery.contains("clientSecret"));
        assert_eq!(ProviderV1::from(&r).change_id, "7");
    }

    #[test]
    fn discovery_shows_enabled_public_or_application_providers_only() {
        let mut rows = Vec::new();
        for (key, status, visibility) in [
            ("a", Status::Enabled, Visibility::Public),
            ("b", Status::Enabled, Visibility::Application),
            ("c", Status::Enabled, Visibility::Hidden),
            ("d", Status::Disabled, Visibility::Public),
        ] {
            let mut r = row(json!({}), false);
            r.key = ProviderKey::parse(key).unwrap();
            r.status = status;
            r.visibility = visibility;
            rows.push(r);
        }
        let keys = |public_only| {
            SetupV1::of(&ApplicationId::parse("a").unwrap(), 1, &rows, public_only)
                .identity_providers
                .into_iter()
                .map(|p| p.key.to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(keys(true), vec!["a"]);
        assert_eq!(keys(false), vec!["a", "b"]);
    }
}
