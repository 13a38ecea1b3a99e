//! Connection use cases: create, read, change type, store / delete the dedicated credential.
//!
//! Every mutating use case is one transaction holding the decision's audit row, the change and its events; a
//! refusal (out of scope, missing capability, missing confirmation) commits its audit row alone.

use crate::AppState;
use crate::audit::{self, Decision, actions};
use crate::auth::{Caller, Capability};
use crate::db::models::Connection;
use crate::db::schema::{dedicated_credentials as creds, provider_connections as pc};
use crate::error::ApiError;
use crate::events::{self, event};
use crate::input::{ConnectionType, CreateInput, CredentialInput};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use domain::FieldError;
use persistence::{DbError, PooledConn};
use serde::Serialize;
use std::collections::HashMap;

/// Health text of a connection never verified (or whose app just changed).
pub const NOT_VERIFIED: &str = "Not verified yet";
/// The header that confirms a destructive change; its value must be the connection's id.
pub const CONFIRM_HEADER: &str = "X-Confirm-Connection";

/// The contract's `ProviderConnectionResponse`, plus `tenant` and `is_default` (extensions).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConnectionView {
    pub id: i64,
    pub tenant: String,
    pub provider: String,
    pub entra_tenant_id: String,
    pub display_name: String,
    pub is_default: bool,
    pub connection_type: String,
    pub consent_status: String,
    pub verification_status: String,
    pub health_status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effective_app_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credential_source: Option<String>,
    pub migration_review_required: bool,
}

/// What a response may say about a dedicated credential: its app and where it came from, never the secret.
#[derive(Debug, Clone, PartialEq, Queryable)]
pub struct CredentialMeta {
    pub client_id: String,
    pub source: String,
}

/// A refusal whose audit row must still commit, or the use case's result.
pub(crate) enum Outcome<T> {
    Done(T),
    Refused(ApiError),
}

impl<T> Outcome<T> {
    pub(crate) fn into_result(self) -> Result<T, ApiError> {
        match self {
            Self::Done(value) => Ok(value),
            Self::Refused(err) => Err(err),
        }
    }
}

pub(crate) async fn conn(state: &AppState) -> Result<PooledConn, ApiError> {
    Ok(state.pool.get().await.map_err(DbError::from)?)
}

/// The effective app and credential source of a connection.
pub fn effective_app(
    row: &Connection,
    credential: Option<&CredentialMeta>,
    platform_client_id: &str,
) -> (Option<String>, Option<String>) {
    if row.connection_type == ConnectionType::Platform.as_str() {
        (
            Some(platform_client_id.to_owned()),
            Some("platform".to_owned()),
        )
    } else {
        (
            credential.map(|c| c.client_id.clone()),
            credential.map(|c| c.source.clone()),
        )
    }
}

/// The API's representation of a connection (never a secret).
pub fn view(
    row: &Connection,
    credential: Option<&CredentialMeta>,
    platform_client_id: &str,
) -> ConnectionView {
    let (effective_app_id, credential_source) = effective_app(row, credential, platform_client_id);
    ConnectionView {
        id: row.id,
        tenant: row.tenant.clone(),
        provider: row.provider.clone(),
        entra_tenant_id: row.entra_tenant_id.clone(),
        display_name: row.display_name.clone(),
        is_default: row.is_default,
        connection_type: row.connection_type.clone(),
        consent_status: row.consent_status.clone(),
        verification_status: row.verification_status.clone(),
        health_status: row.health_status.clone(),
        effective_app_id,
        credential_source,
        migration_review_required: row.migration_review_required,
    }
}

/// Views of several rows with one credential query.
pub(crate) async fn views(
    conn: &mut AsyncPgConnection,
    rows: &[Connection],
    platform_client_id: &str,
) -> QueryResult<Vec<ConnectionView>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let found: Vec<(i64, String, String)> = creds::table
        .filter(creds::connection_id.eq_any(&ids))
        .select((creds::connection_id, creds::client_id, creds::source))
        .load(conn)
        .await?;
    let by_id: HashMap<i64, CredentialMeta> = found
        .into_iter()
        .map(|(id, client_id, source)| (id, CredentialMeta { client_id, source }))
        .collect();
    Ok(rows
        .iter()
        .map(|row| view(row, by_id.get(&row.id), platform_client_id))
        .collect())
}

