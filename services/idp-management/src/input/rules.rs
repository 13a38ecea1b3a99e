//! The rules the schema cannot express, which make a well-formed configuration workable: the config block the
//! `type` needs (and not the other one), the URLs a type requires, URLs absolute and https (http only for
//! loopback hosts, by configuration), the client id of an OAuth2 provider. They run on the raw body, beside the
//! schema walk, so a request learns every problem at once.

use super::walker::{echo, join};
use crate::db::models::IdpType;
use crate::error::Detail;
use serde_json::{Map, Value};

/// How strict URL checks are.
#[derive(Debug, Clone, Copy, Default)]
pub struct UrlPolicy {
    /// Accept `http://` for loopback hosts (127.0.0.0/8, ::1, localhost) — local development only.
    pub allow_http_loopback: bool,
}

impl UrlPolicy {
    /// `None` when `raw` is an absolute https URL (or loopback http when allowed), else why not.
    pub fn problem(&self, raw: &str) -> Option<&'static str> {
        let Ok(url) = url::Url::parse(raw) else {
            return Some("must be an absolute URL");
        };
        let Some(host) = url.host() else {
            return Some("must be an absolute URL with a host");
        };
        let loopback = match host {
            url::Host::Domain(d) => d.eq_ignore_ascii_case("localhost"),
            url::Host::Ipv4(ip) => ip.is_loopback(),
            url::Host::Ipv6(ip) => ip.is_loopback(),
        };
        if !url.username().is_empty() || url.password().is_some() {
            return Some("must not carry credentials");
        }
        match url.scheme() {
            "https" => None,
            "http" if loopback && self.allow_http_loopback => None,
            "http" if loopback => {
                Some("must use https (http is allowed for loopback only when configured)")
            }
            _ => Some("must use https"),
        }
    }
}

/// Adds a detail to `out` for each rule the provider object `map` at `path` breaks. The `type` is taken as
/// written (an unknown one is reported by the schema walk, and still gets the OAuth2 rules here).
pub fn check_semantics(
    map: &Map<String, Value>,
    path: &str,
    policy: UrlPolicy,
    out: &mut Vec<Detail>,
) {
    let Some(idp_type) = map.get("type").and_then(Value::as_str) else {
        return;
    };
    let oidc = idp_type == IdpType::Oidc.as_str();
    let present = |name: &str| map.get(name).is_some_and(|v| !v.is_null());
    let (needed, forbidden) = if oidc {
        ("oidcConfig", "oauth2Config")
    } else {
        ("oauth2Config", "oidcConfig")
    };
    if !present(needed) {
        out.push(Detail::new(
            join(path, needed),
            None,
            format!("is required when type is {idp_type}"),
        ));
    }
    if present(forbidden) {
        out.push(Detail::new(
            join(path, forbidden),
            None,
            format!("must not be given when type is {idp_type}"),
        ));
    }
    let mut url_check = |block: &str, name: &str, required: bool| {
        let at = join(path, &format!("{block}.{name}"));
        match map.get(block).and_then(|b| b.get(name)) {
            Some(Value::String(s)) if !s.is_empty() => {
                if let Some(problem) = policy.problem(s) {
                    out.push(Detail::new(at, echo(&Value::String(s.clone())), problem));
                }
            }
            _ if required => out.push(Detail::new(
                at,
                None,
                format!("is required when type is {idp_type}"),
            )),
            _ => {}
        }
    };
    let oauth2 = IdpType::parse(idp_type)
        .filter(|t| matches!(t, IdpType::OAuth2AuthCode | IdpType::OAuth2Implicit));
    if oidc && present("oidcConfig") {
        url_check("oidcConfig", "issuer", false);
    } else if let Some(oauth2) = oauth2
        && present("oauth2Config")
    {
        url_check("oauth2Config", "userInfoUrl", false);
        url_check("oauth2Config", "authorizeUrl", true);
        url_check(
            "oauth2Config",
            "tokenUrl",
            oauth2 == IdpType::OAuth2AuthCode,
        );
        let client_id = map.get("oauth2Config").and_then(|b| b.get("clientId"));
        if client_id.and_then(Value::as_str).is_none_or(str::is_empty) {
            out.push(Detail::new(
                join(path, "oauth2Config.clientId"),
                None,
                format!("is required when type is {idp_type}"),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_policy() {
        let strict = UrlPolicy::default();
        let loose = UrlPolicy {
            allow_http_loopback: true,
        };
        assert!(strict.problem("https://a.example/x").is_none());
        assert!(strict.problem("http://a.example").is_some());
        assert!(strict.problem("http://127.0.0.1:9000").is_some());
        assert!(loose.problem("http://127.0.0.1:9000").is_none());
        assert!(loose.problem("http://localhost:9000").is_none());
        assert!(loose.problem("http://a.example").is_some());
        assert!(strict.problem("/relative").is_some());
        assert!(strict.problem("https://u:p@a.example").is_some());
    }
}
