//! The signed admin-consent `state`: what it claims, signing it and checking it.

use crate::error::ApiError;
use crate::ids::ConnectionId;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use security::jwt::{JwtError, JwtKeySettings, JwtSettings, JwtVerifier};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

const STATE_ISSUER: &str = "provider-connection";
const STATE_AUDIENCE: &str = "provider-connection/admin-consent";
const STATE_KID: &str = "consent-state";

/// Public (with [`StateSigner::sign`] and [`StateSigner::check`]) only so the fuzz target `consent_state`
/// (`fuzz/`) signs and checks states the way the link and the callback do.
#[derive(Debug, Serialize, Deserialize)]
pub struct StateClaims {
    iss: String,
    aud: String,
    pub exp: i64,
    /// The connection the consent is for.
    pub cid: ConnectionId,
    /// The app (client id) the link asked consent for.
    pub app: String,
    pub nonce: Uuid,
}

impl StateClaims {
    pub fn new(connection: ConnectionId, app: String, nonce: Uuid, exp: i64) -> Self {
        Self {
            iss: STATE_ISSUER.to_owned(),
            aud: STATE_AUDIENCE.to_owned(),
            exp,
            cid: connection,
            app,
            nonce,
        }
    }
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
            ..JwtSettings::default()
        })?;
        Ok(Self {
            key: EncodingKey::from_secret(secret.as_bytes()),
            verifier,
            ttl: std::time::Duration::from_secs(ttl_secs),
        })
    }

    /// How long a link stays usable.
    pub fn ttl(&self) -> std::time::Duration {
        self.ttl
    }

    pub fn sign(&self, claims: &StateClaims) -> Result<String, ApiError> {
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(STATE_KID.to_owned());
        jsonwebtoken::encode(&header, claims, &self.key)
            .map_err(|err| ApiError::internal("signing a consent state failed", err))
    }

    pub fn check(&self, state: &str) -> Result<StateClaims, JwtError> {
        self.verifier.verify(state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    #[test]
    fn states_round_trip_and_tampering_is_caught() {
        let signer = StateSigner::new("0123456789abcdef0123456789abcdef", 60).unwrap();
        let id = ConnectionId::parse("connection", "7").unwrap();
        let claims = StateClaims::new(
            id,
            "a".to_owned(),
            Uuid::new_v4(),
            Utc::now().timestamp() + 60,
        );
        let token = signer.sign(&claims).unwrap();
        assert_eq!(signer.check(&token).unwrap().cid.get(), 7);
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
}