pub(crate) async fn credential_meta(
    conn: &mut AsyncPgConnection,
    id: i64,
) -> QueryResult<Option<CredentialMeta>> {
    creds::table
        .find(id)
        .select((creds::client_id, creds::source))
        .first(conn)
        .await
        .optional()
}

/// The connection, locked for the transaction, if it exists within the caller's scope (else `None`: the caller
/// cannot tell a foreign connection from a missing one).
pub(crate) async fn lock_scoped(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: i64,
) -> QueryResult<Option<Connection>> {
    let row = pc::table
        .find(id)
        .filter(pc::workspace_id.eq(&caller.workspace_id))
        .select(Connection::as_select())
        .for_update()
        .first(conn)
        .await
        .optional()?;
    Ok(row.filter(|r| caller.reaches(&r.workspace_id, &r.tenant)))
}

/// Checks scope and capabilities of a call on connection `id`, auditing a refusal. `Ok(Err(_))` is a refusal
/// whose audit row is written and must be committed.
pub(crate) async fn authorize(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: i64,
    action: &'static str,
    needs: &[Capability],
) -> QueryResult<Result<Connection, ApiError>> {
    let Some(row) = lock_scoped(conn, caller, id).await? else {
        audit::record(
            conn,
            Decision::by(caller, action, None, Some(id)).denied("not_accessible"),
        )
        .await?;
        return Ok(Err(ApiError::connection_not_accessible(id)));
    };
    if let Some(missing) = needs.iter().find(|c| !caller.has(**c)) {
        let reason = format!("missing_capability:{}", missing.as_str());
        audit::record(
            conn,
            Decision::by(caller, action, Some(&row.tenant), Some(id)).denied(&reason),
        )
        .await?;
        return Ok(Err(ApiError::Forbidden(format!(
            "this action needs the {} capability",
            missing.as_str()
        ))));
    }
    Ok(Ok(row))
}

/// Refuses (and audits) an authorized call whose body was invalid, naming the field in the audit reason.
pub(crate) async fn refuse_invalid<T>(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    row: &Connection,
    action: &'static str,
    input: Result<T, FieldError>,
) -> QueryResult<Result<T, ApiError>> {
    match input {
        Ok(input) => Ok(Ok(input)),
        Err(invalid) => {
            let reason = format!("invalid_input:{}", invalid.field);
            audit::record(
                conn,
                Decision::by(caller, action, Some(&row.tenant), Some(row.id)).denied(&reason),
            )
            .await?;
            Ok(Err(invalid.into()))
        }
    }
}

/// Refuses (and audits) a destructive call whose confirmation header does not name the connection.
pub(crate) async fn confirm(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    row: &Connection,
    action: &'static str,
    confirmation: Option<&str>,
) -> QueryResult<Result<(), ApiError>> {
    if confirmation.map(str::trim) == Some(row.id.to_string().as_str()) {
        return Ok(Ok(()));
    }
    audit::record(
        conn,
        Decision::by(caller, action, Some(&row.tenant), Some(row.id))
            .denied("confirmation_missing"),
    )
    .await?;
    Ok(Err(ApiError::ConfirmationRequired {
        header: CONFIRM_HEADER,
        message: format!(
            "this change needs explicit confirmation: send the header {CONFIRM_HEADER}: {}",
            row.id
        ),
    }))
}

/// Serializes changes to one tenant's connections (default handling, one active verification per tenant).
pub(crate) async fn lock_tenant(
    conn: &mut AsyncPgConnection,
    namespace: i32,
    workspace_id: &str,
    tenant: &str,
) -> QueryResult<()> {
    use diesel::sql_types::{Integer, Text};
    diesel::sql_query("SELECT pg_advisory_xact_lock($1, hashtext($2 || '/' || $3))")
        .bind::<Integer, _>(namespace)
        .bind::<Text, _>(workspace_id)
        .bind::<Text, _>(tenant)
        .execute(conn)
        .await?;
    Ok(())
}

