//! Clients for the Microsoft identity platform shared by the services that talk to Entra ID / Azure AD B2C:
//! the OAuth2 client-credentials token endpoint ([`token`]) and Microsoft Graph ([`graph`]).
//!
//! Both reach Microsoft through base URLs taken from [`MicrosoftSettings`], so tests point them at a local fake
//! speaking the real wire format. Every call is bounded: a per-request timeout, and retries of throttling (429,
//! 503 honouring `Retry-After`) and other 5xx answers within a fixed number of attempts and a fixed total wait.
//! No secret or access token ever appears in a `Debug`/`Display` output, an error or a log line.

mod error;
pub mod graph;
mod http;
pub mod token;

use std::time::Duration;

use serde::Deserialize;

pub use error::MsError;

/// Where Microsoft is reached and how long a call may take; one section per service configuration.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct MicrosoftSettings {
    /// The identity platform authority; tokens come from `{authority}/{tenant}/oauth2/v2.0/token`.
    #[serde(default = "default_authority")]
    pub authority: String,
    /// Microsoft Graph's versioned root, e.g. `https://graph.microsoft.com/v1.0`.
    #[serde(default = "default_graph_base_url")]
    pub graph_base_url: String,
    /// Timeout of one HTTP attempt (connect + answer), so a slow Microsoft never hangs a caller.
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
    /// Retries after the first attempt for 429 / 5xx answers.
    #[serde(default = "default_max_retries")]
    pub max_retries: u32,
    /// Total time all retries of one call may wait; a `Retry-After` beyond it ends the call at once.
    #[serde(default = "default_max_retry_wait_ms")]
    pub max_retry_wait_ms: u64,
}

fn default_authority() -> String {
    "https://login.microsoftonline.com".to_owned()
}

fn default_graph_base_url() -> String {
    "https://graph.microsoft.com/v1.0".to_owned()
}

fn default_timeout_ms() -> u64 {
    5_000
}

fn default_max_retries() -> u32 {
    2
}

fn default_max_retry_wait_ms() -> u64 {
    2_000
}

impl Default for MicrosoftSettings {
    fn default() -> Self {
        Self {
            authority: default_authority(),
            graph_base_url: default_graph_base_url(),
            timeout_ms: default_timeout_ms(),
            max_retries: default_max_retries(),
            max_retry_wait_ms: default_max_retry_wait_ms(),
        }
    }
}

impl MicrosoftSettings {
    /// Rules the types cannot express, each naming the key at fault (prefixed by the caller's section name).
    pub fn check(&self, section: &str) -> Result<(), String> {
        for (key, value) in [
            ("authority", &self.authority),
            ("graph_base_url", &self.graph_base_url),
        ] {
            match url::Url::parse(value) {
                Ok(url) if matches!(url.scheme(), "http" | "https") => {}
                _ => return Err(format!("{section}.{key} must be an http(s) URL")),
            }
        }
        if self.timeout_ms == 0 {
            return Err(format!("{section}.timeout_ms must be at least 1"));
        }
        Ok(())
    }

    pub(crate) fn timeout(&self) -> Duration {
        Duration::from_millis(self.timeout_ms)
    }

    pub(crate) fn http_client(&self) -> Result<reqwest::Client, MsError> {
        reqwest::Client::builder()
            .timeout(self.timeout())
            .connect_timeout(self.timeout())
            .build()
            .map_err(|err| MsError::Transport(err.without_url().to_string()))
    }
}
