//! The identity service's settings (see `config/defaults.toml` for every key and its default).

use bus::BusSettings;
use persistence::DbSettings;
use serde::Deserialize;
use service_kit::settings::{Sources, load};
use service_kit::{HttpSettings, LogSettings};

pub const SERVICE: &str = "identity";
const DEFAULTS: &str = include_str!("../config/defaults.toml");

#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    pub http: HttpSettings,
    pub database: DbSettings,
    pub bus: BusSettings,
    pub log: LogSettings,
    pub auth: AuthSettings,
    /// Where Microsoft (token endpoint, Graph) is reached, and the bounds of each call.
    pub microsoft: microsoft::MicrosoftSettings,
    /// The B2C / Entra External ID connectors' rules and claim names.
    pub connectors: crate::connectors::ConnectorSettings,
    /// The app registrations used to read Graph: `graph.b2c` (B2C tenant) and `graph.aad` (Entra tenant).
    pub graph: crate::graph::GraphSettings,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AuthSettings {
    pub function_keys: Vec<String>,
}

impl Settings {
    /// Defaults < file < environment, then checked.
    pub fn load(file: Option<&std::path::Path>) -> Result<Self, String> {
        let sources = Sources {
            file,
            environment: true,
        };
        let settings: Self = load(
            SERVICE,
            DEFAULTS,
            sources,
            &["auth.function_keys", "connectors.allowed_client_ids"],
        )
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
        if self
            .auth
            .function_keys
            .iter()
            .all(|key| key.trim().is_empty())
        {
            return Err("configuration error: auth.function_keys (IDENTITY__AUTH__FUNCTION_KEYS) must name at least one key".to_owned());
        }
        if self.database.pool_size == 0 {
            return Err("configuration error: database.pool_size must be at least 1".to_owned());
        }
        if self.bus.batch_size < 1 {
            return Err("configuration error: bus.batch_size must be at least 1".to_owned());
        }
        self.microsoft
            .check("microsoft")
            .map_err(|err| format!("configuration error: {err}"))?;
        self.connectors.check()?;
        self.graph.check()?;
        Ok(())
    }
}
