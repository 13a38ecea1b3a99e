//! idp-management's events (source `/idp-management`): applications registered, identity-provider
//! configurations created, replaced and deleted (subject `<applicationId>/<key>`), and what public discovery shows
//! for an application (subject `<applicationId>`). No event carries a client secret: a provider's `oauth2Config`
//! says only whether one is set (`clientSecretSet`).

use chrono::{DateTime, Utc};
use persistence::text_enum;
use serde::{Deserialize, Serialize};
use serde_json::Value;

text_enum! {
    /// The contract's provider `type`: the protocol the provider speaks.
    pub enum IdpType {
        OAuth2Implicit = "OAUTH2_IMPLICIT",
        OAuth2AuthCode = "OAUTH2_AUTH_CODE",
        Oidc = "OIDC",
    }
}

text_enum! {
    /// The contract's provider `status`.
    pub enum Status {
        Enabled = "ENABLED",
        Disabled = "DISABLED",
    }
}

text_enum! {
    /// The contract's provider `visibility`: who discovers the provider.
    pub enum Visibility {
        /// The application's own discovery (and the public one).
        Application = "APPLICATION",
        /// Public discovery, without a token.
        Public = "PUBLIC",
        /// No discovery at all.
        Hidden = "HIDDEN",
    }
}

/// An identity-provider configuration as the management API shows it: the contract's
/// `ApplicationIdentityProviderV1`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Provider {
    pub application_id: String,
    pub key: String,
    pub subject_pool_key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(rename = "type")]
    pub idp_type: IdpType,
    pub status: Status,
    /// The provider's OAuth2 block, its `clientSecret` replaced by `clientSecretSet` (an extension).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oauth2_config: Option<Value>,
    /// The contract's `IdpOidcConfigV1`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oidc_config: Option<Value>,
    pub visibility: Visibility,
    /// The contract's `additionalConfigEntries` (a list of key/value entries).
    pub additional_config_entries: Value,
    #[serde(with = "crate::millis")]
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    #[serde(with = "crate::millis")]
    pub last_modified_at: DateTime<Utc>,
    pub last_modified_by: String,
    /// The application's change sequence after this provider's last write (also its `ETag`).
    #[serde(with = "text")]
    pub change_id: i64,
}

/// A provider as discovery shows it: the contract's `IdentityProviderV1` (no secret, no mappings, no audit
/// fields).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Discovered {
    pub key: String,
    pub subject_pool_key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(rename = "type")]
    pub idp_type: IdpType,
    /// `clientId`, `authorizeUrl` and `userInfoUrl` of the provider's `oauth2Config`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oauth2_details: Option<Value>,
    /// `issuer` and `audience` of the provider's `oidcConfig`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oidc_details: Option<Value>,
    pub additional_config_entries: Value,
}

/// What discovery shows for an application: the contract's `IdentityProviderSetupV1`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Setup {
    pub application_id: String,
    pub identity_providers: Vec<Discovered>,
    #[serde(with = "text")]
    pub change_id: i64,
}

/// An application's registration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Registered {
    pub application_id: String,
    /// The application's change sequence at registration.
    #[serde(with = "text")]
    pub change_id: i64,
    /// The admin token's actor, or `configuration`.
    pub created_by: String,
}

crate::declare_events! {
    /// An application was registered (by an admin, or from the configuration at start-up).
    ApplicationRegistered = "idp-management.application.registered.v1" => Registered;
    ProviderCreated = "idp-management.identity-provider.created.v1" => Provider;
    /// A provider was replaced (`changes` says what changed).
    ProviderReplaced = "idp-management.identity-provider.replaced.v1" => Provider;
    /// A provider was deleted; `data` is the provider as it was.
    ProviderDeleted = "idp-management.identity-provider.deleted.v1" => Provider;
    /// What public discovery shows for the application changed (`changes` says what); `data` is the new
    /// setup.
    PublicSetupChanged = "idp-management.public-setup.changed.v1" => Setup;
}

/// The contract writes change ids as strings of digits.
mod text {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &i64, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(value)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
        String::deserialize(deserializer)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}
