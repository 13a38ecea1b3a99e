//! OAuth2 client-credentials tokens from the Microsoft identity platform, and a per-(tenant, app, scope) cache
//! that refreshes shortly before expiry and lets concurrent callers share one token request.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use tokio::sync::Mutex;

use crate::{MicrosoftSettings, MsError, http};

/// An access token and what the caller needs to know about it. `Debug` never prints the token.
#[derive(Clone)]
pub struct AccessToken {
    /// The bearer token itself; a secret.
    pub token: String,
    /// When Microsoft said it stops being valid (measured from when the request was sent).
    pub expires_at: Instant,
    /// The app roles granted (`roles` claim of the JWT payload, read without verification; empty if absent).
    pub roles: Vec<String>,
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken")
            .field("token", &"<redacted>")
            .field("expires_at", &self.expires_at)
            .field("roles", &self.roles)
            .finish()
    }
}

/// Calls the token endpoint `{authority}/{tenant}/oauth2/v2.0/token`; no caching (see [`CachedToken`]).
#[derive(Clone)]
pub struct TokenClient {
    http: reqwest::Client,
    settings: Arc<MicrosoftSettings>,
}

impl fmt::Debug for TokenClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenClient")
            .field("authority", &self.settings.authority)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    expires_in: serde_json::Value,
}

#[derive(Deserialize)]
struct TokenErrorAnswer {
    error: String,
    #[serde(default)]
    error_description: String,
    /// Numbers, not parsed as `u32` directly: one odd value must not turn the whole refusal into `Upstream`.
    #[serde(default)]
    error_codes: Vec<i64>,
}

impl TokenErrorAnswer {
    /// The AADSTS codes that are valid code numbers.
    fn codes(&self) -> Vec<u32> {
        self.error_codes
            .iter()
            .filter_map(|code| u32::try_from(*code).ok())
            .collect()
    }
}

/// AADSTS codes meaning the tenant does not exist (or is not a valid identifier).
const TENANT_NOT_FOUND_CODES: [u32; 3] = [90002, 900023, 90072];

impl TokenClient {
    /// A client with the settings' timeout; fails only if the HTTP stack cannot be built.
    pub fn new(settings: &MicrosoftSettings) -> Result<Self, MsError> {
        Ok(Self {
            http: settings.http_client()?,
            settings: Arc::new(settings.clone()),
        })
    }

    /// Requests a token for `scope` (e.g. `https://graph.microsoft.com/.default`) with the client-credentials
    /// grant. AADSTS refusals become [`MsError::InvalidClient`] or [`MsError::TenantNotFound`].
    pub async fn client_credentials(
        &self,
        tenant: &str,
        client_id: &str,
        client_secret: &str,
        scope: &str,
    ) -> Result<AccessToken, MsError> {
        if tenant.is_empty() || tenant.contains(['/', '?', '#', '%']) || tenant.contains("..") {
            return Err(MsError::TenantNotFound);
        }
        let url = format!(
            "{}/{}/oauth2/v2.0/token",
            self.settings.authority.trim_end_matches('/'),
            tenant
        );
        let form = [
            ("grant_type", "client_credentials"),
            ("client_id", client_id),
            ("client_secret", client_secret),
            ("scope", scope),
        ];
        let sent_at = Instant::now();
        let answer =
            http::send(&self.settings, "token", || self.http.post(&url).form(&form)).await?;
        if answer.status.is_success() {
            let body: TokenAnswer = serde_json::from_slice(&answer.body)
                .map_err(|err| MsError::Malformed(format!("token answer: {err}")))?;
            let expires_in = match &body.expires_in {
                serde_json::Value::Number(n) => n.as_u64(),
                serde_json::Value::String(s) => s.parse().ok(),
                _ => None,
            }
            .ok_or_else(|| MsError::Malformed("token answer: expires_in is not a number".into()))?;
            if body.access_token.is_empty() {
                return Err(MsError::Malformed(
                    "token answer: empty access_token".into(),
                ));
            }
            let roles = roles_of(&body.access_token);
            return Ok(AccessToken {
                token: body.access_token,
                expires_at: sent_at + Duration::from_secs(expires_in),
                roles,
            });
        }
        match serde_json::from_slice::<TokenErrorAnswer>(&answer.body) {
            Ok(err)
                if err
                    .codes()
                    .iter()
                    .any(|c| TENANT_NOT_FOUND_CODES.contains(c)) =>
            {
                Err(MsError::TenantNotFound)
            }
            Ok(err) if answer.status.is_client_error() => {
                tracing::warn!(code = %err.error, aadsts = ?err.error_codes, "token endpoint refused the client");
                Err(MsError::InvalidClient {
                    error_codes: err.codes(),
                    error: err.error,
                    description: first_line(&err.error_description),
                })
            }
            _ => Err(MsError::Upstream {
                status: answer.status.as_u16(),
            }),
        }
    }
}

/// AADSTS descriptions carry trace and correlation ids on later lines; the first line is the message.
fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or_default().trim().to_owned()
}

