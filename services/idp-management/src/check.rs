//! Extension: a dry-run check of an identity-provider configuration, before it breaks a login.
//!
//! For OIDC: `<issuer>/.well-known/openid-configuration` is fetched, its `issuer` must equal the configured one
//! exactly, and its `jwks_uri` must be reachable and hold at least one signing key. For OAuth2: the configured
//! URLs must be absolute https (http only for loopback hosts, by configuration). The answer is a report, one
//! entry per check. No redirects are followed, responses are capped, and only URLs passing the same policy as
//! stored configurations are fetched (so the check cannot be pointed at arbitrary plain-http hosts). No
//! database access, no secret involved.

use crate::db::models::IdpType;
use crate::error::ApiError;
use crate::ids::ProviderKey;
use crate::input::{ProviderInput, UrlPolicy};
use serde::Serialize;
use serde_json::Value;
use std::time::Duration;

/// Largest discovery or JWKS document read.
const MAX_DOCUMENT: usize = 512 * 1024;

/// One check's outcome.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Check {
    pub name: &'static str,
    pub ok: bool,
    pub message: String,
}

/// The report the check endpoint answers.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub ok: bool,
    pub checks: Vec<Check>,
}

impl Report {
    /// A report that passes only when every check does.
    pub fn of(checks: Vec<Check>) -> Self {
        Self {
            ok: checks.iter().all(|c| c.ok),
            checks,
        }
    }
}

fn pass(name: &'static str, message: impl Into<String>) -> Check {
    Check {
        name,
        ok: true,
        message: message.into(),
    }
}

fn fail(name: &'static str, message: impl Into<String>) -> Check {
    Check {
        name,
        ok: false,
        message: message.into(),
    }
}

/// The HTTP client the checks use (no redirects, bounded time).
pub fn client(timeout: Duration) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .connect_timeout(timeout)
        .build()
}

async fn fetch_json(client: &reqwest::Client, url: &str) -> Result<Value, String> {
    let mut response = client
        .get(url)
        .header("accept", "application/json")
        .send()
        .await
        .map_err(|e| {
            if e.is_timeout() {
                "timed out".to_owned()
            } else if e.is_connect() {
                "could not connect".to_owned()
            } else {
                "request failed".to_owned()
            }
        })?;
    if !response.status().is_success() {
        return Err(format!("answered HTTP {}", response.status().as_u16()));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|_| "the response could not be read".to_owned())?
    {
        body.extend_from_slice(&chunk);
        if body.len() > MAX_DOCUMENT {
            return Err(format!("the document is larger than {MAX_DOCUMENT} bytes"));
        }
    }
    serde_json::from_slice(&body).map_err(|_| "the answer is not JSON".to_owned())
}

async fn check_oidc(client: &reqwest::Client, policy: UrlPolicy, issuer: &str) -> Vec<Check> {
    let mut checks = Vec::new();
    if let Some(problem) = policy.problem(issuer) {
        checks.push(fail("issuerUrl", format!("issuer {problem}")));
        return checks;
    }
    checks.push(pass("issuerUrl", "issuer is an acceptable absolute URL"));
    let discovery_url = format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    );
    let document = match fetch_json(client, &discovery_url).await {
        Ok(doc) if doc.is_object() => {
            checks.push(pass("discovery", format!("{discovery_url} answered")));
            doc
        }
        Ok(_) => {
            checks.push(fail(
                "discovery",
                format!("{discovery_url} did not answer a JSON object"),
            ));
            return checks;
        }
        Err(why) => {
            checks.push(fail("discovery", format!("{discovery_url}: {why}")));
            return checks;
        }
    };
    match document.get("issuer").and_then(Value::as_str) {
        Some(found) if found == issuer => {
            checks.push(pass("issuerMatch", "the discovered issuer matches exactly"))
        }
        Some(found) => checks.push(fail(
            "issuerMatch",
            format!("the discovery document names issuer {found:?}, not {issuer:?}"),
        )),
        None => checks.push(fail(
            "issuerMatch",
            "the discovery document names no issuer",
        )),
    }
    let Some(jwks_uri) = document.get("jwks_uri").and_then(Value::as_str) else {
        checks.push(fail("jwks", "the discovery document names no jwks_uri"));
        return checks;
    };
    if let Some(problem) = policy.problem(jwks_uri) {
        checks.push(fail("jwks", format!("jwks_uri {problem}")));
        return checks;
    }
    match fetch_json(client, jwks_uri).await {
        Ok(jwks) => {
            let signing = jwks
                .get("keys")
                .and_then(Value::as_array)
                .map(|keys| {
                    keys.iter()
                        .filter(|k| k.get("kty").and_then(Value::as_str).is_some())
                        .filter(|k| {
                            k.get("use")
                                .and_then(Value::as_str)
                                .is_none_or(|u| u == "sig")
                        })
                        .count()
                })
                .unwrap_or(0);
            if signing > 0 {
                checks.push(pass(
                    "jwks",
                    format!("{jwks_uri} holds {signing} signing key(s)"),
                ));
            } else {
                checks.push(fail("jwks", format!("{jwks_uri} holds no signing key")));
            }
        }
        Err(why) => checks.push(fail("jwks", format!("{jwks_uri}: {why}"))),
    }
    checks
}

fn check_oauth2(policy: UrlPolicy, config: &Value) -> Vec<Check> {
    let mut checks = Vec::new();
    for (name, field) in [
        ("authorizeUrl", "authorizeUrl"),
        ("tokenUrl", "tokenUrl"),
        ("userInfoUrl", "userInfoUrl"),
    ] {
        match config
            .get(field)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
        {
            None => {}
            Some(url) => match policy.problem(url) {
                None => checks.push(pass(name, format!("{field} is an acceptable absolute URL"))),
                Some(problem) => checks.push(fail(name, format!("{field} {problem}"))),
            },
        }
    }
    checks
}

/// Runs the checks for a configuration that passed schema validation.
pub async fn run(client: &reqwest::Client, policy: UrlPolicy, input: &ProviderInput) -> Report {
    let checks = match (&input.oidc_config, &input.oauth2_config) {
        (Some(oidc), _) if input.idp_type == IdpType::Oidc => {
            let issuer = oidc
                .get("issuer")
                .and_then(Value::as_str)
                .unwrap_or_default();
            check_oidc(client, policy, issuer).await
        }
        (_, Some(oauth2)) => check_oauth2(policy, oauth2),
        _ => vec![fail("configuration", "no configuration block for the type")],
    };
    Report::of(checks)
}

/// Checks a configuration body (`ApplicationIdentityProviderInWithoutKeyV1`, a JSON object). A body the PUT
/// would refuse, the configuration rules included, is refused with the PUT's error (the rules are part of the
/// schema, `IdpTypeRulesV1`); a configuration passing them is a report of the checks, failed ones included (an
/// issuer that does not answer as it must).
pub async fn configuration(
    client: &reqwest::Client,
    policy: UrlPolicy,
    body: serde_json::Value,
) -> Result<Report, ApiError> {
    // The body has no key and the check stores nothing: any valid key will do.
    let key =
        ProviderKey::parse("check").ok_or_else(|| ApiError::bug("the check's key is invalid"))?;
    let input = crate::input::single(body, &key, policy)?;
    Ok(run(client, policy, &input).await)
}
