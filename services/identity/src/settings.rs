//! The identity service's settings (see `config/defaults.toml` for every key and its default): the shared
//! sections flattened in, and the service's own sections with their rules. Every settings type lives here, so
//! the modules that use one import it from here and nothing imports back.

use security::jwt::{JwtSettings, TokenVerifier};
use serde::Deserialize;
use service_kit::{CommonSettings, ServiceSettings};
use std::fmt;
use uuid::Uuid;

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
    /// Validation of the bearer token Entra sends to the custom authentication extensions (`/entra/*`).
    pub entra: EntraSettings,
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
            .field("entra", &self.entra)
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
        self.entra.verifier_settings()?;
        Ok(())
    }
}

/// `[connectors.entra]`: which tokens Entra's custom authentication extension calls are trusted with. Off (the
/// function key or Basic, as on `/b2c/*`) while `tenant_id` is empty.
#[derive(Debug, Clone, Deserialize)]
pub struct EntraSettings {
    /// The Entra tenant whose tokens are trusted (a UUID); empty turns validation off.
    pub tenant_id: String,
    /// Expected `aud`: the custom extension's app registration (its client id, or its App ID URI for v1 tokens).
    pub audience: String,
    /// Expected `iss`, with `{tenant_id}` replaced; discovery is at `<issuer>/.well-known/openid-configuration`.
    pub issuer: String,
    /// The tenant's JWKS, when it must not be found through discovery (v1 issuers have no discovery there).
    pub jwks_uri: String,
    /// Clock skew tolerated on `exp` and `nbf`, in seconds.
    pub leeway_secs: u64,
    /// Fewest seconds between two JWKS fetches (unknown `kid`s ask for one; the bound protects Microsoft).
    pub jwks_min_refresh_interval_secs: u64,
}

impl EntraSettings {
    /// What the bearer-token verifier is built from, or `None` when validation is off; a half-made or unusable
    /// configuration is an error naming its setting, so it fails at start and not at Entra's first call.
    pub fn verifier_settings(&self) -> Result<Option<JwtSettings>, String> {
        let tenant = self.tenant_id.trim();
        if tenant.is_empty() {
            return Ok(None);
        }
        let fail = |what: String| Err(format!("configuration error: connectors.entra.{what}"));
        let Ok(tenant) = Uuid::parse_str(tenant) else {
            return fail("tenant_id must be the tenant's id, a UUID".to_owned());
        };
        if self.audience.trim().is_empty() {
            return fail(
                "audience must name the custom extension's app registration when tenant_id is set"
                    .to_owned(),
            );
        }
        let issuer = self
            .issuer
            .trim()
            .replace("{tenant_id}", &tenant.to_string());
        if issuer.is_empty() {
            return fail("issuer must not be empty when tenant_id is set".to_owned());
        }
        let jwks_uri = self.jwks_uri.trim().to_owned();
        let settings = JwtSettings {
            issuer,
            audience: self.audience.trim().to_owned(),
            leeway_secs: self.leeway_secs,
            discovery: jwks_uri.is_empty(),
            jwks_uri,
            jwks_min_refresh_interval_secs: self.jwks_min_refresh_interval_secs,
            ..JwtSettings::default()
        };
        TokenVerifier::check(&settings).map_err(|err| {
            format!("configuration error: connectors.entra (issuer, jwks_uri): {err}")
        })?;
        Ok(Some(settings))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn entra(tenant_id: &str, audience: &str) -> EntraSettings {
        EntraSettings {
            tenant_id: tenant_id.into(),
            audience: audience.into(),
            issuer: "https://{tenant_id}.ciamlogin.com/{tenant_id}/v2.0".into(),
            jwks_uri: String::new(),
            leeway_secs: 60,
            jwks_min_refresh_interval_secs: 30,
        }
    }

    #[test]
    fn entra_validation_is_off_without_a_tenant_and_checked_with_one() {
        assert!(entra("", "").verifier_settings().unwrap().is_none());
        let tenant = "30000000-0000-0000-0000-000000000003";
        let on = entra(tenant, "app").verifier_settings().unwrap().unwrap();
        assert_eq!(
            on.issuer,
            format!("https://{tenant}.ciamlogin.com/{tenant}/v2.0")
        );
        assert!(on.discovery, "discovery unless a jwks_uri is given");
        let mut direct = entra(tenant, "app");
        direct.jwks_uri = "https://login.microsoftonline.com/x/discovery/v2.0/keys".into();
        assert!(!direct.verifier_settings().unwrap().unwrap().discovery);

        let err = |e: EntraSettings| e.verifier_settings().unwrap_err();
        assert!(err(entra("contoso", "app")).contains("connectors.entra.tenant_id"));
        assert!(err(entra(tenant, " ")).contains("connectors.entra.audience"));
        let mut clear = entra(tenant, "app");
        clear.issuer = "http://login.example/{tenant_id}/v2.0".into();
        assert!(
            err(clear).contains("https"),
            "keys are not fetched in clear"
        );
    }
}
