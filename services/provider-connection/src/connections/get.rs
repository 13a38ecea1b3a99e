//! Extension `GET /provider-connections/{connection}`.

use crate::AppState;
use crate::auth::{Caller, Capability};
use crate::credentials;
use crate::db::models::Connection;
use crate::db::schema::provider_connections as pc;
use crate::error::ApiError;
use crate::ids::ConnectionId;
use crate::views::{ConnectionView, view};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

/// Reads one connection: `view` on its tenant. A read: not audited.
pub async fn get(
    state: &AppState,
    caller: &Caller,
    id: ConnectionId,
) -> Result<ConnectionView, ApiError> {
    let mut conn = persistence::db::conn(&state.pool).await?;
    let row = pc::table
        .find(id)
        .select(Connection::as_select())
        .first(&mut conn)
        .await
        .optional()?
        .filter(|r| caller.reaches(&r.workspace_id, &r.tenant))
        .ok_or_else(|| ApiError::connection_not_accessible(id))?;
    caller.require(Capability::View, "reading connections")?;
    let credential = credentials::meta(&mut conn, id).await?;
    Ok(view(&row, credential.as_ref(), &state.platform_client_id))
}
