//! The audit trail: one row per decision on a mutating call, allowed or denied, written in the same transaction
//! as the change it allowed (or alone, when it refused). Rows never hold a secret: only who, where, what, the
//! outcome and a reason chosen by the service.

use crate::auth::Caller;
use crate::db::models::AuditRecord;
use crate::db::schema::audit_records;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use domain::Page;

/// The actor recorded for the consent callback, reached by an administrator's browser without a member token.
pub const CONSENT_CALLBACK_ACTOR: &str = "microsoft-admin-consent";

/// One decision about to be recorded.
pub struct Decision<'a> {
    pub actor: &'a str,
    pub workspace_id: &'a str,
    pub tenant: Option<&'a str>,
    pub connection_id: Option<i64>,
    pub action: &'static str,
    pub allowed: bool,
    pub reason: Option<&'a str>,
    pub request_id: Option<&'a str>,
}

impl<'a> Decision<'a> {
    /// A decision on a member's call; `tenant` and `connection_id` as far as they are known.
    pub fn by(
        caller: &'a Caller,
        action: &'static str,
        tenant: Option<&'a str>,
        connection_id: Option<i64>,
    ) -> Self {
        Self {
            actor: &caller.member,
            workspace_id: &caller.workspace_id,
            tenant,
            connection_id,
            action,
            allowed: true,
            reason: None,
            request_id: caller.request_id.as_deref(),
        }
    }

    pub fn denied(mut self, reason: &'a str) -> Self {
        self.allowed = false;
        self.reason = Some(reason);
        self
    }

    pub fn because(mut self, reason: &'a str) -> Self {
        self.reason = Some(reason);
        self
    }
}

/// Writes the decision (call it inside the change's transaction).
pub async fn record(conn: &mut AsyncPgConnection, decision: Decision<'_>) -> QueryResult<()> {
    diesel::insert_into(audit_records::table)
        .values((
            audit_records::actor.eq(decision.actor),
            audit_records::workspace_id.eq(decision.workspace_id),
            audit_records::tenant.eq(decision.tenant),
            audit_records::connection_id.eq(decision.connection_id),
            audit_records::action.eq(decision.action),
            audit_records::outcome.eq(if decision.allowed {
                "allowed"
            } else {
                "denied"
            }),
            audit_records::reason.eq(decision.reason),
            audit_records::request_id.eq(decision.request_id),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// One tenant's records, newest first (served by `audit_records_scope`).
pub async fn list(
    conn: &mut AsyncPgConnection,
    workspace_id: &str,
    tenant: &str,
    page: Page,
) -> QueryResult<Vec<AuditRecord>> {
    audit_records::table
        .filter(audit_records::workspace_id.eq(workspace_id))
        .filter(audit_records::tenant.eq(tenant))
        .order(audit_records::id.desc())
        .limit(page.limit)
        .offset(page.offset)
        .select(AuditRecord::as_select())
        .load(conn)
        .await
}

/// The audited action names.
pub mod actions {
    pub const CREATE: &str = "connection.create";
    pub const CONSENT_LINK: &str = "consent.link";
    pub const CONSENT_CALLBACK: &str = "consent.callback";
    pub const VERIFY: &str = "verification.start";
    pub const CHANGE_TYPE: &str = "connection.change_type";
    pub const PUT_CREDENTIAL: &str = "credential.put";
    pub const DELETE_CREDENTIAL: &str = "credential.delete";
}
