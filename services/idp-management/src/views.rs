//! The contract's representations, built from stored rows. None ever carries the client secret: the
//! management view shows `oauth2Config.clientSecretSet` (an extension) instead, discovery shows only details.
//! Responses and event payloads are these same types, so an event shows a resource exactly as the API does.

use crate::db::models::{Application, Provider};
use crate::ids::ApplicationId;
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use serde_json::Value;

fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// `ApplicationIdentityProviderV1`.
/// Also the data of the provider events: one type (`event_types`), shared with subscribers.
pub type ProviderV1 = event_types::idp_management::Provider;

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
            application_id: row.application_id.to_string(),
            key: row.key.to_string(),
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
            created_at: row.created_at,
            created_by: row.created_by.clone(),
            last_modified_at: row.last_modified_at,
            last_modified_by: row.last_modified_by.clone(),
            change_id: row.change_id,
        }
    }
}

/// `IdentityProviderV1`: what discovery shows (no secret, no mappings, no audit fields).
pub type DiscoveredV1 = event_types::idp_management::Discovered;

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
            key: row.key.to_string(),
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
/// Also the data of `public-setup.changed`.
pub type SetupV1 = event_types::idp_management::Setup;

/// What discovery shows for `application_id` at `change_id`: its discoverable `rows` (public ones only when
/// `public_only`).
pub fn setup<'a>(
    application_id: &ApplicationId,
    change_id: i64,
    rows: impl IntoIterator<Item = &'a Provider>,
    public_only: bool,
) -> SetupV1 {
    SetupV1 {
        application_id: application_id.to_string(),
        identity_providers: rows
            .into_iter()
            .filter(|r| r.discoverable(public_only))
            .map(DiscoveredV1::from)
            .collect(),
        change_id,
    }
}

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
pub type RegisteredV1 = event_types::idp_management::Registered;

impl From<&Application> for RegisteredV1 {
    fn from(app: &Application) -> Self {
        Self {
            application_id: app.application_id.to_string(),
            change_id: app.change_id,
            created_by: app.created_by.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::models::{IdpType, Status, Visibility};
    use crate::ids::ProviderKey;
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
        assert_eq!(ProviderV1::from(&r).change_id, 7);
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
            setup(&ApplicationId::parse("a").unwrap(), 1, &rows, public_only)
                .identity_providers
                .into_iter()
                .map(|p| p.key.to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(keys(true), vec!["a"]);
        assert_eq!(keys(false), vec!["a", "b"]);
    }
}
