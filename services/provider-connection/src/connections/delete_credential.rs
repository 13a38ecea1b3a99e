//! `DELETE /provider-connections/{connection}/dedicated-credential`.

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
use crate::views::view;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use event_types::provider_connection::Credential;
use persistence::outbox::wake_after_commit;

/// Deletes the dedicated credential: `manage_dedicated` and the confirmation header. On a dedicated connection
/// this removes its app: consent and verification start over.
///
/// Two events about the connection (`credential.deleted`, then `connection.updated`): one update bumps its
/// version by two (on a platform connection, whose app does not change, the update only bumps the version).
pub async fn delete_credential(
    state: &AppState,
    caller: &Caller,
    ctx: &Ctx,
    id: ConnectionId,
    confirmation: Option<&str>,
) -> Result<(), ApiError> {
    let mut conn = persistence::db::conn(&state.pool).await?;
    wake_after_commit(
        conn.transaction(async |conn| {
            settle(run(conn, state, caller, ctx, id, confirmation).await)
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
    confirmation: Option<&str>,
) -> Result<(), Stop> {
    let (row, gate) = authorize(
        conn,
        caller,
        id,
        Action::DeleteCredential,
        Capability::ManageDedicated,
    )
    .await?;
    gate.confirmed(conn, id, confirmation).await?;
    let Some(deleted) = credentials::delete(conn, id).await? else {
        let refusal = ApiError::NotFound(format!(
            "provider connection {id} has no dedicated credential"
        ));
        return Err(gate.refuse(conn, "no_credential", refusal).await);
    };
    let changed: Connection = if row.connection_type == ConnectionType::Dedicated {
        diesel::update(pc::table.find(id))
            .set((
                app_changed_values(),
                pc::migration_review_required.eq(false),
                pc::updated_at.eq(diesel::dsl::now),
                pc::version.eq(pc::version + 2),
            ))
            .returning(Connection::as_returning())
            .get_result(conn)
            .await?
    } else {
        diesel::update(pc::table.find(id))
            .set(pc::version.eq(pc::version + 2))
            .returning(Connection::as_returning())
            .get_result(conn)
            .await?
    };
    let platform = &state.platform_client_id;
    let shown = view(&changed, None, platform);

    let removed = Credential {
        connection_id: id.get(),
        client_id: deleted.client_id.clone(),
        source: deleted.source,
        key_id: None,
    };
    persistence::outbox::append(
        conn,
        &[
            EMIT.event::<events::CredentialDeleted>(ctx, id, &removed, changed.version - 1),
            EMIT.updated::<events::ConnectionUpdated>(
                ctx,
                id,
                &view(&row, Some(&deleted), platform),
                &shown,
                changed.version,
            ),
        ],
    )
    .await?;
    gate.allow(conn, None).await?;
    Ok(())
}
