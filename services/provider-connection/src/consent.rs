//! Admin consent: the canonical Microsoft v2 admin-consent link, and the callback Microsoft sends the
//! administrator's browser back to.
//!
//! The `state` is an HS256 JWT (key from configuration) naming the connection, the app consented to, a nonce and
//! an expiry: the signature makes it unforgeable and bound to the connection, `exp` makes it expire, and the
//! nonce's row in `consent_states` (consumed on first use) makes it single-use.

use crate::AppState;
use crate::audit::{self, CONSENT_CALLBACK_ACTOR, Decision, actions};
use crate::auth::{Caller, Capability};
use crate::connections::{Outcome, authorize, conn, credential_meta, effective_app, view};
use crate::db::models::Connection;
use crate::db::schema::{consent_states, provider_connections as pc};
use crate::error::ApiError;
use crate::events::{self, event};
use chrono::{Duration, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use security::jwt::{JwtError, JwtKeySettings, JwtSettings, JwtVerifier};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

const STATE_ISSUER: &str = "provider-connection";
const STATE_AUDIENCE: &str = "provider-connection/admin-consent";
const STATE_KID: &str = "consent-state";
/// The one scope asked for: the application permissions configured on the app.
pub const GRAPH_DEFAULT_SCOPE: &str = "https://graph.microsoft.com/.default";

/// The contract's `AdminConsentLinkResponse`.
#[derive(Debug, Serialize)]
pub struct ConsentLink {
    pub url: String,
    pub client_id: String,
    pub connection_type: String,
}

#[derive(Serialize, Deserialize)]
struct StateClaims {
    iss: String,
    aud: String,
    exp: i64,
    /// The connection the consent is for.
    cid: i64,
    /// The app (client id) the link asked consent for.
    app: String,
    nonce: Uuid,
}

/// Signs and checks consent states.
pub struct StateSigner {
    key: EncodingKey,
    verifier: JwtVerifier,
    ttl: std::time::Duration,
}

impl StateSigner {
    pub fn new(secret: &str, ttl_secs: u64) -> anyhow::Result<Self> {
        let verifier = JwtVerifier::new(&JwtSettings {
            issuer: STATE_ISSUER.to_owned(),
            audience: STATE_AUDIENCE.to_owned(),
            leeway_secs: 0,
            keys: vec![JwtKeySettings {
                kid: STATE_KID.to_owned(),
                alg: "HS256".to_owned(),
                secret: Some(secret.to_owned()),
                public_key_pem: None,
            }],
        })?;
        Ok(Self {
            key: EncodingKey::from_secret(secret.as_bytes()),
            verifier,
            ttl: std::time::Duration::from_secs(ttl_secs),
        })
    }

    fn sign(&self, claims: &StateClaims) -> Result<String, ApiError> {
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(STATE_KID.to_owned());
        jsonwebtoken::encode(&header, claims, &self.key)
            .map_err(|err| ApiError::Internal(format!("signing a consent state failed: {err}")))
    }

    fn check(&self, state: &str) -> Result<StateClaims, JwtError> {
        self.verifier.verify(state)
    }
}

/// `POST /provider-connections/{connection}/admin-consent-link`: needs `manage`. Moves `consent_status` from
/// `unknown` to `required`.
pub async fn link(state: &AppState, caller: &Caller, id: i64) -> Result<ConsentLink, ApiError> {
    let mut conn = conn(state).await?;
    conn.transaction::<_, ApiError, _>(async |conn| {
        let row = match authorize(conn, caller, id, actions::CONSENT_LINK, &[Capability::Manage]).await? {
            Ok(row) => row,
            Err(refusal) => return Ok(Outcome::Refused(refusal)),
        };
        let credential = credential_meta(conn, id).await?;
        let Some(client_id) = effective_app(&row, credential.as_ref(), &state.platform_client_id).0 else {
            audit::record(
                conn,
                Decision::by(caller, actions::CONSENT_LINK, Some(&row.tenant), Some(id)).denied("no_credential"),
            )
            .await?;
            return Ok(Outcome::Refused(ApiError::Conflict(format!(
                "dedicated provider connection {id} has no credential yet: store one before asking for consent"
            ))));
        };
        let nonce = Uuid::new_v4();
        let expires_at = Utc::now() + Duration::seconds(state.consent_signer.ttl.as_secs() as i64);
        diesel::insert_into(consent_states::table)
            .values((
                consent_states::nonce.eq(nonce),
                consent_states::connection_id.eq(id),
                consent_states::expires_at.eq(expires_at),
            ))
            .execute(conn)
            .await?;
        let signed = state.consent_signer.sign(&StateClaims {
            iss: STATE_ISSUER.to_owned(),
            aud: STATE_AUDIENCE.to_owned(),
            exp: expires_at.timestamp(),
            cid: id,
            app: client_id.clone(),
            nonce,
        })?;
        if row.consent_status == "unknown" {
            let updated: Connection = diesel::update(pc::table.find(id))
                .set((pc::consent_status.eq("required"), pc::updated_at.eq(diesel::dsl::now)))
                .returning(Connection::as_returning())
                .get_result(conn)
                .await?;
            let shown = view(&updated, credential.as_ref(), &state.platform_client_id);
            persistence::outbox::append(conn, &[event(events::CONNECTION_UPDATED, id, &shown)]).await?;
        }
        audit::record(conn, Decision::by(caller, actions::CONSENT_LINK, Some(&row.tenant), Some(id))).await?;
        let url = consent_url(&state.authority, &row.entra_tenant_id, &client_id, &state.redirect_uri, &signed)?;
        Ok(Outcome::Done(ConsentLink {
            url,
            client_id,
            connection_type: row.connection_type,
        }))
    })
    .await?
    .into_result()
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
        .map_err(|err| ApiError::Internal(format!("bad consent URL {base}: {err}")))?;
    url.query_pairs_mut()
        .append_pair("client_id", client_id)
        .append_pair("scope", GRAPH_DEFAULT_SCOPE)
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("state", state);
    Ok(url.into())
}

/// The callback's query: Microsoft's v1 shape (`admin_consent`, `tenant`, `state`) and v2 shape (the same plus
/// `scope`), or an error (`error`, `error_description`, `state`).
#[derive(Debug, Default)]
pub struct CallbackQuery {
    pub state: Option<String>,
    pub tenant: Option<String>,
    pub admin_consent: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
}

impl CallbackQuery {
    /// First occurrence of each parameter wins; unknown ones (`scope`, `session_state`) are ignored.
    pub fn parse(query: &str) -> Self {
        let mut q = Self::default();
        for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
            let slot = match name.as_ref() {
                "state" => &mut q.state,
                "tenant" => &mut q.tenant,
                "admin_consent" => &mut q.admin_consent,
                "error" => &mut q.error,
                "error_description" => &mut q.error_description,
                _ => continue,
            };
            if slot.is_none() {
                *slot = Some(value.into_owned());
            }
        }
        q
    }
}

