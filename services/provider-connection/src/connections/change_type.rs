//! `PUT /provider-connections/{connection}/connection-type`.

use super::app_changed_values;
use crate::AppState;
use crate::auth::{Caller, Capability};
use crate::authz::{Stop, authorize, settle};
use crate::context::Ctx;
use crate::credentials;
use crate::db::models::{Action, Connection, ConnectionType};
use crate::db::schema::provider_connections as pc;
use crate::error::ApiError;
use crate::events::{self, EMIT};
use crate::ids::ConnectionId;
use crate::views::{ConnectionView, effective_app, view};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use domain::FieldError;
use persistence::outbox::wake_after_commit;

/// Needs `manage_dedicated` and the confirmation header. When the effective app changes, consent and
/// verification start over. The type's update bumps the connection's version (the row is already locked by
/// `authorize`, which is also the `before` of the event's `changes`); an unchanged type emits nothing.
pub async fn change_type(
    state: &AppState,
    caller: &Caller,
    ctx: &Ctx,
    id: ConnectionId,
    target: Result<ConnectionType, FieldError>,
    confirmation: Option<&str>,
) -> Result<ConnectionView, ApiError> {
    let mut conn = persistence::db::conn(&state.pool).await?;
    wake_after_commit(
        conn.transaction(async |conn| {
            settle(run(conn, state, caller, ctx, id, target, confirmation).await)
        })
        .await,
    )?
}

async fn run(
    conn: &mut AsyncPgConnection,
    state: &AppState,
    caller: &Caller,
    ctx: &Ctx,
    id: ConnectionId,
    target: Result<ConnectionType, FieldError>,
    confirmation: Option<&str>,
) -> Result<ConnectionView, Stop> {
    let (row, gate) = authorize(
        conn,
        caller,
        id,
        Action::ChangeType,
        Capability::ManageDedicated,
    )
    .await?;
    let target = gate.valid(conn, target).await?;
    gate.confirmed(conn, id, confirmation).await?;
    let credential = credentials::meta(conn, id).await?;
    let platform = &state.platform_client_id;
    if row.connection_type == target {
        gate.allow(conn, Some("unchanged")).await?;
        return Ok(view(&row, credential.as_ref(), platform));
    }
    // The effective app depends on the type and the credential only: known before the update, so the type
    // and, when the app changes, the reset of consent and verification are one UPDATE.
    let before = effective_app(&row, credential.as_ref(), platform).map(|a| a.client_id);
    let switched = Connection {
        connection_type: target,
        ..row.clone()
    };
    let after = effective_app(&switched, credential.as_ref(), platform).map(|a| a.client_id);
    let update = diesel::update(pc::table.find(id));
    let changed: Connection = if before != after {
        update
            .set((
                pc::connection_type.eq(target),
                app_changed_values(),
                pc::updated_at.eq(diesel::dsl::now),
                pc::version.eq(pc::version + 1),
            ))
            .returning(Connection::as_returning())
            .get_result(conn)
            .await?
    } else {
        update
            .set((
                pc::connection_type.eq(target),
                pc::updated_at.eq(diesel::dsl::now),
                pc::version.eq(pc::version + 1),
            ))
            .returning(Connection::as_returning())
            .get_result(conn)
            .await?
    };
    let shown = view(&changed, credential.as_ref(), platform);
    let emitted = EMIT.updated::<events::ConnectionTypeChanged>(
        ctx,
        id,
        &view(&row, credential.as_ref(), platform),
        &shown,
        changed.version,
    );
    persistence::outbox::append(conn, &[emitted]).await?;
    let reason = format!("{} -> {}", row.connection_type, target);
    gate.allow(conn, Some(&reason)).await?;
    Ok(shown)
}
