//! What the service shows: the API's representations (a connection, a consent link, the consent callback's page,
//! a verification start, a run, an audit record) and the data of its events. Shaped from rows here and nowhere
//! else, so nothing secret can slip into an answer or an event: a credential shows only its app and source.

use crate::db::models::{
    Action, AuditOutcome, Connection, ConnectionType, CredentialMeta, Run, RunOutcome, RunStatus,
};
use crate::ids::{ConnectionId, RunId};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::HashMap;

/// The app a connection acts as, and where its credential comes from.
#[derive(Debug, Clone, PartialEq)]
pub struct EffectiveApp {
    pub client_id: String,
    /// `platform`, or the dedicated credential's source.
    pub source: &'static str,
}

/// The effective app of a connection: the platform's app for a platform connection, the dedicated credential's
/// app (if one is stored) for a dedicated one.
pub fn effective_app(
    row: &Connection,
    credential: Option<&CredentialMeta>,
    platform_client_id: &str,
) -> Option<EffectiveApp> {
    match row.connection_type {
        ConnectionType::Platform => Some(EffectiveApp {
            client_id: platform_client_id.to_owned(),
            source: "platform",
        }),
        ConnectionType::Dedicated => credential.map(|c| EffectiveApp {
            client_id: c.client_id.clone(),
            source: c.source.as_str(),
        }),
    }
}

/// The contract's `ProviderConnectionResponse`, plus `tenant` and `is_default` (extensions): the payload of the
/// connection events too, one type shared with subscribers.
pub type ConnectionView = event_types::provider_connection::Connection;

/// The API's representation of a connection (never a secret).
pub fn view(
    row: &Connection,
    credential: Option<&CredentialMeta>,
    platform_client_id: &str,
) -> ConnectionView {
    let app = effective_app(row, credential, platform_client_id);
    ConnectionView {
        id: row.id.get(),
        tenant: row.tenant.clone(),
        provider: row.provider,
        entra_tenant_id: row.entra_tenant_id.clone(),
        display_name: row.display_name.clone(),
        is_default: row.is_default,
        connection_type: row.connection_type,
        consent_status: row.consent_status,
        verification_status: row.verification_status,
        health_status: row.health_status.clone(),
        credential_source: app.as_ref().map(|a| a.source.to_owned()),
        effective_app_id: app.map(|a| a.client_id),
        migration_review_required: row.migration_review_required,
    }
}

/// Views of several rows, with their credentials looked up in `credentials`.
pub fn views(
    rows: &[Connection],
    credentials: &HashMap<ConnectionId, CredentialMeta>,
    platform_client_id: &str,
) -> Vec<ConnectionView> {
    rows.iter()
        .map(|row| view(row, credentials.get(&row.id), platform_client_id))
        .collect()
}

/// The contract's `AdminConsentLinkResponse`.
#[derive(Debug, Serialize)]
pub struct ConsentLink {
    pub url: String,
    pub client_id: String,
    pub connection_type: ConnectionType,
}

/// What the consent callback's page tells the administrator, with its status.
#[derive(Debug, Clone, PartialEq)]
pub struct CallbackPage {
    pub status: u16,
    pub title: &'static str,
    pub message: String,
}

impl CallbackPage {
    pub fn new(status: u16, title: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            title,
            message: message.into(),
        }
    }

    /// The page as HTML; everything echoed is escaped.
    pub fn html(&self) -> String {
        format!(
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title></head>\
             <body><h1>{title}</h1><p>{message}</p><p>You can close this window.</p></body></html>\n",
            title = escape(self.title),
            message = escape(&self.message),
        )
    }
}

/// HTML-escapes text for element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            other => out.push(other),
        }
    }
    out
}

/// What a verification start did (the contract's `VerificationStartResponse.status`; also its audit reason).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StartStatus {
    /// A run was queued.
    Started,
    /// The connection already has an active run: that one is answered.
    Deduped,
    /// Another connection of the tenant has an active run: that one is answered.
    ScopeBusy,
    /// The connection cannot be verified yet: a `blocked` run records why.
    Blocked,
}

impl StartStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Started => "started",
            Self::Deduped => "deduped",
            Self::ScopeBusy => "scope_busy",
            Self::Blocked => "blocked",
        }
    }
}

/// The contract's `VerificationStartResponse`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StartResponse {
    pub status: StartStatus,
    pub operation_run_id: RunId,
}

/// A verification run (extension `GET /verification-runs/{run}`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunView {
    pub id: RunId,
    pub connection_id: ConnectionId,
    pub status: RunStatus,
    pub outcome: Option<RunOutcome>,
    pub detail: Option<String>,
    pub requested_by: String,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl From<Run> for RunView {
    fn from(run: Run) -> Self {
        Self {
            id: run.id,
            connection_id: run.connection_id,
            status: run.status,
            outcome: run.outcome,
            detail: run.detail,
            requested_by: run.requested_by,
            created_at: run.created_at,
            started_at: run.started_at,
            finished_at: run.finished_at,
        }
    }
}

/// One audited decision (extension `GET /tenants/{tenant}/audit-records`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditRecordView {
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

impl From<crate::db::models::AuditRecord> for AuditRecordView {
    fn from(record: crate::db::models::AuditRecord) -> Self {
        Self {
            id: record.id,
            recorded_at: record.recorded_at,
            actor: record.actor,
            workspace_id: record.workspace_id,
            tenant: record.tenant,
            connection_id: record.connection_id,
            action: record.action,
            outcome: record.outcome,
            reason: record.reason,
            request_id: record.request_id,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape(r#"<script>alert("x")</script>&'"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#x27;"
        );
        let page = CallbackPage::new(200, "t", "<b>hi</b>");
        assert!(page.html().contains("&lt;b&gt;hi&lt;/b&gt;"));
        assert!(!page.html().contains("<b>"));
    }
}
