//! provider-connection's events (source `/provider-connection`): every event's subject is the connection id,
//! and none carries a secret (a credential event names the app and where its secret came from, never the
//! secret). The fixed-value fields are the service's own column types.

use persistence::text_enum;
use serde::{Deserialize, Serialize};

text_enum! {
    /// The identity provider a connection is to.
    pub enum Provider {
        Microsoft = "microsoft",
    }
}

text_enum! {
    /// Whose app a connection acts as: the platform's, or a dedicated one with its own credential.
    pub enum ConnectionType {
        Platform = "platform",
        Dedicated = "dedicated",
    }
}

text_enum! {
    /// Where the tenant's admin consent stands.
    pub enum ConsentStatus {
        Unknown = "unknown",
        Required = "required",
        Granted = "granted",
        Failed = "failed",
        Revoked = "revoked",
    }
}

text_enum! {
    /// What the last verification run found.
    pub enum VerificationStatus {
        Unknown = "unknown",
        Pending = "pending",
        Healthy = "healthy",
        Degraded = "degraded",
        Blocked = "blocked",
        Error = "error",
    }
}

text_enum! {
    /// Where a dedicated credential came from.
    pub enum CredentialSource {
        DedicatedManual = "dedicated_manual",
        DedicatedImported = "dedicated_imported",
        LegacyMigrated = "legacy_migrated",
    }
}

text_enum! {
    /// A finished verification run's verdict.
    pub enum RunOutcome {
        Healthy = "healthy",
        Degraded = "degraded",
        Blocked = "blocked",
        Error = "error",
    }
}

impl From<RunOutcome> for VerificationStatus {
    fn from(outcome: RunOutcome) -> Self {
        match outcome {
            RunOutcome::Healthy => Self::Healthy,
            RunOutcome::Degraded => Self::Degraded,
            RunOutcome::Blocked => Self::Blocked,
            RunOutcome::Error => Self::Error,
        }
    }
}

/// A connection as the API shows it: the contract's `ProviderConnectionResponse`, plus `tenant` and
/// `is_default` (extensions).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Connection {
    pub id: i64,
    pub tenant: String,
    pub provider: Provider,
    pub entra_tenant_id: String,
    pub display_name: String,
    pub is_default: bool,
    pub connection_type: ConnectionType,
    pub consent_status: ConsentStatus,
    pub verification_status: VerificationStatus,
    pub health_status: String,
    /// The app the connection acts as: the platform's, or its dedicated credential's (absent while a dedicated
    /// connection has none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective_app_id: Option<String>,
    /// `platform`, or the dedicated credential's source (absent with `effective_app_id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_source: Option<String>,
    pub migration_review_required: bool,
}

/// What a credential event says of a dedicated credential.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credential {
    pub connection_id: i64,
    pub client_id: String,
    pub source: CredentialSource,
    /// The id of the key that sealed the stored secret (`null` on delete).
    pub key_id: Option<String>,
}

/// A verification run's verdict, with the connection after it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerificationOutcome {
    pub operation_run_id: i64,
    pub connection_id: i64,
    pub outcome: RunOutcome,
    pub health_status: String,
    pub connection: Connection,
}

crate::declare_events! {
    ConnectionCreated = "provider-connection.connection.created.v1" => Connection;
    /// The connection changed (`changes` says how): consent link, verification start, credential stored or
    /// deleted.
    ConnectionUpdated = "provider-connection.connection.updated.v1" => Connection;
    /// The connection moved between platform and dedicated (`changes` says how).
    ConnectionTypeChanged = "provider-connection.connection.type_changed.v1" => Connection;
    CredentialStored = "provider-connection.credential.stored.v1" => Credential;
    CredentialDeleted = "provider-connection.credential.deleted.v1" => Credential;
    /// The tenant's administrator granted consent (the callback's outcome).
    ConsentGranted = "provider-connection.consent.granted.v1" => Connection;
    /// The consent callback reported a failure.
    ConsentFailed = "provider-connection.consent.failed.v1" => Connection;
    /// A verification run finished (by the worker, or blocked at start).
    VerificationCompleted = "provider-connection.verification.completed.v1" => VerificationOutcome;
}
