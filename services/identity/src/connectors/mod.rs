//! The sign-up and sign-in connectors called by Azure AD B2C (API connectors, [`b2c`]) and by its successor
//! Entra External ID (custom authentication extensions, [`entra`]). Both protocols share one logic ([`decide`]):
//! who may sign up, just-in-time provisioning and the authorization claims of a token.
//!
//! A connector runs in the middle of a person's sign-up or sign-in, so it never answers with a 5xx: an internal
//! failure becomes a block page carrying a support message and the id of the logged error.

pub mod auth;
pub mod b2c;
pub mod decide;
pub mod entra;
pub mod provisioning;

use std::fmt;

use serde::Deserialize;

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

    /// Whether `client_id` may sign up (case-insensitive, as GUIDs are).
    pub fn allows_client(&self, client_id: &str) -> bool {
        self.allowed_client_ids.is_empty()
            || self
                .allowed_client_ids
                .iter()
                .any(|allowed| allowed.trim().eq_ignore_ascii_case(client_id.trim()))
    }
}
