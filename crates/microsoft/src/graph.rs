//! Microsoft Graph reads with an app-only token: raw JSON GETs and the typed user look-ups the services need.

use std::fmt;
use std::sync::Arc;

use reqwest::StatusCode;
use reqwest::header::{ACCEPT, AUTHORIZATION};
use serde_json::Value;

use crate::token::CachedToken;
use crate::{MicrosoftSettings, MsError, http};

/// The scope of an app-only Graph token.
pub const GRAPH_SCOPE: &str = "https://graph.microsoft.com/.default";

/// A Graph client for one tenant and app registration (its token comes from the given [`CachedToken`]).
#[derive(Clone)]
pub struct GraphClient {
    http: reqwest::Client,
    settings: Arc<MicrosoftSettings>,
    token: Arc<CachedToken>,
}

impl fmt::Debug for GraphClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GraphClient")
            .field("graph_base_url", &self.settings.graph_base_url)
            .field("token", &self.token)
            .finish()
    }
}

impl GraphClient {
    /// A client calling `settings.graph_base_url` with tokens from `token` (scope [`GRAPH_SCOPE`]).
    pub fn new(settings: &MicrosoftSettings, token: Arc<CachedToken>) -> Result<Self, MsError> {
        Ok(Self {
            http: settings.http_client()?,
            settings: Arc::new(settings.clone()),
            token,
        })
    }

    /// `GET {graph_base_url}{path_and_query}`: the JSON body, or `None` when Graph answers 404. A 401 drops the
    /// cached token and tries once more with a fresh one (a token revoked before its expiry).
    pub async fn get_json(&self, path_and_query: &str) -> Result<Option<Value>, MsError> {
        let url = format!(
            "{}{}",
            self.settings.graph_base_url.trim_end_matches('/'),
            path_and_query
        );
        let mut answer = self.get_once(&url).await?;
        if answer.status == StatusCode::UNAUTHORIZED {
            self.token.invalidate().await;
            answer = self.get_once(&url).await?;
        }
        match answer.status {
            status if status.is_success() => serde_json::from_slice(&answer.body)
                .map(Some)
                .map_err(|err| MsError::Malformed(format!("Graph answer: {err}"))),
            StatusCode::NOT_FOUND => Ok(None),
            status => {
                tracing::warn!(
                    status = status.as_u16(),
                    code = odata_error_code(&answer.body).as_deref().unwrap_or("-"),
                    "Graph refused the request"
                );
                Err(MsError::Upstream {
                    status: status.as_u16(),
                })
            }
        }
    }

    async fn get_once(&self, url: &str) -> Result<http::Answer, MsError> {
        let token = self.token.get().await?;
        http::send(&self.settings, "graph", || {
            self.http
                .get(url)
                .header(AUTHORIZATION, format!("Bearer {token}"))
                .header(ACCEPT, "application/json")
        })
        .await
    }

    /// `GET /users/{id}?$select=...`: the user's selected properties, or `None` if Graph does not know the id.
    /// The id is percent-encoded as one path segment, so it cannot reach another Graph path.
    pub async fn get_user(&self, id: &str, select: &[&str]) -> Result<Option<Value>, MsError> {
        let id = id.trim();
        if id.is_empty() {
            return Err(MsError::InvalidInput("empty user id".into()));
        }
        let mut path = format!("/users/{}", encode_segment(id));
        if !select.is_empty() {
            path.push('?');
            path.push_str(&query(&[("$select", &select.join(","))]));
        }
        self.get_json(&path).await
    }

    /// The first user whose `mail` or `userPrincipalName` equals `email` (Graph compares them case-insensitively),
    /// or `None`. Quotes in the email are doubled as OData requires, so the value can never end the literal and
    /// add operators to the filter.
    pub async fn find_user_by_email(
        &self,
        email: &str,
        select: &[&str],
    ) -> Result<Option<Value>, MsError> {
        let filter = email_filter(email);
        let mut pairs: Vec<(&str, &str)> = vec![("$filter", &filter), ("$top", "1")];
        let select = select.join(",");
        if !select.is_empty() {
            pairs.push(("$select", &select));
        }
        let path = format!("/users?{}", query(&pairs));
        let Some(body) = self.get_json(&path).await? else {
            return Ok(None);
        };
        match body.get("value") {
            Some(Value::Array(users)) => Ok(users.first().cloned()),
            _ => Err(MsError::Malformed(
                "Graph user list without a `value` array".into(),
            )),
        }
    }
}

/// The OData `$filter` matching `email` on `mail` or `userPrincipalName`, with the literal escaped.
pub fn email_filter(email: &str) -> String {
    let literal = odata_string(email);
    format!("mail eq {literal} or userPrincipalName eq {literal}")
}

/// An OData string literal: single quotes around, each inner quote doubled.
pub fn odata_string(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

fn encode_segment(segment: &str) -> String {
    url::form_urlencoded::byte_serialize(segment.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

fn query(pairs: &[(&str, &str)]) -> String {
    let mut serializer = url::form_urlencoded::Serializer::new(String::new());
    for (key, value) in pairs {
        serializer.append_pair(key, value);
    }
    serializer.finish().replace('+', "%20")
}

/// The `error.code` of an OData error body, for the log line.
fn odata_error_code(body: &[u8]) -> Option<String> {
    let value: Value = serde_json::from_slice(body).ok()?;
    value.get("error")?.get("code")?.as_str().map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_are_doubled_in_the_filter() {
        assert_eq!(
            email_filter("o'brien@example.com"),
            "mail eq 'o''brien@example.com' or userPrincipalName eq 'o''brien@example.com'"
        );
        assert_eq!(
            email_filter("x' or 1 eq 1 or mail eq 'y"),
            "mail eq 'x'' or 1 eq 1 or mail eq ''y' or userPrincipalName eq 'x'' or 1 eq 1 or mail eq ''y'"
        );
    }

    #[test]
    fn ids_stay_one_path_segment() {
        assert_eq!(encode_segment("../groups?x=1"), "..%2Fgroups%3Fx%3D1");
        assert_eq!(encode_segment("a b"), "a%20b");
    }
}
