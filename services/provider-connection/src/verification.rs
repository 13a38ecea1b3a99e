//! Starting verification runs and reading them. The runs themselves are done by [`crate::worker`].
//!
//! A start is one transaction under a per-tenant advisory lock: an active run of the same connection is
//! `deduped`, an active run of another connection of the tenant is `scope_busy`, a connection without consent or
//! credential gets a `blocked` run recorded with its reason, anything else a `queued` run (`started`). The partial
//! unique index `verification_runs_one_active_per_scope` backs the lock.

use crate::AppState;
use crate::auth::{Caller, Capability};
use crate::authz::{Stop, authorize, settle};
use crate::context::Ctx;
use crate::credentials;
use crate::db::models::{
    Action, Connection, ConsentStatus, Run, RunOutcome, RunStatus, VerificationStatus,
};
use crate::db::schema::{provider_connections as pc, verification_runs as runs};
use crate::db::{TenantLock, lock_tenant};
use crate::error::ApiError;
use crate::events::{self, EMIT};
use crate::ids::{ConnectionId, RunId};
use crate::views::{RunView, StartResponse, StartStatus, effective_app, view};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use event_types::provider_connection::VerificationOutcome;
use persistence::outbox::wake_after_commit;

/// Health text of a dedicated connection that has no credential to verify with.
pub const NO_CREDENTIAL: &str = "Blocked: the dedicated connection has no credential";

/// Why a connection cannot be verified yet, if it cannot.
fn blocked_reason(row: &Connection, has_app: bool) -> Option<&'static str> {
    if !has_app {
        Some(NO_CREDENTIAL)
    } else if row.consent_status != ConsentStatus::Granted {
        Some("Blocked: admin consent has not been granted")
    } else {
        None
    }
}

/// `POST .../verification`: `run_verification`. Always 202: started, deduped, scope_busy or blocked. A started
/// or blocked run updates the connection (bumping its version; the row locked by `authorize` is the `before` of a
/// `connection.updated`'s `changes`); a deduped or busy one changes nothing.
pub async fn start(
    state: &AppState,
    caller: &Caller,
    ctx: &Ctx,
    id: ConnectionId,
) -> Result<StartResponse, ApiError> {
    let mut conn = persistence::db::conn(&state.pool).await?;
    let answer = wake_after_commit(
        conn.transaction(async |conn| settle(run(conn, state, caller, ctx, id).await))
            .await,
    )??;
    if answer.status == StartStatus::Started {
        state.worker_wake.notify_one();
    }
    Ok(answer)
}

async fn run(
    conn: &mut AsyncPgConnection,
    state: &AppState,
    caller: &Caller,
    ctx: &Ctx,
    id: ConnectionId,
) -> Result<StartResponse, Stop> {
    let (row, gate) = authorize(
        conn,
        caller,
        id,
        Action::Verify,
        Capability::RunVerification,
    )
    .await?;
    lock_tenant(conn, TenantLock::Runs, &row.workspace_id, &row.tenant).await?;
    let active: Option<(RunId, ConnectionId)> = runs::table
        .filter(runs::workspace_id.eq(&row.workspace_id))
        .filter(runs::tenant.eq(&row.tenant))
        .filter(runs::status.eq_any(RunStatus::ACTIVE))
        .select((runs::id, runs::connection_id))
        .first(conn)
        .await
        .optional()?;
    if let Some((run_id, holder)) = active {
        let status = if holder == id {
            StartStatus::Deduped
        } else {
            StartStatus::ScopeBusy
        };
        gate.allow(conn, Some(status.as_str())).await?;
        return Ok(StartResponse {
            status,
            operation_run_id: run_id,
        });
    }
    let credential = credentials::meta(conn, id).await?;
    let has_app = effective_app(&row, credential.as_ref(), &state.platform_client_id).is_some();
    let blocked = blocked_reason(&row, has_app);
    let (status, run_status, verification, health) = match blocked {
        Some(reason) => (
            StartStatus::Blocked,
            RunStatus::Blocked,
            VerificationStatus::Blocked,
            reason,
        ),
        None => (
            StartStatus::Started,
            RunStatus::Queued,
            VerificationStatus::Pending,
            "Verification queued",
        ),
    };
    let run_id: RunId = diesel::insert_into(runs::table)
        .values((
            runs::connection_id.eq(id),
            runs::workspace_id.eq(&row.workspace_id),
            runs::tenant.eq(&row.tenant),
            runs::status.eq(run_status),
            runs::outcome.eq(blocked.map(|_| RunOutcome::Blocked)),
            runs::detail.eq(blocked),
            runs::requested_by.eq(&caller.member),
            runs::finished_at.eq(blocked.map(|_| chrono::Utc::now())),
        ))
        .returning(runs::id)
        .get_result(conn)
        .await?;
    let changed: Connection = diesel::update(pc::table.find(id))
        .set((
            pc::verification_status.eq(verification),
            pc::health_status.eq(health),
            pc::updated_at.eq(diesel::dsl::now),
            pc::version.eq(pc::version + 1),
        ))
        .returning(Connection::as_returning())
        .get_result(conn)
        .await?;
    let platform = &state.platform_client_id;
    let shown = view(&changed, credential.as_ref(), platform);
    let emitted = if blocked.is_some() {
        let outcome = VerificationOutcome {
            operation_run_id: run_id.get(),
            connection_id: id.get(),
            outcome: RunOutcome::Blocked,
            health_status: health.to_owned(),
            connection: shown.clone(),
        };
        EMIT.event::<events::VerificationCompleted>(ctx, id, &outcome, changed.version)
    } else {
        let before = view(&row, credential.as_ref(), platform);
        EMIT.updated::<events::ConnectionUpdated>(ctx, id, &before, &shown, changed.version)
    };
    persistence::outbox::append(conn, &[emitted]).await?;
    gate.allow(conn, Some(status.as_str())).await?;
    Ok(StartResponse {
        status,
        operation_run_id: run_id,
    })
}

/// Extension `GET /verification-runs/{run}`: `view` on its connection's tenant. A read: not audited.
pub async fn get_run(
    state: &AppState,
    caller: &Caller,
    run_id: RunId,
) -> Result<RunView, ApiError> {
    let mut conn = persistence::db::conn(&state.pool).await?;
    let run: Run = runs::table
        .find(run_id)
        .select(Run::as_select())
        .first(&mut conn)
        .await
        .optional()?
        .filter(|r| caller.reaches(&r.workspace_id, &r.tenant))
        .ok_or_else(|| {
            ApiError::NotFound(format!("verification run {run_id} is not accessible"))
        })?;
    caller.require(Capability::View, "reading verification runs")?;
    Ok(run.into())
}
