//! The OAuth2 client secret at rest: sealed with AES-256-GCM (`security::secret_box`), bound to its row by the
//! associated data `<applicationId>/<key>`, kept in the three `client_secret_*` columns and nowhere else. Which
//! sealed secret a write stores — sealed anew, kept from the existing row, or none — is decided here.

use crate::db::models::Provider;
use crate::error::ApiError;
use crate::ids::{ApplicationId, ProviderKey};
use crate::input::{ProviderInput, SecretChange};
use security::secret_box::{Sealed, SecretBox};

/// Associated data binding a sealed secret to its row.
fn aad(application_id: &ApplicationId, key: &ProviderKey) -> Vec<u8> {
    format!("{application_id}/{key}").into_bytes()
}

/// The sealed secret a stored row carries, if any.
fn sealed_of(row: &Provider) -> Option<Sealed> {
    match (
        &row.client_secret_key_id,
        &row.client_secret_nonce,
        &row.client_secret_ciphertext,
    ) {
        (Some(key_id), Some(nonce), Some(ciphertext)) => Some(Sealed {
            key_id: key_id.clone(),
            nonce: nonce.clone(),
            ciphertext: ciphertext.clone(),
        }),
        _ => None,
    }
}

/// Seals the secret `input` sets, if it sets one (before the transaction: sealing is CPU only).
pub fn seal_new(
    secrets: &SecretBox,
    application_id: &ApplicationId,
    input: &ProviderInput,
) -> Result<Option<Sealed>, ApiError> {
    let SecretChange::Set(plain) = &input.client_secret else {
        return Ok(None);
    };
    secrets
        .seal(plain, &aad(application_id, &input.key))
        .map(Some)
        .map_err(|e| ApiError::Internal(anyhow::Error::new(e).context("sealing a client secret")))
}

/// The sealed secret a write stores: `fresh` (what [`seal_new`] sealed for this input), kept from the existing
/// row, or none.
pub fn to_store(
    fresh: Option<Sealed>,
    input: &ProviderInput,
    existing: Option<&Provider>,
) -> Option<Sealed> {
    match &input.client_secret {
        SecretChange::Set(_) => fresh,
        SecretChange::Remove => None,
        // An OIDC provider carries no OAuth2 secret; a kept secret stays only on an OAuth2 provider.
        SecretChange::Keep if input.oauth2_config.is_some() => existing.and_then(sealed_of),
        SecretChange::Keep => None,
    }
}
