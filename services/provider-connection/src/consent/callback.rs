//! `GET /consent/callback`: Microsoft's answer, through the administrator's browser, to a consent link.

use crate::AppState;
use crate::audit::{self, CONSENT_CALLBACK_ACTOR, Decision};
use crate::context::Ctx;
use crate::credentials;
use crate::db::models::{Action, AuditOutcome, Connection, ConsentStatus};
use crate::db::schema::{consent_states, provider_connections as pc};
use crate::error::ApiError;
use crate::events::{self, EMIT};
use crate::input::CallbackQuery;
use crate::views::{CallbackPage, effective_app, view};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use persistence::outbox::wake_after_commit;
use security::jwt::JwtError;
use uuid::Uuid;

/// Bounds echoed text (Microsoft's descriptions run long; a forged one could be huge).
fn clip(text: &str, max: usize) -> String {
    let clipped: String = text.chars().filter(|c| !c.is_control()).take(max).collect();
    if text.chars().count() > max {
        format!("{clipped}…")
    } else {
        clipped
    }
}

fn truthy(value: Option<&str>) -> bool {
    value.is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

/// Whether the tenant Microsoft names is the connection's (a domain-named connection accepts any tenant GUID:
/// Microsoft always answers with the GUID).
fn expected_tenant(connection_tenant: &str, answered: Option<&str>) -> bool {
    let Some(answered) = answered else {
        return false;
    };
    match Uuid::try_parse(connection_tenant) {
        Ok(expected) => Uuid::try_parse(answered).is_ok_and(|got| got == expected),
        Err(_) => Uuid::try_parse(answered).is_ok(),
    }
}

/// The state is the credential: missing, forged, expired or replayed is 403; a connection that no longer exists
/// is 404. A valid state with `admin_consent=True` and the expected tenant grants consent; an `error` (or
/// anything else) marks it failed. The state is consumed either way. The consent event bumps the connection's
/// version (locked first); its actor is `system:consent-callback` (see `Ctx::consent_callback`).
pub async fn callback(
    state: &AppState,
    ctx: &Ctx,
    query: CallbackQuery,
    request_id: Option<&str>,
) -> Result<CallbackPage, ApiError> {
    let refused = |message: &str| Ok(CallbackPage::new(403, "Consent link not valid", message));
    let Some(raw_state) = query.state.as_deref().filter(|s| !s.is_empty()) else {
        return refused(
            "This page was opened without a consent state. Start again from the admin-consent link.",
        );
    };
    let claims = match state.consent_signer.check(raw_state) {
        Ok(claims) => claims,
        Err(JwtError::Expired) => {
            return refused("This consent link has expired. Ask for a new admin-consent link.");
        }
        Err(err) => {
            tracing::info!(reason = %err, "consent callback with an invalid state");
            return refused(
                "This consent state is not valid. Start again from the admin-consent link.",
            );
        }
    };
    let id = claims.cid;
    let mut conn = persistence::db::conn(&state.pool).await?;
    let done = conn.transaction::<_, ApiError, _>(async |conn| {
        let row: Option<Connection> = pc::table
            .find(id)
            .select(Connection::as_select())
            .for_update()
            .first(conn)
            .await
            .optional()?;
        let Some(row) = row else {
            return Ok(CallbackPage::new(
                404,
                "Connection not found",
                "The provider connection this consent was for no longer exists.",
            ));
        };
        let decision = |reason| Decision {
            actor: CONSENT_CALLBACK_ACTOR,
            workspace_id: &row.workspace_id,
            tenant: Some(&row.tenant),
            connection_id: Some(id),
            action: Action::ConsentCallback,
            outcome: AuditOutcome::Allowed,
            reason: Some(reason),
            request_id,
        };
        let consumed = diesel::update(
            consent_states::table
                .find(claims.nonce)
                .filter(consent_states::connection_id.eq(id))
                .filter(consent_states::consumed_at.is_null())
                .filter(consent_states::expires_at.gt(diesel::dsl::now)),
        )
        .set(consent_states::consumed_at.eq(diesel::dsl::now))
        .execute(conn)
        .await?;
        if consumed == 0 {
            audit::record(conn, decision("state_replayed").denied("state_replayed")).await?;
            return Ok(CallbackPage::new(
                403,
                "Consent link not valid",
                "This consent link was already used. Ask for a new admin-consent link.",
            ));
        }
        let credential = credentials::meta(conn, id).await?;
        let current_app =
            effective_app(&row, credential.as_ref(), &state.platform_client_id).map(|a| a.client_id);
        let (status, page, reason) = if let Some(error) = &query.error {
            let description = clip(query.error_description.as_deref().unwrap_or(""), 300);
            let error = clip(error, 100);
            let separator = if description.is_empty() { "" } else { ": " };
            (
                ConsentStatus::Failed,
                CallbackPage::new(
                    200,
                    "Admin consent was not granted",
                    format!("Microsoft reported: {error}{separator}{description}"),
                ),
                "consent_failed",
            )
        } else if current_app.as_deref() != Some(claims.app.as_str()) {
            (
                ConsentStatus::Failed,
                CallbackPage::new(
                    200,
                    "Admin consent not recorded",
                    "The connection's application changed after this link was issued. Ask for a new admin-consent link.",
                ),
                "consent_failed:app_changed",
            )
        } else if !truthy(query.admin_consent.as_deref()) {
            (
                ConsentStatus::Failed,
                CallbackPage::new(
                    200,
                    "Admin consent was not granted",
                    "Microsoft did not confirm the consent.",
                ),
                "consent_failed:not_confirmed",
            )
        } else if !expected_tenant(&row.entra_tenant_id, query.tenant.as_deref()) {
            (
                ConsentStatus::Failed,
                CallbackPage::new(
                    200,
                    "Admin consent not recorded",
                    format!(
                        "Consent was given in another tenant than {}. Sign in with an administrator of that tenant.",
                        row.entra_tenant_id
                    ),
                ),
                "consent_failed:tenant_mismatch",
            )
        } else {
            (
                ConsentStatus::Granted,
                CallbackPage::new(
                    200,
                    "Admin consent granted",
                    format!(
                        "Consent for {} is recorded. You can now verify the connection.",
                        row.display_name
                    ),
                ),
                "consent_granted",
            )
        };
        let granted = status == ConsentStatus::Granted;
        let health = if granted {
            "Admin consent granted; not verified yet".to_owned()
        } else {
            format!("Admin consent failed: {}", page.message)
        };
        let updated: Connection = diesel::update(pc::table.find(id))
            .set((
                pc::consent_status.eq(status),
                pc::health_status.eq(&health),
                pc::updated_at.eq(diesel::dsl::now),
                pc::version.eq(pc::version + 1),
            ))
            .returning(Connection::as_returning())
            .get_result(conn)
            .await?;
        let shown = view(&updated, credential.as_ref(), &state.platform_client_id);
        let emitted = if granted {
            EMIT.event::<events::ConsentGranted>(ctx, id, &shown, updated.version)
        } else {
            EMIT.event::<events::ConsentFailed>(ctx, id, &shown, updated.version)
        };
        persistence::outbox::append(conn, &[emitted]).await?;
        audit::record(conn, decision(reason)).await?;
        Ok(page)
    })
    .await;
    wake_after_commit(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(q: &str) -> CallbackQuery {
        let req = actix_web::test::TestRequest::with_uri(&format!("/cb?{q}")).to_http_request();
        CallbackQuery::read(&req)
    }

    #[test]
    fn callback_query_reads_both_shapes() {
        let v1 = query("admin_consent=True&tenant=t&state=s");
        assert_eq!(v1.state.as_deref(), Some("s"));
        assert!(truthy(v1.admin_consent.as_deref()));
        let v2 = query(
            "tenant=t&state=s&admin_consent=True&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default",
        );
        assert_eq!(v2.tenant.as_deref(), Some("t"));
        let err = query("error=access_denied&error_description=AADSTS65004%3A+declined&state=s");
        assert_eq!(
            err.error_description.as_deref(),
            Some("AADSTS65004: declined")
        );
    }

    #[test]
    fn tenant_expectation() {
        let guid = "72f988bf-86f1-41af-91ab-2d7cd011db47";
        assert!(expected_tenant(guid, Some(&guid.to_uppercase())));
        assert!(!expected_tenant(
            guid,
            Some("0b4a9f24-4d3b-4f4c-9a57-1c0c4a1f0e11")
        ));
        assert!(expected_tenant("contoso.com", Some(guid)));
        assert!(!expected_tenant("contoso.com", Some("evil")));
        assert!(!expected_tenant(guid, None));
    }
}
