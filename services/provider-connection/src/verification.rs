//! Starting verification runs and reading them. The runs themselves are done by [`crate::worker`].
//!
//! A start is one transaction under a per-tenant advisory lock: an active run of the same connection is
//! `deduped`, an active run of another connection of the tenant is `scope_busy`, a connection without consent or
//! credential gets a `blocked` run recorded with its reason, anything else a `queued` run (`started`). The partial
//! unique index `verification_runs_one_active_per_scope` backs the lock.

use crate::AppState;
use crate::audit::{self, Decision, actions};
use crate::auth::{Caller, Capability};
use crate::connections::{
    Outcome, RUNS_LOCK, authorize, conn, credential_meta, effective_app, lock_tenant, view,
};
use crate::db::models::{Connection, Run};
use crate::db::schema::{provider_connections as pc, verification_runs as runs};
use crate::error::ApiError;
use crate::events::{self, event};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde::Serialize;

/// Run statuses that hold the tenant's scope.
pub const ACTIVE: [&str; 2] = ["queued", "running"];

/// The contract's `VerificationStartResponse`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StartResponse {
    pub status: &'static str,
    pub operation_run_id: i64,
}

/// What a `verification.completed` event carries.
#[derive(Debug, Serialize)]
pub struct OutcomeEvent<'a> {
    pub operation_run_id: i64,
    pub connection_id: i64,
    pub outcome: &'a str,
    pub health_status: &'a str,
    pub connection: &'a crate::connections::ConnectionView,
}

/// Why a connection cannot be verified yet, if it cannot.
fn blocked_reason(row: &Connection, has_app: bool) -> Option<&'static str> {
    if !has_app {
        Some("Blocked: the dedicated connection has no credential")
    } else if row.consent_status != "granted" {
        Some("Blocked: admin consent has not been granted")
    } else {
        None
    }
}

/// `POST .../verification`: `run_verification`. Always 202: started, deduped, scope_busy or blocked.
pub async fn start(state: &AppState, caller: &Caller, id: i64) -> Result<StartResponse, ApiError> {
    let mut conn = conn(state).await?;
    let answer = conn
        .transaction::<_, ApiError, _>(async |conn| {
            let row = match authorize(
                conn,
                caller,
                id,
                actions::VERIFY,
                &[Capability::RunVerification],
            )
            .await?
            {
                Ok(row) => row,
                Err(refusal) => return Ok(Outcome::Refused(refusal)),
            };
            lock_tenant(conn, RUNS_LOCK, &row.workspace_id, &row.tenant).await?;
            let active: Option<(i64, i64)> = runs::table
                .filter(runs::workspace_id.eq(&row.workspace_id))
                .filter(runs::tenant.eq(&row.tenant))
                .filter(runs::status.eq_any(ACTIVE))
                .select((runs::id, runs::connection_id))
                .first(conn)
                .await
                .optional()?;
            let audit_as = |reason| {
                Decision::by(caller, actions::VERIFY, Some(&row.tenant), Some(id)).because(reason)
            };
            if let Some((run_id, holder)) = active {
                let status = if holder == id {
                    "deduped"
                } else {
                    "scope_busy"
                };
                audit::record(conn, audit_as(status)).await?;
                return Ok(Outcome::Done(StartResponse {
                    status,
                    operation_run_id: run_id,
                }));
            }
            let credential = credential_meta(conn, id).await?;
            let has_app = effective_app(&row, credential.as_ref(), &state.platform_client_id)
                .0
                .is_some();
            let (status, run_status, verification, health) = match blocked_reason(&row, has_app) {
                Some(reason) => ("blocked", "blocked", "blocked", reason),
                None => ("started", "queued", "pending", "Verification queued"),
            };
            let run_id: i64 = diesel::insert_into(runs::table)
                .values((
                    runs::connection_id.eq(id),
                    runs::workspace_id.eq(&row.workspace_id),
                    runs::tenant.eq(&row.tenant),
                    runs::status.eq(run_status),
                    runs::outcome.eq((status == "blocked").then_some("blocked")),
                    runs::detail.eq((status == "blocked").then_some(health)),
                    runs::requested_by.eq(&caller.member),
                    runs::finished_at.eq((status == "blocked").then(chrono::Utc::now)),
                ))
                .returning(runs::id)
                .get_result(conn)
                .await?;
            let updated: Connection = diesel::update(pc::table.find(id))
                .set((
                    pc::verification_status.eq(verification),
                    pc::health_status.eq(health),
                    pc::updated_at.eq(diesel::dsl::now),
                ))
                .returning(Connection::as_returning())
                .get_result(conn)
                .await?;
            let shown = view(&updated, credential.as_ref(), &state.platform_client_id);
            let emitted = if status == "blocked" {
                event(
                    events::VERIFICATION_COMPLETED,
                    id,
                    &OutcomeEvent {
                        operation_run_id: run_id,
                        connection_id: id,
                        outcome: "blocked",
                        health_status: health,
                        connection: &shown,
                    },
                )
            } else {
                event(events::CONNECTION_UPDATED, id, &shown)
            };
            persistence::outbox::append(conn, &[emitted]).await?;
            audit::record(conn, audit_as(status)).await?;
            Ok(Outcome::Done(StartResponse {
                status,
                operation_run_id: run_id,
            }))
        })
        .await?
        .into_result()?;
    if answer.status == "started" {
        state.worker_wake.notify_one();
    }
    Ok(answer)
}

/// Reads one run (extension `GET /verification-runs/{run}`): `view` on its connection's tenant.
pub async fn get_run(state: &AppState, caller: &Caller, run_id: i64) -> Result<Run, ApiError> {
    let mut conn = conn(state).await?;
    let not_accessible =
        || ApiError::NotFound(format!("verification run {run_id} is not accessible"));
    let run = find_run(&mut conn, run_id)
        .await?
        .filter(|r| caller.reaches(&r.workspace_id, &r.tenant))
        .ok_or_else(not_accessible)?;
    if !caller.has(Capability::View) {
        return Err(ApiError::Forbidden(format!(
            "reading verification runs needs the {} capability",
            Capability::View.as_str()
        )));
    }
    Ok(run)
}

async fn find_run(conn: &mut AsyncPgConnection, run_id: i64) -> QueryResult<Option<Run>> {
    runs::table
        .find(run_id)
        .select(Run::as_select())
        .first(conn)
        .await
        .optional()
}