/// Advisory-lock namespaces.
pub(crate) const DEFAULTS_LOCK: i32 = 0x5043_0001;
pub(crate) const RUNS_LOCK: i32 = 0x5043_0002;

/// Seals `secret` bound to connection `id` (the associated data), so a ciphertext moved to another row fails.
fn seal(state: &AppState, id: i64, secret: &str) -> Result<security::secret_box::Sealed, ApiError> {
    state
        .secrets
        .seal(secret, aad(id).as_bytes())
        .map_err(|err| ApiError::Internal(format!("sealing a credential failed: {err}")))
}

/// The associated data of connection `id`'s sealed secret.
pub fn aad(id: i64) -> String {
    format!("provider-connection/{id}")
}

async fn store_credential(
    conn: &mut AsyncPgConnection,
    state: &AppState,
    id: i64,
    input: &CredentialInput,
) -> Result<(), ApiError> {
    let sealed = seal(state, id, &input.client_secret)?;
    diesel::insert_into(creds::table)
        .values((
            creds::connection_id.eq(id),
            creds::credential_kind.eq("client_secret"),
            creds::source.eq(input.source),
            creds::client_id.eq(&input.client_id),
            creds::key_id.eq(&sealed.key_id),
            creds::nonce.eq(&sealed.nonce),
            creds::ciphertext.eq(&sealed.ciphertext),
        ))
        .on_conflict(creds::connection_id)
        .do_update()
        .set((
            creds::source.eq(input.source),
            creds::client_id.eq(&input.client_id),
            creds::key_id.eq(&sealed.key_id),
            creds::nonce.eq(&sealed.nonce),
            creds::ciphertext.eq(&sealed.ciphertext),
            creds::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// What a credential event says: the app and where it came from, never the secret.
#[derive(Serialize)]
struct CredentialEvent<'a> {
    connection_id: i64,
    client_id: &'a str,
    source: &'a str,
    key_id: Option<&'a str>,
}

/// Validates the `{tenant}` path segment.
pub fn tenant_param(raw: &str) -> Result<String, ApiError> {
    domain::field::bounded_text("tenant", raw, 128)?;
    Ok(raw.to_owned())
}

/// `POST /tenants/{tenant}/provider-connections`: `manage` (plus `manage_dedicated` for a dedicated one). A new
/// default demotes the previous default of the tenant and provider under a per-tenant advisory lock, so two
/// concurrent creates cannot both stay default.
pub async fn create(
    state: &AppState,
    caller: &Caller,
    tenant: &str,
    input: Result<CreateInput, FieldError>,
) -> Result<ConnectionView, ApiError> {
    let mut conn = conn(state).await?;
    conn.transaction::<_, ApiError, _>(async |conn| {
        let decision = || Decision::by(caller, actions::CREATE, Some(tenant), None);
        if !caller.reaches(&caller.workspace_id, tenant) {
            audit::record(conn, decision().denied("not_accessible")).await?;
            return Ok(Outcome::Refused(ApiError::NotFound(format!(
                "tenant {tenant} is not accessible"
            ))));
        }
        if !caller.has(Capability::Manage) {
            let reason = format!("missing_capability:{}", Capability::Manage.as_str());
            audit::record(conn, decision().denied(&reason)).await?;
            return Ok(Outcome::Refused(ApiError::Forbidden(format!(
                "creating a connection needs the {} capability",
                Capability::Manage.as_str()
            ))));
        }
        let input = match input {
            Ok(input) => input,
            Err(invalid) => {
                let reason = format!("invalid_input:{}", invalid.field);
                audit::record(conn, decision().denied(&reason)).await?;
                return Ok(Outcome::Refused(invalid.into()));
            }
        };
        let dedicated = Capability::ManageDedicated;
        if input.connection_type == ConnectionType::Dedicated && !caller.has(dedicated) {
            let reason = format!("missing_capability:{}", dedicated.as_str());
            audit::record(conn, decision().denied(&reason)).await?;
            return Ok(Outcome::Refused(ApiError::Forbidden(format!(
                "creating a dedicated connection needs the {} capability",
                dedicated.as_str()
            ))));
        }
        lock_tenant(conn, DEFAULTS_LOCK, &caller.workspace_id, tenant).await?;
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
            .is_some_and(|c| c.source == "legacy_migrated");
        let row: Connection = diesel::insert_into(pc::table)
            .values((
                pc::workspace_id.eq(&caller.workspace_id),
                pc::tenant.eq(tenant),
                pc::provider.eq(input.provider),
                pc::entra_tenant_id.eq(&input.entra_tenant_id),
                pc::display_name.eq(&input.display_name),
                pc::is_default.eq(input.is_default),
                pc::connection_type.eq(input.connection_type.as_str()),
                pc::health_status.eq(NOT_VERIFIED),
                pc::migration_review_required.eq(legacy),
            ))
            .returning(Connection::as_returning())
            .get_result(conn)
            .await?;
        let mut emitted = Vec::new();
        let credential = match &input.dedicated_credential {
            Some(credential) => {
                store_credential(conn, state, row.id, credential).await?;
                emitted.push(event(
                    events::CREDENTIAL_STORED,
                    row.id,
                    &CredentialEvent {
                        connection_id: row.id,
                        client_id: &credential.client_id,
                        source: credential.source,
                        key_id: Some(state.secrets.active_key_id()),
                    },
                ));
                Some(CredentialMeta {
                    client_id: credential.client_id.clone(),
                    source: credential.source.to_owned(),
                })
            }
            None => None,
        };
        let created = view(&row, credential.as_ref(), &state.platform_client_id);
        emitted.insert(0, event(events::CONNECTION_CREATED, row.id, &created));
        for demoted in views(conn, &demoted, &state.platform_client_id).await? {
            emitted.push(event(events::CONNECTION_UPDATED, demoted.id, &demoted));
        }
        persistence::outbox::append(conn, &emitted).await?;
        let reason = (!demoted.is_empty()).then_some("previous_default_demoted");
        let mut allowed = Decision::by(caller, actions::CREATE, Some(tenant), Some(row.id));
        allowed.reason = reason;
        audit::record(conn, allowed).await?;
        Ok(Outcome::Done(created))
    })
    .await?
    .into_result()
}

/// Reads one connection (extension `GET /provider-connections/{connection}`).
pub async fn get(state: &AppState, caller: &Caller, id: i64) -> Result<ConnectionView, ApiError> {
    let mut conn = conn(state).await?;
    let row = pc::table
        .find(id)
        .select(Connection::as_select())
        .first(&mut conn)
        .await
        .optional()?
        .filter(|r| caller.reaches(&r.workspace_id, &r.tenant))
        .ok_or_else(|| ApiError::connection_not_accessible(id))?;
    if !caller.has(Capability::View) {
        return Err(ApiError::Forbidden(format!(
            "reading connections needs the {} capability",
            Capability::View.as_str()
        )));
    }
    let credential = credential_meta(&mut conn, id).await?;
    Ok(view(&row, credential.as_ref(), &state.platform_client_id))
}

/// The columns reset when the effective app changes: consent required again, not verified.
type AppReset = (
    diesel::dsl::Eq<pc::consent_status, &'static str>,
    diesel::dsl::Eq<pc::verification_status, &'static str>,
    diesel::dsl::Eq<pc::health_status, &'static str>,
);

/// Sets the app-dependent state back to "consent required, not verified" after the effective app changed.
fn app_changed_values() -> AppReset {
    (
        pc::consent_status.eq("required"),
        pc::verification_status.eq("unknown"),
        pc::health_status.eq(NOT_VERIFIED),
    )
}

/// `PUT .../connection-type`: `manage_dedicated` and the confirmation header. When the effective app changes,
/// consent and verification start over.
pub async fn change_type(
    state: &AppState,
    caller: &Caller,
    id: i64,
    target: Result<ConnectionType, FieldError>,
    confirmation: Option<&str>,
) -> Result<ConnectionView, ApiError> {
    let mut conn = conn(state).await?;
    conn.transaction::<_, ApiError, _>(async |conn| {
        let row = match authorize(
            conn,
            caller,
            id,
            actions::CHANGE_TYPE,
            &[Capability::ManageDedicated],
        )
        .await?
        {
            Ok(row) => row,
            Err(refusal) => return Ok(Outcome::Refused(refusal)),
        };
        let target = match refuse_invalid(conn, caller, &row, actions::CHANGE_TYPE, target).await? {
            Ok(target) => target,
            Err(refusal) => return Ok(Outcome::Refused(refusal)),
        };
        if let Err(refusal) =
            confirm(conn, caller, &row, actions::CHANGE_TYPE, confirmation).await?
        {
            return Ok(Outcome::Refused(refusal));
        }
        let credential = credential_meta(conn, id).await?;
        if row.connection_type == target.as_str() {
            audit::record(
                conn,
                Decision::by(caller, actions::CHANGE_TYPE, Some(&row.tenant), Some(id))
                    .because("unchanged"),
            )
            .await?;
            return Ok(Outcome::Done(view(
                &row,
                credential.as_ref(),
                &state.platform_client_id,
            )));
        }
        let before = effective_app(&row, credential.as_ref(), &state.platform_client_id).0;
        let mut updated: Connection = diesel::update(pc::table.find(id))
            .set((
                pc::connection_type.eq(target.as_str()),
                pc::updated_at.eq(diesel::dsl::now),
            ))
            .returning(Connection::as_returning())
            .get_result(conn)
            .await?;
        let after = effective_app(&updated, credential.as_ref(), &state.platform_client_id).0;
        if before != after {
            updated = diesel::update(pc::table.find(id))
                .set(app_changed_values())
                .returning(Connection::as_returning())
                .get_result(conn)
                .await?;
        }
        let shown = view(&updated, credential.as_ref(), &state.platform_client_id);
        persistence::outbox::append(conn, &[event(events::CONNECTION_TYPE_CHANGED, id, &shown)])
            .await?;
        let reason = format!("{} -> {}", row.connection_type, target.as_str());
        audit::record(
            conn,
            Decision::by(caller, actions::CHANGE_TYPE, Some(&row.tenant), Some(id))
                .because(&reason),
        )
        .await?;
        Ok(Outcome::Done(shown))
    })
    .await?
    .into_result()
}

/// Creates or rotates the dedicated credential (dedicated connections only). A new client id is a new app:
/// consent and verification start over. A `legacy_migrated` credential flags the connection for review until a
/// verification succeeds.
pub async fn put_credential(
    state: &AppState,
    caller: &Caller,
    id: i64,
    input: Result<CredentialInput, FieldError>,
) -> Result<ConnectionView, ApiError> {
    let mut conn = conn(state).await?;
    conn.transaction::<_, ApiError, _>(async |conn| {
        let row = match authorize(
            conn,
            caller,
            id,
            actions::PUT_CREDENTIAL,
            &[Capability::ManageDedicated],
        )
        .await?
        {
            Ok(row) => row,
            Err(refusal) => return Ok(Outcome::Refused(refusal)),
        };
        let input = match refuse_invalid(conn, caller, &row, actions::PUT_CREDENTIAL, input).await?
        {
            Ok(input) => input,
            Err(refusal) => return Ok(Outcome::Refused(refusal)),
        };
        if row.connection_type != ConnectionType::Dedicated.as_str() {
            audit::record(
                conn,
                Decision::by(caller, actions::PUT_CREDENTIAL, Some(&row.tenant), Some(id))
                    .denied("not_dedicated"),
            )
            .await?;
            return Ok(Outcome::Refused(ApiError::Conflict(format!(
                "provider connection {id} is a platform connection; switch it to dedicated first"
            ))));
        }
        let previous = credential_meta(conn, id).await?;
        store_credential(conn, state, id, &input).await?;
        let app_changed =
            previous.as_ref().map(|p| p.client_id.as_str()) != Some(input.client_id.as_str());
        let legacy = input.source == "legacy_migrated";
        let updated: Connection = if app_changed {
            diesel::update(pc::table.find(id))
                .set((
                    app_changed_values(),
                    pc::migration_review_required.eq(legacy),
                    pc::updated_at.eq(diesel::dsl::now),
                ))
                .returning(Connection::as_returning())
                .get_result(conn)
                .await?
        } else {
            diesel::update(pc::table.find(id))
                .set((
                    pc::migration_review_required.eq(legacy),
                    pc::updated_at.eq(diesel::dsl::now),
                ))
                .returning(Connection::as_returning())
                .get_result(conn)
                .await?
        };
        let meta = CredentialMeta {
            client_id: input.client_id.clone(),
            source: input.source.to_owned(),
        };
        let shown = view(&updated, Some(&meta), &state.platform_client_id);
        persistence::outbox::append(
            conn,
            &[
                event(
                    events::CREDENTIAL_STORED,
                    id,
                    &CredentialEvent {
                        connection_id: id,
                        client_id: &input.client_id,
                        source: input.source,
                        key_id: Some(state.secrets.active_key_id()),
                    },
                ),
                event(events::CONNECTION_UPDATED, id, &shown),
            ],
        )
        .await?;
        let reason = if previous.is_some() {
            "rotated"
        } else {
            "created"
        };
        audit::record(
            conn,
            Decision::by(caller, actions::PUT_CREDENTIAL, Some(&row.tenant), Some(id))
                .because(reason),
        )
        .await?;
        Ok(Outcome::Done(shown))
    })
    .await?
    .into_result()
}

/// Deletes the dedicated credential. On a dedicated connection this removes its app: consent and verification
/// start over.
pub async fn delete_credential(
    state: &AppState,
    caller: &Caller,
    id: i64,
    confirmation: Option<&str>,
) -> Result<(), ApiError> {
    let mut conn = conn(state).await?;
    conn.transaction::<_, ApiError, _>(async |conn| {
        let row = match authorize(
            conn,
            caller,
            id,
            actions::DELETE_CREDENTIAL,
            &[Capability::ManageDedicated],
        )
        .await?
        {
            Ok(row) => row,
            Err(refusal) => return Ok(Outcome::Refused(refusal)),
        };
        if let Err(refusal) =
            confirm(conn, caller, &row, actions::DELETE_CREDENTIAL, confirmation).await?
        {
            return Ok(Outcome::Refused(refusal));
        }
        let deleted: Option<CredentialMeta> = diesel::delete(creds::table.find(id))
            .returning((creds::client_id, creds::source))
            .get_result(conn)
            .await
            .optional()?;
        let Some(deleted) = deleted else {
            audit::record(
                conn,
                Decision::by(
                    caller,
                    actions::DELETE_CREDENTIAL,
                    Some(&row.tenant),
                    Some(id),
                )
                .denied("no_credential"),
            )
            .await?;
            return Ok(Outcome::Refused(ApiError::NotFound(format!(
                "provider connection {id} has no dedicated credential"
            ))));
        };
        let updated: Connection = if row.connection_type == ConnectionType::Dedicated.as_str() {
            diesel::update(pc::table.find(id))
                .set((
                    app_changed_values(),
                    pc::migration_review_required.eq(false),
                    pc::updated_at.eq(diesel::dsl::now),
                ))
                .returning(Connection::as_returning())
                .get_result(conn)
                .await?
        } else {
            row.clone()
        };
        let shown = view(&updated, None, &state.platform_client_id);
        persistence::outbox::append(
            conn,
            &[
                event(
                    events::CREDENTIAL_DELETED,
                    id,
                    &CredentialEvent {
                        connection_id: id,
                        client_id: &deleted.client_id,
                        source: &deleted.source,
                        key_id: None,
                    },
                ),
                event(events::CONNECTION_UPDATED, id, &shown),
            ],
        )
        .await?;
        audit::record(
            conn,
            Decision::by(
                caller,
                actions::DELETE_CREDENTIAL,
                Some(&row.tenant),
                Some(id),
            ),
        )
        .await?;
        Ok(Outcome::Done(()))
    })
    .await?
    .into_result()
}
