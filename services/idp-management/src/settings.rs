//! The idp-management service's settings (see `config/defaults.toml` for every key and its default).

use bus::BusSettings;
use persistence::DbSettings;
use security::jwt::JwtSettings;
use security::secret_box::SecretBoxSettings;
use serde::Deserialize;
use service_kit::settings::{Sources, load};
use service_kit::{HttpSettings, LogSettings};

/// The service name: metrics, events, the `IDP_MANAGEMENT__` environment prefix.
pub const SERVICE: &str = "idp-management";
const DEFAULTS: &str = include_str!("../config/defaults.toml");

#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    pub http: HttpSettings,
    pub database: DbSettings,
    pub bus: BusSettings,
    pub log: LogSettings,
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

impl Settings {
    /// Defaults < file < environment, then checked.
    pub fn load(file: Option<&std::path::Path>) -> Result<Self, String> {
        let sources = Sources {
            file,
            environment: true,
        };
        let settings: Self = load(SERVICE, DEFAULTS, sources, &["registry.applications"])
            .map_err(|err| format!("configuration error: {err}"))?;
        settings.check()?;
        Ok(settings)
    }

    /// The compiled defaults alone (tests start from these and override what they need).
    pub fn defaults() -> Result<Self, String> {
        let sources = Sources {
            file: None,
            environment: false,
        };
        load(SERVICE, DEFAULTS, sources, &[]).map_err(|err| format!("configuration error: {err}"))
    }

    /// Rules the types cannot express, each reported naming its setting.
    pub fn check(&self) -> Result<(), String> {
        security::jwt::JwtVerifier::new(&self.jwt)
            .map_err(|e| format!("configuration error: jwt: {e}"))?;
        security::secret_box::SecretBox::new(&self.secrets)
            .map_err(|e| format!("configuration error: secrets: {e}"))?;
        if let Some(bad) = self
            .registry
            .applications
            .iter()
            .find(|a| !crate::input::is_key(a))
        {
            return Err(format!(
                "configuration error: registry.applications: {bad:?} must match ^[a-zA-Z0-9-_.]{{1,64}}$"
            ));
        }
        if self.database.pool_size == 0 {
            return Err("configuration error: database.pool_size must be at least 1".to_owned());
        }
        if self.http.max_body_bytes == 0 {
            return Err("configuration error: http.max_body_bytes must be at least 1".to_owned());
        }
        Ok(())
    }
}
