//! `POST /tenants/{tenant}/provider-connections`.

use super::NOT_VERIFIED;
use crate::AppState;
use crate::auth::{Caller, Capability};
use crate::authz::{Gate, Stop, settle};
use crate::context::Ctx;
use crate::credentials;
use crate::db::models::{Action, Connection, ConnectionType, CredentialMeta, CredentialSource};
use crate::db::schema::provider_connections as pc;
use crate::db::{TenantLock, lock_tenant};
use crate::error::ApiError;
use crate::events::{self, EMIT};
use crate::input::CreateInput;
use crate::views::{ConnectionView, view, views};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use domain::FieldError;
use event_types::provider_connection::Credential;
use persistence::outbox::wake_after_commit;

/// Needs `manage` (plus `manage_dedicated` for a dedicated connection). A new default demotes the previous
/// default of the tenant and provider under a per-tenant advisory lock, so two concurrent creates cannot both
/// stay default.
///
/// Versions: the new connection starts at 1 (`connection.created`), 2 when the create stores a dedicated
/// credential (`credential.stored`, same transaction, set by the insert itself); each demoted connection is bumped
/// by the demoting update (its `connection.updated`, whose `changes` is `is_default` true -> false: the update
/// only matches default rows, so no read of them is needed).
pub async fn create(
    state: &AppState,
    caller: &Caller,
    ctx: &Ctx,
    tenant: &str,
    input: Result<CreateInput, FieldError>,
) -> Result<ConnectionView, ApiError> {
    let mut conn = persistence::db::conn(&state.pool).await?;
    wake_after_commit(
        conn.transaction(async |conn| settle(run(conn, state, caller, ctx, tenant, input).await))
            .await,
    )?
}

async fn run(
    conn: &mut AsyncPgConnection,
    state: &AppState,
    caller: &Caller,
    ctx: &Ctx,
    tenant: &str,
    input: Result<CreateInput, FieldError>,
) -> Result<ConnectionView, Stop> {
    let gate = Gate::new(caller, Action::Create, Some(tenant), None);
    if !caller.reaches_tenant(tenant) {
        let refusal = ApiError::tenant_not_accessible(tenant);
        return Err(gate.refuse(conn, "not_accessible", refusal).await);
    }
    gate.require(conn, Capability::Manage, "creating a connection")
        .await?;
    let input = gate.valid(conn, input).await?;
    if input.connection_type == ConnectionType::Dedicated {
        gate.require(
            conn,
            Capability::ManageDedicated,
            "creating a dedicated connection",
        )
        .await?;
    }
    lock_tenant(conn, TenantLock::Defaults, &caller.workspace_id, tenant).await?;
    let demoted: Vec<Connection> = if input.is_default {
        diesel::update(
            pc::table
                .filter(pc::workspace_id.eq(&caller.workspace_id))
                .filter(pc::tenant.eq(tenant))
                .filter(pc::provider.eq(input.provider))
                .filter(pc::is_default),
        )
        .set((
            pc::is_default.eq(false),
            pc::updated_at.eq(diesel::dsl::now),
            pc::version.eq(pc::version + 1),
        ))
        .returning(Connection::as_returning())
        .get_results(conn)
        .await?
    } else {
        Vec::new()
    };
    let legacy = input
        .dedicated_credential
        .as_ref()
        .is_some_and(|c| c.source == CredentialSource::LegacyMigrated);
    let row: Connection = diesel::insert_into(pc::table)
        .values((
            pc::workspace_id.eq(&caller.workspace_id),
            pc::tenant.eq(tenant),
            pc::provider.eq(input.provider),
            pc::entra_tenant_id.eq(&input.entra_tenant_id),
            pc::display_name.eq(&input.display_name),
            pc::is_default.eq(input.is_default),
            pc::connection_type.eq(input.connection_type),
            pc::health_status.eq(NOT_VERIFIED),
            pc::migration_review_required.eq(legacy),
            pc::version.eq(if input.dedicated_credential.is_some() {
                2
            } else {
                1
            }),
        ))
        .returning(Connection::as_returning())
        .get_result(conn)
        .await?;
    let mut emitted = Vec::new();
    let credential = match &input.dedicated_credential {
        Some(credential) => {
            credentials::store(conn, &state.secrets, row.id, credential).await?;
            emitted.push(EMIT.event::<events::CredentialStored>(
                ctx,
                row.id,
                &Credential {
                    connection_id: row.id.get(),
                    client_id: credential.client_id.clone(),
                    source: credential.source,
                    key_id: Some(state.secrets.active_key_id().to_owned()),
                },
                row.version,
            ));
            Some(CredentialMeta {
                client_id: credential.client_id.clone(),
                source: credential.source,
            })
        }
        None => None,
    };
    let created = view(&row, credential.as_ref(), &state.platform_client_id);
    emitted.insert(
        0,
        EMIT.event::<events::ConnectionCreated>(ctx, row.id, &created, 1),
    );
    let demoted_ids: Vec<_> = demoted.iter().map(|r| r.id).collect();
    let demoted_credentials = credentials::metas(conn, &demoted_ids).await?;
    let shown = views(&demoted, &demoted_credentials, &state.platform_client_id);
    for (row, after) in demoted.iter().zip(&shown) {
        let before = ConnectionView {
            is_default: true,
            ..after.clone()
        };
        emitted.push(EMIT.updated::<events::ConnectionUpdated>(
            ctx,
            row.id,
            &before,
            after,
            row.version,
        ));
    }
    persistence::outbox::append(conn, &emitted).await?;
    let reason = (!demoted.is_empty()).then_some("previous_default_demoted");
    gate.on(row.id).allow(conn, reason).await?;
    Ok(created)
}
