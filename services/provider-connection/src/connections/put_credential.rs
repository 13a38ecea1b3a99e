//! `PUT /provider-connections/{connection}/dedicated-credential`.

use super::app_changed_values;
use crate::AppState;
use crate::auth::{Caller, Capability};
use crate::authz::{Stop, authorize, settle};
use crate::context::Ctx;
use crate::credentials;
use crate::db::models::{Action, Connection, ConnectionType, CredentialMeta, CredentialSource};
use crate::db::schema::provider_connections as pc;
use crate::error::ApiError;
use crate::events::{self, EMIT};
use crate::ids::ConnectionId;
use crate::input::CredentialInput;
use crate::views::{ConnectionView, view};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use domain::FieldError;
use event_types::provider_connection::Credential;
use persistence::outbox::wake_after_commit;

/// Creates or rotates the dedicated credential (dedicated connections only): `manage_dedicated`. A new client id
/// is a new app: consent and verification start over. A `legacy_migrated` credential flags the connection for
/// review until a verification succeeds.
///
/// Two events about the connection (`credential.stored`, then `connection.updated`): its update bumps the
/// version by two, the events carry the two versions in order. The row locked by `authorize` and the previous
/// credential are the `before` of the update's `changes`.
pub async fn put_credential(
    state: &AppState,
    caller: &Caller,
    ctx: &Ctx,
    id: ConnectionId,
    input: Result<CredentialInput, FieldError>,
) -> Result<ConnectionView, ApiError> {
    let mut conn = persistence::db::conn(&state.pool).await?;
    wake_after_commit(
        conn.transaction(async |conn| settle(run(conn, state, caller, ctx, id, input).await))
            .await,
    )?
}

async fn run(
    conn: &mut AsyncPgConnection,
    state: &AppState,
    caller: &Caller,
    ctx: &Ctx,
    id: ConnectionId,
    input: Result<CredentialInput, FieldError>,
) -> Result<ConnectionView, Stop> {
    let (row, gate) = authorize(
        conn,
        caller,
        id,
        Action::PutCredential,
        Capability::ManageDedicated,
    )
    .await?;
    let input = gate.valid(conn, input).await?;
    if row.connection_type != ConnectionType::Dedicated {
        let refusal = ApiError::Conflict(format!(
            "provider connection {id} is a platform connection; switch it to dedicated first"
        ));
        return Err(gate.refuse(conn, "not_dedicated", refusal).await);
    }
    let previous = credentials::meta(conn, id).await?;
    credentials::store(conn, &state.secrets, id, &input).await?;
    let app_changed =
        previous.as_ref().map(|p| p.client_id.as_str()) != Some(input.client_id.as_str());
    let legacy = input.source == CredentialSource::LegacyMigrated;
    let changed: Connection = if app_changed {
        diesel::update(pc::table.find(id))
            .set((
                app_changed_values(),
                pc::migration_review_required.eq(legacy),
                pc::updated_at.eq(diesel::dsl::now),
                pc::version.eq(pc::version + 2),
            ))
            .returning(Connection::as_returning())
            .get_result(conn)
            .await?
    } else {
        diesel::update(pc::table.find(id))
            .set((
                pc::migration_review_required.eq(legacy),
                pc::updated_at.eq(diesel::dsl::now),
                pc::version.eq(pc::version + 2),
            ))
            .returning(Connection::as_returning())
            .get_result(conn)
            .await?
    };
    let meta = CredentialMeta {
        client_id: input.client_id.clone(),
        source: input.source,
    };
    let platform = &state.platform_client_id;
    let shown = view(&changed, Some(&meta), platform);
    let stored = Credential {
        connection_id: id.get(),
        client_id: input.client_id.clone(),
        source: input.source,
        key_id: Some(state.secrets.active_key_id().to_owned()),
    };
    persistence::outbox::append(
        conn,
        &[
            EMIT.event::<events::CredentialStored>(ctx, id, &stored, changed.version - 1),
            EMIT.updated::<events::ConnectionUpdated>(
                ctx,
                id,
                &view(&row, previous.as_ref(), platform),
                &shown,
                changed.version,
            ),
        ],
    )
    .await?;
    let reason = if previous.is_some() {
        "rotated"
    } else {
        "created"
    };
    gate.allow(conn, Some(reason)).await?;
    Ok(shown)
}
