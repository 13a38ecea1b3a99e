//! The audit trail: one row per decision on a mutating call, allowed or denied, written in the same transaction
//! as the change it allowed (or alone, when it refused), and the use case reading one tenant's rows. Rows never
//! hold a secret: only who, where, what, the outcome and a reason chosen by the service.

use crate::AppState;
use crate::auth::{Caller, Capability};
use crate::db::models::{Action, AuditOutcome, AuditRecord};
use crate::db::schema::audit_records;
use crate::error::ApiError;
use crate::ids::ConnectionId;
use crate::views::AuditRecordView;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use domain::Paging;

/// The actor recorded for the consent callback, reached by an administrator's browser without a member token.
pub const CONSENT_CALLBACK_ACTOR: &str = "microsoft-admin-consent";

/// One decision about to be recorded.
pub struct Decision<'a> {
    pub actor: &'a str,
    pub workspace_id: &'a str,
    pub tenant: Option<&'a str>,
    pub connection_id: Option<ConnectionId>,
    pub action: Action,
    pub outcome: AuditOutcome,
    pub reason: Option<&'a str>,
    pub request_id: Option<&'a str>,
}

impl<'a> Decision<'a> {
    /// An allowed decision on a member's call; `tenant` and `connection_id` as far as they are known.
    pub fn by(
        caller: &'a Caller,
        action: Action,
        tenant: Option<&'a str>,
        connection_id: Option<ConnectionId>,
    ) -> Self {
        Self {
            actor: &caller.member,
            workspace_id: &caller.workspace_id,
            tenant,
            connection_id,
            action,
            outcome: AuditOutcome::Allowed,
            reason: None,
            request_id: caller.request_id.as_deref(),
        }
    }

    pub fn denied(mut self, reason: &'a str) -> Self {
        self.outcome = AuditOutcome::Denied;
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
            audit_records::outcome.eq(decision.outcome),
            audit_records::reason.eq(decision.reason),
            audit_records::request_id.eq(decision.request_id),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// Extension `GET /tenants/{tenant}/audit-records`: `view_audit` on the tenant; one page of its records,
/// newest first (`id` descending, served backwards by `audit_records_scope`), older than `paging.after` (keyset)
/// or at `offset`: one statement either way. A read: not itself audited.
pub async fn list(
    state: &AppState,
    caller: &Caller,
    tenant: &str,
    paging: Paging<i64>,
) -> Result<Vec<AuditRecordView>, ApiError> {
    if !caller.reaches_tenant(tenant) {
        return Err(ApiError::tenant_not_accessible(tenant));
    }
    caller.require(Capability::ViewAudit, "reading the audit trail")?;
    let mut conn = persistence::db::conn(&state.pool).await?;
    let mut query = audit_records::table
        .filter(audit_records::workspace_id.eq(&caller.workspace_id))
        .filter(audit_records::tenant.eq(tenant))
        .order(audit_records::id.desc())
        .limit(paging.page.limit)
        .offset(paging.page.offset)
        .select(AuditRecord::as_select())
        .into_boxed();
    if let Some(after) = paging.after {
        query = query.filter(audit_records::id.lt(after));
    }
    let records: Vec<AuditRecord> = query.load(&mut conn).await?;
    Ok(records.into_iter().map(AuditRecordView::from).collect())
}
