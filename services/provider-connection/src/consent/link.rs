//! `POST /provider-connections/{connection}/admin-consent-link`.

use super::state::StateClaims;
use crate::AppState;
use crate::auth::{Caller, Capability};
use crate::authz::{Stop, authorize, settle};
use crate::context::Ctx;
use crate::credentials;
use crate::db::models::{Action, Connection, ConsentStatus};
use crate::db::schema::{consent_states, provider_connections as pc};
use crate::error::ApiError;
use crate::events::{self, EMIT};
use crate::ids::ConnectionId;
use crate::views::{ConsentLink, effective_app, view};
use chrono::Utc;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use persistence::outbox::wake_after_commit;
use uuid::Uuid;

/// The one scope asked for: the application permissions configured on the app.
pub const GRAPH_DEFAULT_SCOPE: &str = "https://graph.microsoft.com/.default";

/// Needs `manage`. Moves `consent_status` from `unknown` to `required` (a `connection.updated`, bumping the
/// connection's version; the row locked by `authorize` is its `before`).
pub async fn link(
    state: &AppState,
    caller: &Caller,
    ctx: &Ctx,
    id: ConnectionId,
) -> Result<ConsentLink, ApiError> {
    let mut conn = persistence::db::conn(&state.pool).await?;
    wake_after_commit(
        conn.transaction(async |conn| settle(run(conn, state, caller, ctx, id).await))
            .await,
    )?
}

async fn run(
    conn: &mut AsyncPgConnection,
    state: &AppState,
    caller: &Caller,
    ctx: &Ctx,
    id: ConnectionId,
) -> Result<ConsentLink, Stop> {
    let (row, gate) = authorize(conn, caller, id, Action::ConsentLink, Capability::Manage).await?;
    let credential = credentials::meta(conn, id).await?;
    let Some(app) = effective_app(&row, credential.as_ref(), &state.platform_client_id) else {
        let refusal = ApiError::Conflict(format!(
            "dedicated provider connection {id} has no credential yet: store one before asking for consent"
        ));
        return Err(gate.refuse(conn, "no_credential", refusal).await);
    };
    let client_id = app.client_id;
    let nonce = Uuid::new_v4();
    let expires_at = chrono::Duration::from_std(state.consent_signer.ttl())
        .ok()
        .and_then(|ttl| Utc::now().checked_add_signed(ttl))
        .ok_or_else(|| {
            ApiError::Internal(anyhow::anyhow!("consent.state_ttl_secs is out of range"))
        })?;
    diesel::insert_into(consent_states::table)
        .values((
            consent_states::nonce.eq(nonce),
            consent_states::connection_id.eq(id),
            consent_states::expires_at.eq(expires_at),
        ))
        .execute(conn)
        .await?;
    let claims = StateClaims::new(id, client_id.clone(), nonce, expires_at.timestamp());
    let signed = state.consent_signer.sign(&claims)?;
    if row.consent_status == ConsentStatus::Unknown {
        let changed: Connection = diesel::update(pc::table.find(id))
            .set((
                pc::consent_status.eq(ConsentStatus::Required),
                pc::updated_at.eq(diesel::dsl::now),
                pc::version.eq(pc::version + 1),
            ))
            .returning(Connection::as_returning())
            .get_result(conn)
            .await?;
        let platform = &state.platform_client_id;
        let emitted = EMIT.updated::<events::ConnectionUpdated>(
            ctx,
            id,
            &view(&row, credential.as_ref(), platform),
            &view(&changed, credential.as_ref(), platform),
            changed.version,
        );
        persistence::outbox::append(conn, &[emitted]).await?;
    }
    gate.allow(conn, None).await?;
    let url = consent_url(
        &state.authority,
        &row.entra_tenant_id,
        &client_id,
        &state.redirect_uri,
        &signed,
    )?;
    Ok(ConsentLink {
        url,
        client_id,
        connection_type: row.connection_type,
    })
}

/// `{authority}/{tenant}/v2.0/adminconsent?client_id=…&scope=…&redirect_uri=…&state=…`, every value encoded.
pub fn consent_url(
    authority: &str,
    tenant: &str,
    client_id: &str,
    redirect_uri: &str,
    state: &str,
) -> Result<String, ApiError> {
    let base = format!(
        "{}/{}/v2.0/adminconsent",
        authority.trim_end_matches('/'),
        tenant
    );
    let mut url = url::Url::parse(&base)
        .map_err(|err| ApiError::internal("the consent URL does not parse", err))?;
    url.query_pairs_mut()
        .append_pair("client_id", client_id)
        .append_pair("scope", GRAPH_DEFAULT_SCOPE)
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("state", state);
    Ok(url.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consent_url_is_canonical_and_encoded() {
        let url = consent_url(
            "https://login.microsoftonline.com/",
            "contoso.com",
            "app",
            "https://x/cb?a=1",
            "s.t",
        )
        .unwrap();
        assert_eq!(
            url,
            "https://login.microsoftonline.com/contoso.com/v2.0/adminconsent?client_id=app&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default&redirect_uri=https%3A%2F%2Fx%2Fcb%3Fa%3D1&state=s.t"
        );
    }
}
