//! Dedicated credentials: the secret sealed (AEAD) bound to its connection, so a ciphertext moved to another row
//! fails to open; the rows stored, rotated and deleted; and what may be said about them (client id and source,
//! never the secret). Only the verification worker opens a sealed secret.

use crate::db::models::{Credential, CredentialKind, CredentialMeta};
use crate::db::schema::dedicated_credentials as creds;
use crate::error::ApiError;
use crate::ids::ConnectionId;
use crate::input::CredentialInput;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use security::secret_box::{Sealed, SecretBox, SecretError};
use std::collections::HashMap;

/// The associated data of connection `id`'s sealed secret.
pub fn aad(id: ConnectionId) -> String {
    format!("provider-connection/{id}")
}

/// Seals `secret` bound to connection `id`.
fn seal(secrets: &SecretBox, id: ConnectionId, secret: &str) -> Result<Sealed, ApiError> {
    secrets
        .seal(secret, aad(id).as_bytes())
        .map_err(|err| ApiError::internal("sealing a credential failed", err))
}

/// Opens a stored credential's secret (the worker, just before it asks Microsoft for a token).
pub fn open(secrets: &SecretBox, credential: &Credential) -> Result<String, SecretError> {
    let sealed = Sealed {
        key_id: credential.key_id.clone(),
        nonce: credential.nonce.clone(),
        ciphertext: credential.ciphertext.clone(),
    };
    secrets.open(&sealed, aad(credential.connection_id).as_bytes())
}

/// Stores (or replaces) connection `id`'s credential, sealed under the active key.
pub async fn store(
    conn: &mut AsyncPgConnection,
    secrets: &SecretBox,
    id: ConnectionId,
    input: &CredentialInput,
) -> Result<(), ApiError> {
    let sealed = seal(secrets, id, &input.client_secret)?;
    diesel::insert_into(creds::table)
        .values((
            creds::connection_id.eq(id),
            creds::credential_kind.eq(CredentialKind::ClientSecret),
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

/// Deletes connection `id`'s credential; what it was, if there was one.
pub async fn delete(
    conn: &mut AsyncPgConnection,
    id: ConnectionId,
) -> QueryResult<Option<CredentialMeta>> {
    diesel::delete(creds::table.find(id))
        .returning(CredentialMeta::as_returning())
        .get_result(conn)
        .await
        .optional()
}

/// What may be said about connection `id`'s credential, if it has one.
pub async fn meta(
    conn: &mut AsyncPgConnection,
    id: ConnectionId,
) -> QueryResult<Option<CredentialMeta>> {
    creds::table
        .find(id)
        .select(CredentialMeta::as_select())
        .first(conn)
        .await
        .optional()
}

/// The credential metadata of several connections, in one query.
pub async fn metas(
    conn: &mut AsyncPgConnection,
    ids: &[ConnectionId],
) -> QueryResult<HashMap<ConnectionId, CredentialMeta>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let found: Vec<(ConnectionId, CredentialMeta)> = creds::table
        .filter(creds::connection_id.eq_any(ids))
        .select((creds::connection_id, CredentialMeta::as_select()))
        .load(conn)
        .await?;
    Ok(found.into_iter().collect())
}

/// The whole stored credential of connection `id` (the worker's claim).
pub async fn stored(
    conn: &mut AsyncPgConnection,
    id: ConnectionId,
) -> QueryResult<Option<Credential>> {
    creds::table
        .find(id)
        .select(Credential::as_select())
        .first(conn)
        .await
        .optional()
}
