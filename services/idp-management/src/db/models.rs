//! Rows as stored, and the Rust types of the columns whose values come from a fixed set (the contract's enums,
//! written to `Text` columns by their contract names). The API representations are built from the rows in
//! `views` (the stored row carries the sealed client secret, which no representation ever shows).

use super::schema::{applications, identity_providers};
use crate::ids::{ApplicationId, ProviderKey};
use chrono::{DateTime, Utc};
use diesel::prelude::*;

/// The contract's enums, as stored and as published: the events' own types (`event_types`), one definition.
pub use event_types::idp_management::{IdpType, Status, Visibility};

/// A registered application and its change sequence.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = applications)]
pub struct Application {
    pub application_id: ApplicationId,
    pub change_id: i64,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
}

/// One identity-provider configuration, as stored.
#[derive(Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = identity_providers)]
pub struct Provider {
    pub application_id: ApplicationId,
    pub key: ProviderKey,
    pub subject_pool_key: String,
    pub idp_type: IdpType,
    pub status: Status,
    pub visibility: Visibility,
    /// `name`, `description`, `oauth2Config` (minus `clientSecret`), `oidcConfig`, `additionalConfigEntries`,
    /// as the API shows them (one JSONB column: they are never queried on their own).
    pub config: serde_json::Value,
    pub client_secret_key_id: Option<String>,
    pub client_secret_nonce: Option<Vec<u8>>,
    pub client_secret_ciphertext: Option<Vec<u8>>,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    pub last_modified_at: DateTime<Utc>,
    pub last_modified_by: String,
    pub change_id: i64,
}

impl std::fmt::Debug for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Provider")
            .field("application_id", &self.application_id)
            .field("key", &self.key)
            .field("change_id", &self.change_id)
            .field(
                "client_secret_set",
                &self.client_secret_ciphertext.is_some(),
            )
            .finish_non_exhaustive()
    }
}

impl Provider {
    /// Whether discovery shows it at all (HIDDEN and DISABLED never appear).
    pub fn discoverable(&self, public_only: bool) -> bool {
        self.status == Status::Enabled
            && match self.visibility {
                Visibility::Public => true,
                Visibility::Application => !public_only,
                Visibility::Hidden => false,
            }
    }

    /// A part of `config` (`None` when absent).
    pub fn part(&self, name: &str) -> Option<&serde_json::Value> {
        self.config.get(name).filter(|v| !v.is_null())
    }

    /// A text part of `config`.
    pub fn text(&self, name: &str) -> Option<String> {
        self.part(name)
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned)
    }

    /// Whether a client secret is stored.
    pub fn has_secret(&self) -> bool {
        self.client_secret_ciphertext.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use persistence::TextEnum;

    fn check_of<T: TextEnum>(column: &str) -> String {
        let values: Vec<String> = T::NAMES.iter().map(|v| format!("'{v}'")).collect();
        format!("CHECK ({column} IN ({}))", values.join(", "))
    }

    #[test]
    fn every_enum_matches_its_columns_check_constraint() {
        let migration =
            include_str!("../../migrations/2026-12-01-000400_fixed_value_checks/up.sql");
        for check in [
            check_of::<IdpType>("idp_type"),
            check_of::<Status>("status"),
            check_of::<Visibility>("visibility"),
        ] {
            assert!(migration.contains(&check), "{check} not in the migration");
        }
    }
}
