//! The provider-connection service's settings: the shared sections flattened in, and its own (see
//! `config/defaults.toml` for every key and its default), each checked naming its setting.

use security::jwt::JwtSettings;
use security::secret_box::SecretBoxSettings;
use serde::Deserialize;
use service_kit::{CommonSettings, ServiceSettings};

pub const SERVICE: &str = "provider-connection";

#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    /// `[http]`, `[database]`, `[bus]`, `[log]`.
    #[serde(flatten)]
    pub common: CommonSettings,
    /// How members' bearer tokens are verified.
    pub auth: JwtSettings,
    pub platform: PlatformSettings,
    pub consent: ConsentSettings,
    /// AEAD keys sealing dedicated credentials at rest (key id stored per row, so keys rotate).
    pub secrets: SecretBoxSettings,
    /// Where the Microsoft identity platform and Graph are reached (tests point both at a local fake).
    pub microsoft: microsoft::MicrosoftSettings,
    pub verification: VerificationSettings,
}

/// The platform's multi-tenant app: the effective app of every platform connection.
#[derive(Clone, Deserialize)]
pub struct PlatformSettings {
    pub client_id: String,
    pub client_secret: String,
}

impl std::fmt::Debug for PlatformSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlatformSettings")
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .finish()
    }
}

#[derive(Clone, Deserialize)]
pub struct ConsentSettings {
    /// This service's callback as the administrator's browser reaches it.
    pub redirect_uri: String,
    /// HS256 key signing the admin-consent `state`.
    pub state_secret: String,
    pub state_ttl_secs: u64,
}

impl std::fmt::Debug for ConsentSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConsentSettings")
            .field("redirect_uri", &self.redirect_uri)
            .field("state_secret", &"<redacted>")
            .field("state_ttl_secs", &self.state_ttl_secs)
            .finish()
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct VerificationSettings {
    pub worker_enabled: bool,
    pub poll_interval_ms: u64,
    pub run_timeout_secs: u64,
    pub required_roles: Vec<String>,
    pub graph_probe_path: String,
}

impl ServiceSettings for Settings {
    const SERVICE: &'static str = SERVICE;
    const DEFAULTS: &'static str = include_str!("../config/defaults.toml");
    const LIST_KEYS: &'static [&'static str] = &["verification.required_roles"];

    fn common(&self) -> &CommonSettings {
        &self.common
    }

    fn common_mut(&mut self) -> &mut CommonSettings {
        &mut self.common
    }

    fn check_own(&self) -> Result<(), String> {
        let fail = |what: &str| Err(format!("configuration error: {what}"));
        if let Err(err) = security::jwt::TokenVerifier::check(&self.auth) {
            return fail(&format!("auth (PROVIDER_CONNECTION__AUTH__*): {err}"));
        }
        if let Err(err) = security::secret_box::SecretBox::new(&self.secrets) {
            return fail(&format!("secrets (PROVIDER_CONNECTION__SECRETS__*): {err}"));
        }
        if self.platform.client_id.trim().is_empty()
            || self.platform.client_secret.trim().is_empty()
        {
            return fail("platform.client_id and platform.client_secret must be set");
        }
        self.microsoft
            .check("microsoft")
            .map_err(|err| format!("configuration error: {err}"))?;
        if self.consent.state_secret.len() < security::jwt::MIN_HS256_SECRET_LEN {
            return fail("consent.state_secret must be at least 32 bytes");
        }
        if url::Url::parse(&self.consent.redirect_uri).is_err() {
            return fail("consent.redirect_uri must be an absolute URL");
        }
        if self.consent.state_ttl_secs == 0 {
            return fail("consent.state_ttl_secs must be at least 1");
        }
        if self.verification.run_timeout_secs == 0 || self.verification.poll_interval_ms == 0 {
            return fail("verification.run_timeout_secs and poll_interval_ms must be positive");
        }
        Ok(())
    }
}
