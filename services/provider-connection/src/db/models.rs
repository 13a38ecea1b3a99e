//! Rows as stored. The API's representations are shaped from these in `connections::view`.

use super::schema::{
    audit_records, dedicated_credentials, provider_connections, verification_runs,
};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = provider_connections)]
pub struct Connection {
    pub id: i64,
    pub workspace_id: String,
    pub tenant: String,
    pub provider: String,
    pub entra_tenant_id: String,
    pub display_name: String,
    pub is_default: bool,
    pub connection_type: String,
    pub consent_status: String,
    pub verification_status: String,
    pub health_status: String,
    pub migration_review_required: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A dedicated credential; `ciphertext` is the sealed secret, opened only by the verification worker.
#[derive(Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = dedicated_credentials)]
pub struct Credential {
    pub connection_id: i64,
    pub credential_kind: String,
    pub source: String,
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

/// A verification run as the run-status extension endpoint shows it.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Serialize)]
#[diesel(table_name = verification_runs)]
pub struct Run {
    pub id: i64,
    pub connection_id: i64,
    #[serde(skip)]
    pub workspace_id: String,
    #[serde(skip)]
    pub tenant: String,
    pub status: String,
    pub outcome: Option<String>,
    pub detail: Option<String>,
    pub requested_by: String,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// One audited decision as the audit extension endpoint shows it.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Serialize)]
#[diesel(table_name = audit_records)]
pub struct AuditRecord {
    pub id: i64,
    pub recorded_at: DateTime<Utc>,
    pub actor: String,
    pub workspace_id: String,
    pub tenant: Option<String>,
    pub connection_id: Option<i64>,
    pub action: String,
    pub outcome: String,
    pub reason: Option<String>,
    pub request_id: Option<String>,
}
