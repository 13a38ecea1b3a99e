//! Authenticated encryption of secrets at rest (AES-256-GCM, random 96-bit nonce per seal).
//!
//! A [`Sealed`] value carries the id of the key that sealed it, so keys can rotate: new seals use the active key,
//! opens use the key named by the stored id, and old rows stay readable as long as their key stays configured.
//! The associated data binds a ciphertext to its row (e.g. application + provider key), so a ciphertext copied
//! onto another row does not open.

use std::collections::BTreeMap;
use std::fmt;

use aes_gcm::aead::{Aead, Generate, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;

/// Length of a nonce, in bytes (96 bits, the GCM standard size).
pub const NONCE_LEN: usize = 12;

/// Keys from configuration: `keys` maps a key id to the base64 of 32 random bytes; `active_key_id` seals.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretBoxSettings {
    /// The key id new seals use; must be present in `keys`.
    pub active_key_id: String,
    /// Key id -> base64 (standard alphabet) of a 32-byte key.
    pub keys: BTreeMap<String, String>,
}

impl fmt::Debug for SecretBoxSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretBoxSettings")
            .field("active_key_id", &self.active_key_id)
            .field("keys", &self.keys.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// A sealed secret, stored as three columns (key id, nonce, ciphertext with its tag).
#[derive(Clone, PartialEq, Eq)]
pub struct Sealed {
    /// Id of the key that sealed it.
    pub key_id: String,
    /// The 12-byte nonce.
    pub nonce: Vec<u8>,
    /// Ciphertext followed by the 16-byte GCM tag.
    pub ciphertext: Vec<u8>,
}

impl fmt::Debug for Sealed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sealed")
            .field("key_id", &self.key_id)
            .field("ciphertext_len", &self.ciphertext.len())
            .finish()
    }
}

/// Why sealing, opening or configuring failed. Never carries key material or plaintext.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SecretError {
    /// The active key id is not among the keys.
    #[error("secret box: active key {0:?} is not configured")]
    ActiveKeyMissing(String),
    /// A key is not base64 of exactly 32 bytes.
    #[error("secret box: key {0:?} must be base64 of exactly 32 bytes")]
    BadKey(String),
    /// The stored key id is not configured (any more).
    #[error("secret box: unknown key id {0:?}")]
    UnknownKey(String),
    /// Wrong key, wrong associated data, or tampered ciphertext/nonce.
    #[error("secret box: ciphertext does not authenticate")]
    Unauthentic,
    /// The system random generator failed.
    #[error("secret box: no randomness available")]
    Random,
}

/// Seals and opens secrets with the configured keys.
pub struct SecretBox {
    active: String,
    ciphers: BTreeMap<String, Aes256Gcm>,
}

