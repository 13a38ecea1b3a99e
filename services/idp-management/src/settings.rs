//! The idp-management service's settings: the shared sections (flattened in, checked by `service_kit`) and its
//! own — bearer-token keys, secret-sealing keys, the configured applications, URL validation and the
//! configuration check's time budget. See `config/defaults.toml` for every key and its default.

use crate::ids::ApplicationId;
use security::jwt::{JwtSettings, TokenVerifier};
use security::secret_box::{SecretBox, SecretBoxSettings};
use serde::Deserialize;
use service_kit::{CommonSettings, ServiceSettings};

#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    #[serde(flatten)]
    pub common: CommonSettings,
    pub jwt: JwtSettings,
    pub secrets: SecretBoxSettings,
    pub registry: RegistrySettings,
    pub validation: ValidationSettings,
    pub checks: CheckSettings,
}

/// Applications known from configuration (the admin endpoint registers more at run time).
#[derive(Debug, Clone, Deserialize)]
pub struct RegistrySettings {
    pub applications: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ValidationSettings {
    /// Accept `http://` provider URLs on loopback hosts.
    pub allow_http_loopback: bool,
}

/// The configuration check (extension).
#[derive(Debug, Clone, Deserialize)]
pub struct CheckSettings {
    /// Time budget of each HTTP call, in milliseconds.
    pub timeout_ms: u64,
}

impl ServiceSettings for Settings {
    const SERVICE: &'static str = "idp-management";
    const DEFAULTS: &'static str = include_str!("../config/defaults.toml");
    const LIST_KEYS: &'static [&'static str] = &["registry.applications"];

    fn common(&self) -> &CommonSettings {
        &self.common
    }

    fn common_mut(&mut self) -> &mut CommonSettings {
        &mut self.common
    }

    fn check_own(&self) -> Result<(), String> {
        TokenVerifier::check(&self.jwt).map_err(|e| format!("configuration error: jwt: {e}"))?;
        SecretBox::new(&self.secrets).map_err(|e| format!("configuration error: secrets: {e}"))?;
        if let Some(bad) = self
            .registry
            .applications
            .iter()
            .find(|a| ApplicationId::parse(a).is_none())
        {
            return Err(format!(
                "configuration error: registry.applications: {bad:?} must match ^[a-zA-Z0-9-_.]{{1,64}}$"
            ));
        }
        Ok(())
    }
}
