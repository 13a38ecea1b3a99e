//! The identity service's settings (see `config/defaults.toml` for every key and its default): the shared
//! sections flattened in, and the service's own sections with their rules. Every settings type lives here, so
//! the modules that use one import it from here and nothing imports back.

use serde::Deserialize;
use service_kit::{CommonSettings, ServiceSettings};
use std::fmt;

#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    /// `[http]`, `[database]`, `[bus]`, `[log]`.
    #[serde(flatten)]
    pub common: CommonSettings,
    pub auth: AuthSettings,
    /// Where Microsoft (token endpoint, Graph) is reached, and the bounds of each call.
    pub microsoft: microsoft::MicrosoftSettings,
    /// The B2C / Entra External ID connectors' rules and claim names.
    pub connectors: ConnectorSettings,
    /// The app registrations used to read Graph: `graph.b2c` (B2C tenant) and `graph.aad` (Entra tenant).
    pub graph: GraphSettings,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AuthSettings {
    pub function_keys: Vec<String>,
}

impl ServiceSettings for Settings {
    const SERVICE: &'static str = "identity";
    const DEFAULTS: &'static str = include_str!("../config/defaults.toml");
    const LIST_KEYS: &'static [&'static str] =
        &["auth.function_keys", "connectors.allowed_client_ids"];

    fn common(&self) -> &CommonSettings {
        &self.common
    }

    fn common_mut(&mut self) -> &mut CommonSettings {
        &mut self.common
    }

    /// Rules the types cannot express, each reported naming its setting.
    fn check_own(&self) -> Result<(), String> {
        if self
            .auth
            .function_keys
            .iter()
            .all(|key| key.trim().is_empty())
        {
            return Err("configuration error: auth.function_keys (IDENTITY__AUTH__FUNCTION_KEYS) must name at least one key".to_owned());
        }
        self.microsoft
            .check("microsoft")
            .map_err(|err| format!("configuration error: {err}"))?;
        self.connectors.check()?;
        self.graph.check()?;
        Ok(())
    }
}

/// The connectors' rules (`[connectors]` in `config/defaults.toml`).
#[derive(Clone, Deserialize)]
pub struct ConnectorSettings {
    /// Client applications allowed to sign up; empty allows all.
    pub allowed_client_ids: Vec<String>,
    /// Claim carrying the ids of the groups the person holds permissions in (comma-separated).
    pub groups_claim: String,
    /// Claim carrying the permissions per group (compact JSON object string).
    pub permissions_claim: String,
    /// Whether sign-up answers with a normalised `displayName`.
    pub normalise_display_name: bool,
    /// HTTP Basic user name for the connector paths; empty disables Basic.
    pub basic_username: String,
    /// HTTP Basic password; a secret, never printed.
    pub basic_password: String,
    /// Block-page text for an address already registered.
    pub email_taken_message: String,
    /// Block-page text for an application not allowed to sign up.
    pub client_not_allowed_message: String,
    /// Block-page text for an internal failure; `{error_id}` is replaced by the logged error id.
    pub support_message: String,
}

impl fmt::Debug for ConnectorSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectorSettings")
            .field("allowed_client_ids", &self.allowed_client_ids)
            .field("groups_claim", &self.groups_claim)
            .field("permissions_claim", &self.permissions_claim)
            .field("normalise_display_name", &self.normalise_display_name)
            .field("basic_username", &self.basic_username)
            .field("basic_password", &"<redacted>")
            .finish_non_exhaustive()
    }
}

impl ConnectorSettings {
    /// Rules the types cannot express, naming the setting at fault.
    pub fn check(&self) -> Result<(), String> {
        if self.basic_username.is_empty() != self.basic_password.is_empty() {
            return Err("configuration error: connectors.basic_username and connectors.basic_password must be set together (IDENTITY__CONNECTORS__BASIC_...)".to_owned());
        }
        if self.basic_username.contains(':') {
            return Err(
                "configuration error: connectors.basic_username must not contain ':'".to_owned(),
            );
        }
        for (key, value) in [
            ("groups_claim", &self.groups_claim),
            ("permissions_claim", &self.permissions_claim),
        ] {
            if value.trim().is_empty() {
                return Err(format!(
                    "configuration error: connectors.{key} must not be empty"
                ));
            }
        }
        if self.groups_claim == self.permissions_claim {
            return Err("configuration error: connectors.groups_claim and connectors.permissions_claim must differ".to_owned());
        }
        Ok(())
    }
}

/// The two app registrations that read Graph, one per tenant.
#[derive(Debug, Clone, Deserialize)]
pub struct GraphSettings {
    /// The Azure AD B2C tenant (`/b2c/userdetails`).
    pub b2c: AppRegistration,
    /// The Entra ID (workforce) tenant (`/aad/userdetails`, `/aad/getoidbyemail`).
    pub aad: AppRegistration,
}

/// One app registration's client credentials. An empty `tenant` means "not configured".
#[derive(Clone, Deserialize)]
pub struct AppRegistration {
    pub tenant: String,
    pub client_id: String,
    pub client_secret: String,
}

impl fmt::Debug for AppRegistration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppRegistration")
            .field("tenant", &self.tenant)
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .finish()
    }
}

/// The tenants the service reads Graph in, each with its own registration (`graph.b2c`, `graph.aad`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tenant {
    /// The Azure AD B2C tenant, where customers sign in.
    B2c,
    /// The Entra ID (workforce) tenant.
    Aad,
}

impl Tenant {
    /// The tenant's name in settings keys and messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::B2c => "b2c",
            Self::Aad => "aad",
        }
    }
}

impl fmt::Display for Tenant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl GraphSettings {
    /// The registration that reads Graph in `tenant`.
    pub fn registration(&self, tenant: Tenant) -> &AppRegistration {
        match tenant {
            Tenant::B2c => &self.b2c,
            Tenant::Aad => &self.aad,
        }
    }

    /// A registration is all or nothing, so a half-configured one fails at start rather than at first call.
    pub fn check(&self) -> Result<(), String> {
        for tenant in [Tenant::B2c, Tenant::Aad] {
            let (name, app) = (tenant.as_str(), self.registration(tenant));
            let set = [&app.tenant, &app.client_id, &app.client_secret]
                .iter()
                .filter(|v| !v.trim().is_empty())
                .count();
            if set != 0 && set != 3 {
                return Err(format!(
                    "configuration error: graph.{name}.tenant, client_id and client_secret must be set together (IDENTITY__GRAPH__{}__...)",
                    name.to_uppercase()
                ));
            }
        }
        Ok(())
    }
}
