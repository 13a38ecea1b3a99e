//! Rows as stored, and the Rust types of the columns that hold one of a fixed set of values (each mirrors a
//! CHECK constraint of the migrations, except [`Action`], whose set only this service writes). The API's
//! representations are shaped from these rows in `crate::views`.

use super::schema::{
    audit_records, dedicated_credentials, provider_connections, verification_runs,
};
use crate::ids::{ConnectionId, RunId};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use persistence::text_enum;

/// The columns events show too: their types are the events' own, so the stored and the published values are one
/// definition.
pub use event_types::provider_connection::{
    ConnectionType, ConsentStatus, CredentialSource, Provider, RunOutcome, VerificationStatus,
};

text_enum! {
    /// `dedicated_credentials.credential_kind`.
    pub enum CredentialKind {
        ClientSecret = "client_secret",
    }
}

text_enum! {
    /// `verification_runs.status`.
    pub enum RunStatus {
        Queued = "queued",
        Running = "running",
        Completed = "completed",
        Blocked = "blocked",
        Failed = "failed",
    }
}

impl RunStatus {
    /// The statuses that hold the tenant's scope (`verification_runs_one_active_per_scope`).
    pub const ACTIVE: [RunStatus; 2] = [RunStatus::Queued, RunStatus::Running];
}

text_enum! {
    /// `audit_records.outcome`.
    pub enum AuditOutcome {
        Allowed = "allowed",
        Denied = "denied",
    }
}

text_enum! {
    /// `audit_records.action`: the audited actions.
    pub enum Action {
        Create = "connection.create",
        ConsentLink = "consent.link",
        ConsentCallback = "consent.callback",
        Verify = "verification.start",
        ChangeType = "connection.change_type",
        PutCredential = "credential.put",
        DeleteCredential = "credential.delete",
    }
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = provider_connections)]
pub struct Connection {
    pub id: ConnectionId,
    pub workspace_id: String,
    pub tenant: String,
    pub provider: Provider,
    pub entra_tenant_id: String,
    pub display_name: String,
    pub is_default: bool,
    pub connection_type: ConnectionType,
    pub consent_status: ConsentStatus,
    pub verification_status: VerificationStatus,
    pub health_status: String,
    pub migration_review_required: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The subject version of the connection's events (+1 per event about it); never shown by the API.
    pub version: i64,
}

/// A dedicated credential; `ciphertext` is the sealed secret, opened only by the verification worker.
#[derive(Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = dedicated_credentials)]
pub struct Credential {
    pub connection_id: ConnectionId,
    pub credential_kind: CredentialKind,
    pub source: CredentialSource,
    pub client_id: String,
    pub key_id: String,
    pub nonce: Vec<u8>,
    pub ciphertext: Vec<u8>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credential")
            .field("connection_id", &self.connection_id)
            .field("source", &self.source)
            .field("client_id", &self.client_id)
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

/// What may be said about a dedicated credential: its app and where it came from, never the secret.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = dedicated_credentials)]
pub struct CredentialMeta {
    pub client_id: String,
    pub source: CredentialSource,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = verification_runs)]
pub struct Run {
    pub id: RunId,
    pub connection_id: ConnectionId,
    pub workspace_id: String,
    pub tenant: String,
    pub status: RunStatus,
    pub outcome: Option<RunOutcome>,
    pub detail: Option<String>,
    pub requested_by: String,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// One audited decision.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = audit_records)]
pub struct AuditRecord {
    pub id: i64,
    pub recorded_at: DateTime<Utc>,
    pub actor: String,
    pub workspace_id: String,
    pub tenant: Option<String>,
    pub connection_id: Option<ConnectionId>,
    pub action: Action,
    pub outcome: AuditOutcome,
    pub reason: Option<String>,
    pub request_id: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use persistence::TextEnum;

    /// `column IN ('a', 'b', …)` as the migration writes the CHECK constraint of a column holding `T`.
    fn check_of<T: TextEnum>(column: &str) -> String {
        let values: Vec<String> = T::NAMES.iter().map(|v| format!("'{v}'")).collect();
        format!("{column} IN ({})", values.join(", "))
    }

    #[test]
    fn every_enum_is_its_columns_check_constraint() {
        let migration =
            include_str!("../../migrations/2026-11-23-000300_provider_connection/up.sql");
        for check in [
            check_of::<Provider>("provider"),
            check_of::<ConnectionType>("connection_type"),
            check_of::<ConsentStatus>("consent_status"),
            check_of::<VerificationStatus>("verification_status"),
            check_of::<CredentialKind>("credential_kind"),
            check_of::<CredentialSource>("source"),
            check_of::<RunStatus>("status"),
            check_of::<RunOutcome>("outcome"),
            check_of::<AuditOutcome>("outcome"),
        ] {
            assert!(migration.contains(&check), "{check} not in the migration");
        }
    }

    #[test]
    fn texts_round_trip() {
        for name in Action::NAMES {
            assert_eq!(Action::parse(name).map(Action::as_str), Some(*name));
        }
        assert_eq!(RunStatus::parse("queued"), Some(RunStatus::Queued));
        assert_eq!(RunStatus::parse("Queued"), None);
        assert_eq!(
            serde_json::to_string(&CredentialSource::LegacyMigrated).unwrap(),
            "\"legacy_migrated\""
        );
    }
}
