//! The one error type of the Microsoft clients, shaped so callers can map it to their own answers
//! (a credential problem, a missing tenant, throttling, a timeout or an upstream failure).

use std::time::Duration;

/// What went wrong talking to Microsoft. Carries no secret and no token, so it can be logged as is.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum MsError {
    /// The token endpoint refused the application (AADSTS `invalid_client`, `unauthorized_client`,
    /// `invalid_scope`, ...): wrong client id, secret, or consent. `error` is the OAuth error string,
    /// `description` the first line of Microsoft's text and `error_codes` the AADSTS numbers it sent, so callers
    /// decide by code ([`MsError::has_code`]) rather than by reading the text.
    #[error("Microsoft rejected the client credentials: {error}: {description}")]
    InvalidClient {
        error: String,
        description: String,
        error_codes: Vec<u32>,
    },
    /// The tenant id or domain does not exist (AADSTS90002 and kin).
    #[error("the Microsoft tenant was not found")]
    TenantNotFound,
    /// Still throttled (429 / 503) after the retry budget; `retry_after` is Microsoft's last hint.
    #[error("Microsoft is throttling requests (retry after {retry_after:?})")]
    Throttled { retry_after: Option<Duration> },
    /// No answer within the configured timeout.
    #[error("Microsoft did not answer in time")]
    Timeout,
    /// An answer with an unexpected status (after retries for 5xx).
    #[error("Microsoft answered with HTTP status {status}")]
    Upstream { status: u16 },
    /// A successful status whose body is not what the protocol defines.
    #[error("Microsoft sent a malformed answer: {0}")]
    Malformed(String),
    /// The request could not be sent (connection refused, DNS, TLS).
    #[error("could not reach Microsoft: {0}")]
    Transport(String),
    /// An argument the client refuses before calling Microsoft (e.g. an empty user id).
    #[error("invalid request to Microsoft: {0}")]
    InvalidInput(String),
}

impl MsError {
    /// The AADSTS codes Microsoft gave for a refusal (`error_codes` of the token endpoint's answer); empty for
    /// every other failure.
    pub fn error_codes(&self) -> &[u32] {
        match self {
            MsError::InvalidClient { error_codes, .. } => error_codes,
            _ => &[],
        }
    }

    /// Whether Microsoft named AADSTS `code` (e.g. `700016`, the app has no service principal in the tenant).
    pub fn has_code(&self, code: u32) -> bool {
        self.error_codes().contains(&code)
    }

    /// Maps a reqwest failure without its URL (which may carry an email in a Graph query).
    pub(crate) fn from_reqwest(err: reqwest::Error) -> Self {
        if err.is_timeout() {
            MsError::Timeout
        } else if err.is_decode() {
            MsError::Malformed(err.without_url().to_string())
        } else {
            MsError::Transport(err.without_url().to_string())
        }
    }
}