impl fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretBox")
            .field("active_key_id", &self.active)
            .field("key_ids", &self.ciphers.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl SecretBox {
    /// Builds the box, refusing unusable keys or an active key id that names none of them.
    pub fn new(settings: &SecretBoxSettings) -> Result<Self, SecretError> {
        let mut ciphers = BTreeMap::new();
        for (id, b64) in &settings.keys {
            let bytes = STANDARD
                .decode(b64.trim())
                .map_err(|_| SecretError::BadKey(id.clone()))?;
            if bytes.len() != 32 {
                return Err(SecretError::BadKey(id.clone()));
            }
            let cipher =
                Aes256Gcm::new_from_slice(&bytes).map_err(|_| SecretError::BadKey(id.clone()))?;
            ciphers.insert(id.clone(), cipher);
        }
        if !ciphers.contains_key(&settings.active_key_id) {
            return Err(SecretError::ActiveKeyMissing(
                settings.active_key_id.clone(),
            ));
        }
        Ok(Self {
            active: settings.active_key_id.clone(),
            ciphers,
        })
    }

    /// The key id new seals use.
    pub fn active_key_id(&self) -> &str {
        &self.active
    }

    /// Encrypts `plaintext` under the active key, binding `aad`.
    pub fn seal(&self, plaintext: &str, aad: &[u8]) -> Result<Sealed, SecretError> {
        let cipher = self
            .ciphers
            .get(&self.active)
            .ok_or_else(|| SecretError::ActiveKeyMissing(self.active.clone()))?;
        let nonce = Nonce::try_generate().map_err(|_| SecretError::Random)?;
        let ciphertext = cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext.as_bytes(),
                    aad,
                },
            )
            .map_err(|_| SecretError::Unauthentic)?;
        Ok(Sealed {
            key_id: self.active.clone(),
            nonce: nonce.to_vec(),
            ciphertext,
        })
    }

    /// Decrypts with the key named by `sealed.key_id`; fails unless the ciphertext, nonce and `aad` are genuine.
    pub fn open(&self, sealed: &Sealed, aad: &[u8]) -> Result<String, SecretError> {
        let cipher = self
            .ciphers
            .get(&sealed.key_id)
            .ok_or_else(|| SecretError::UnknownKey(sealed.key_id.clone()))?;
        let nonce =
            Nonce::try_from(sealed.nonce.as_slice()).map_err(|_| SecretError::Unauthentic)?;
        let plain = cipher
            .decrypt(
                &nonce,
                Payload {
                    msg: &sealed.ciphertext,
                    aad,
                },
            )
            .map_err(|_| SecretError::Unauthentic)?;
        String::from_utf8(plain).map_err(|_| SecretError::Unauthentic)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const K1: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    const K2: &str = "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=";

    fn settings(active: &str, keys: &[(&str, &str)]) -> SecretBoxSettings {
        SecretBoxSettings {
            active_key_id: active.into(),
            keys: keys
                .iter()
                .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
                .collect(),
        }
    }

    fn boxed() -> SecretBox {
        SecretBox::new(&settings("k1", &[("k1", K1)])).unwrap()
    }

    #[test]
    fn round_trip_with_fresh_nonce_each_time() {
        let b = boxed();
        let a = b.seal("s3cr3t", b"app/idp").unwrap();
        let c = b.seal("s3cr3t", b"app/idp").unwrap();
        assert_eq!(a.key_id, "k1");
        assert_eq!(a.nonce.len(), NONCE_LEN);
        assert_ne!(a.nonce, c.nonce);
        assert_ne!(a.ciphertext, c.ciphertext);
        assert!(!a.ciphertext.windows(6).any(|w| w == b"s3cr3t"));
        assert_eq!(b.open(&a, b"app/idp").unwrap(), "s3cr3t");
        assert_eq!(b.open(&c, b"app/idp").unwrap(), "s3cr3t");
        assert_eq!(b.open(&b.seal("", b"x").unwrap(), b"x").unwrap(), "");
    }

    #[test]
    fn wrong_aad_is_refused() {
        let b = boxed();
        let s = b.seal("s3cr3t", b"app/idp-1").unwrap();
        assert_eq!(b.open(&s, b"app/idp-2"), Err(SecretError::Unauthentic));
    }

    #[test]
    fn tampering_is_refused() {
        let b = boxed();
        let s = b.seal("s3cr3t", b"a").unwrap();
        let mut t = s.clone();
        t.ciphertext[0] ^= 1;
        assert_eq!(b.open(&t, b"a"), Err(SecretError::Unauthentic));
        let mut t = s.clone();
        t.nonce[0] ^= 1;
        assert_eq!(b.open(&t, b"a"), Err(SecretError::Unauthentic));
        let mut t = s;
        t.nonce.truncate(5);
        assert_eq!(b.open(&t, b"a"), Err(SecretError::Unauthentic));
    }

    #[test]
    fn wrong_key_and_unknown_key_id() {
        let s = boxed().seal("s3cr3t", b"a").unwrap();
        let other = SecretBox::new(&settings("k1", &[("k1", K2)])).unwrap();
        assert_eq!(other.open(&s, b"a"), Err(SecretError::Unauthentic));
        let mut t = s;
        t.key_id = "k9".into();
        assert_eq!(
            boxed().open(&t, b"a"),
            Err(SecretError::UnknownKey("k9".into()))
        );
    }

    #[test]
    fn rotation_keeps_old_rows_readable() {
        let old = boxed().seal("old-secret", b"a").unwrap();
        let rotated = SecretBox::new(&settings("k2", &[("k1", K1), ("k2", K2)])).unwrap();
        let new = rotated.seal("new-secret", b"a").unwrap();
        assert_eq!(new.key_id, "k2");
        assert_eq!(rotated.open(&old, b"a").unwrap(), "old-secret");
        assert_eq!(rotated.open(&new, b"a").unwrap(), "new-secret");
        // Once k1 is retired, its rows no longer open (they must be re-sealed before).
        let retired = SecretBox::new(&settings("k2", &[("k2", K2)])).unwrap();
        assert_eq!(
            retired.open(&old, b"a"),
            Err(SecretError::UnknownKey("k1".into()))
        );
    }

    #[test]
    fn bad_configuration_is_refused() {
        assert_eq!(
            SecretBox::new(&settings("k2", &[("k1", K1)])).unwrap_err(),
            SecretError::ActiveKeyMissing("k2".into())
        );
        assert_eq!(
            SecretBox::new(&settings("k1", &[("k1", "AAEC")])).unwrap_err(),
            SecretError::BadKey("k1".into())
        );
        assert_eq!(
            SecretBox::new(&settings("k1", &[("k1", "not base64!")])).unwrap_err(),
            SecretError::BadKey("k1".into())
        );
    }

    #[test]
    fn debug_never_prints_keys_or_plaintext() {
        let s = settings("k1", &[("k1", K1)]);
        let b = SecretBox::new(&s).unwrap();
        let sealed = b.seal("s3cr3t", b"a").unwrap();
        let text = format!("{s:?} {b:?} {sealed:?}");
        assert!(!text.contains(K1));
        assert!(!text.contains("s3cr3t"));
        assert!(text.contains("k1"));
    }
}