/// The `roles` claim of a JWT's payload, decoded without verification (Microsoft signed it; we only read
/// what it grants to report missing permissions). Anything unreadable yields no roles.
fn roles_of(jwt: &str) -> Vec<String> {
    #[derive(Deserialize)]
    struct Claims {
        #[serde(default)]
        roles: Vec<String>,
    }
    let Some(payload) = jwt.split('.').nth(1) else {
        return Vec::new();
    };
    URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()
        .and_then(|bytes| serde_json::from_slice::<Claims>(&bytes).ok())
        .map(|claims| claims.roles)
        .unwrap_or_default()
}

/// A client secret that never shows in `Debug`.
#[derive(Clone)]
struct Secret(String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

#[derive(Default)]
struct CacheState {
    /// The token and when to renew it.
    token: Option<(AccessToken, Instant)>,
    /// The last failed fetch: callers that were already waiting when it failed share it instead of each
    /// calling Microsoft again in turn.
    failure: Option<(Instant, MsError)>,
}

/// The token of one (tenant, app, scope), fetched on first use, reused until shortly before it expires, with
/// concurrent callers sharing a single request (single-flight).
pub struct CachedToken {
    client: TokenClient,
    tenant: String,
    client_id: String,
    client_secret: Secret,
    scope: String,
    state: Mutex<CacheState>,
}

impl fmt::Debug for CachedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CachedToken")
            .field("tenant", &self.tenant)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret)
            .field("scope", &self.scope)
            .finish()
    }
}

/// A token is renewed this long before it expires (or at three quarters of a short lifetime).
const REFRESH_MARGIN: Duration = Duration::from_secs(120);

impl CachedToken {
    /// A cache for one app registration in one tenant; nothing is fetched until [`CachedToken::get`].
    pub fn new(
        client: TokenClient,
        tenant: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
        scope: impl Into<String>,
    ) -> Self {
        Self {
            client,
            tenant: tenant.into(),
            client_id: client_id.into(),
            client_secret: Secret(client_secret.into()),
            scope: scope.into(),
            state: Mutex::new(CacheState::default()),
        }
    }

    /// A valid bearer token: the cached one, or a fresh one fetched by exactly one of the concurrent callers.
    pub async fn get(&self) -> Result<String, MsError> {
        Ok(self.get_token().await?.token)
    }

    /// Like [`CachedToken::get`] but with the expiry and roles.
    pub async fn get_token(&self) -> Result<AccessToken, MsError> {
        let arrived = Instant::now();
        let mut state = self.state.lock().await;
        if let Some((token, renew_at)) = &state.token
            && Instant::now() < *renew_at
        {
            return Ok(token.clone());
        }
        if let Some((failed_at, err)) = &state.failure
            && *failed_at >= arrived
        {
            return Err(err.clone());
        }
        let fetched_at = Instant::now();
        match self
            .client
            .client_credentials(
                &self.tenant,
                &self.client_id,
                &self.client_secret.0,
                &self.scope,
            )
            .await
        {
            Ok(token) => {
                let lifetime = token.expires_at.saturating_duration_since(fetched_at);
                let renew_at = fetched_at + lifetime - REFRESH_MARGIN.min(lifetime / 4);
                state.token = Some((token.clone(), renew_at));
                state.failure = None;
                Ok(token)
            }
            Err(err) => {
                state.token = None;
                state.failure = Some((Instant::now(), err.clone()));
                Err(err)
            }
        }
    }

    /// Drops the cached token (e.g. after Graph answered 401 with it).
    pub async fn invalidate(&self) {
        self.state.lock().await.token = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_read_from_the_payload() {
        let payload =
            URL_SAFE_NO_PAD.encode(br#"{"aud":"x","roles":["User.Read.All","Group.Read.All"]}"#);
        let jwt = format!("eyJhbGciOiJub25lIn0.{payload}.sig");
        assert_eq!(roles_of(&jwt), vec!["User.Read.All", "Group.Read.All"]);
        let payload = URL_SAFE_NO_PAD.encode(br#"{"aud":"x"}"#);
        assert!(roles_of(&format!("a.{payload}.b")).is_empty());
        assert!(roles_of("not-a-jwt").is_empty());
        assert!(roles_of("a.!!!.b").is_empty());
    }

    #[test]
    fn odd_aadsts_codes_are_skipped_not_fatal() {
        let answer: TokenErrorAnswer = serde_json::from_str(
            r#"{"error":"invalid_client","error_codes":[7000215,-1,99999999999]}"#,
        )
        .unwrap();
        assert_eq!(answer.codes(), vec![7000215]);
    }

    #[test]
    fn debug_output_hides_secrets() {
        let token = AccessToken {
            token: "very-secret-token".into(),
            expires_at: Instant::now(),
            roles: vec![],
        };
        assert!(!format!("{token:?}").contains("very-secret-token"));
        let client = TokenClient::new(&MicrosoftSettings::default()).unwrap();
        let cached = CachedToken::new(client, "t", "app", "very-secret-secret", "s");
        assert!(!format!("{cached:?}").contains("very-secret-secret"));
    }
}