/// What the callback page tells the administrator, with its status.
#[derive(Debug, Clone, PartialEq)]
pub struct CallbackPage {
    pub status: u16,
    pub title: &'static str,
    pub message: String,
}

impl CallbackPage {
    fn new(status: u16, title: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            title,
            message: message.into(),
        }
    }

    /// The page as HTML; everything echoed is escaped.
    pub fn html(&self) -> String {
        format!(
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title></head>\
             <body><h1>{title}</h1><p>{message}</p><p>You can close this window.</p></body></html>\n",
            title = escape(self.title),
            message = escape(&self.message),
        )
    }
}

/// HTML-escapes text for element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            other => out.push(other),
        }
    }
    out
}

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

/// `GET /consent/callback`. The state is the credential: missing, forged, expired or replayed is 403; a
/// connection that no longer exists is 404. A valid state with `admin_consent=True` and the expected tenant
/// grants consent; an `error` (or anything else) marks it failed. The state is consumed either way.
pub async fn callback(
    state: &AppState,
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
    let mut conn = conn(state).await?;
    conn.transaction::<_, ApiError, _>(async |conn| {
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
            action: actions::CONSENT_CALLBACK,
            allowed: true,
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
            let mut denied = decision("state_replayed");
            denied.allowed = false;
            audit::record(conn, denied).await?;
            return Ok(CallbackPage::new(
                403,
                "Consent link not valid",
                "This consent link was already used. Ask for a new admin-consent link.",
            ));
        }
        let credential = credential_meta(conn, id).await?;
        let current_app = effective_app(&row, credential.as_ref(), &state.platform_client_id).0;
        let (status, page, reason) = if let Some(error) = &query.error {
            let description = clip(query.error_description.as_deref().unwrap_or(""), 300);
            let error = clip(error, 100);
            (
                "failed",
                CallbackPage::new(200, "Admin consent was not granted", format!(
                    "Microsoft reported: {error}{}{description}",
                    if description.is_empty() { "" } else { ": " }
                )),
                "consent_failed",
            )
        } else if current_app.as_deref() != Some(claims.app.as_str()) {
            (
                "failed",
                CallbackPage::new(200, "Admin consent not recorded", "The connection's application changed after this link was issued. Ask for a new admin-consent link."),
                "consent_failed:app_changed",
            )
        } else if !truthy(query.admin_consent.as_deref()) {
            ("failed", CallbackPage::new(200, "Admin consent was not granted", "Microsoft did not confirm the consent."), "consent_failed:not_confirmed")
        } else if !expected_tenant(&row.entra_tenant_id, query.tenant.as_deref()) {
            (
                "failed",
                CallbackPage::new(200, "Admin consent not recorded", format!(
                    "Consent was given in another tenant than {}. Sign in with an administrator of that tenant.",
                    row.entra_tenant_id
                )),
                "consent_failed:tenant_mismatch",
            )
        } else {
            (
                "granted",
                CallbackPage::new(200, "Admin consent granted", format!(
                    "Consent for {} is recorded. You can now verify the connection.",
                    row.display_name
                )),
                "consent_granted",
            )
        };
        let health = if status == "granted" {
            "Admin consent granted; not verified yet".to_owned()
        } else {
            format!("Admin consent failed: {}", page.message)
        };
        let updated: Connection = diesel::update(pc::table.find(id))
            .set((
                pc::consent_status.eq(status),
                pc::health_status.eq(&health),
                pc::updated_at.eq(diesel::dsl::now),
            ))
            .returning(Connection::as_returning())
            .get_result(conn)
            .await?;
        let shown = view(&updated, credential.as_ref(), &state.platform_client_id);
        let kind = if status == "granted" { events::CONSENT_GRANTED } else { events::CONSENT_FAILED };
        persistence::outbox::append(conn, &[event(kind, id, &shown)]).await?;
        audit::record(conn, decision(reason)).await?;
        Ok(page)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape(r#"<script>alert("x")</script>&'"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#x27;"
        );
        let page = CallbackPage::new(200, "t", "<b>hi</b>");
        assert!(page.html().contains("&lt;b&gt;hi&lt;/b&gt;"));
        assert!(!page.html().contains("<b>"));
    }

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

    #[test]
    fn states_round_trip_and_tampering_is_caught() {
        let signer = StateSigner::new("0123456789abcdef0123456789abcdef", 60).unwrap();
        let claims = StateClaims {
            iss: STATE_ISSUER.to_owned(),
            aud: STATE_AUDIENCE.to_owned(),
            exp: Utc::now().timestamp() + 60,
            cid: 7,
            app: "a".to_owned(),
            nonce: Uuid::new_v4(),
        };
        let token = signer.sign(&claims).unwrap();
        assert_eq!(signer.check(&token).unwrap().cid, 7);
        let other = StateSigner::new("another-secret-of-at-least-32-bytes", 60).unwrap();
        assert_eq!(other.check(&token).err(), Some(JwtError::BadSignature));
        let expired = StateClaims {
            exp: Utc::now().timestamp() - 5,
            ..claims
        };
        assert_eq!(
            signer.check(&signer.sign(&expired).unwrap()).err(),
            Some(JwtError::Expired)
        );
    }

    #[test]
    fn callback_query_reads_both_shapes() {
        let v1 = CallbackQuery::parse("admin_consent=True&tenant=t&state=s");
        assert_eq!(v1.state.as_deref(), Some("s"));
        assert!(truthy(v1.admin_consent.as_deref()));
        let v2 = CallbackQuery::parse(
            "tenant=t&state=s&admin_consent=True&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default",
        );
        assert_eq!(v2.tenant.as_deref(), Some("t"));
        let err = CallbackQuery::parse(
            "error=access_denied&error_description=AADSTS65004%3A+declined&state=s",
        );
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
