//! The method table of a service, checked from outside: every path of its contract (`specs/<service>.yaml`)
//! and every root path service-kit serves answers each method it does not serve with 405 and an `Allow`
//! naming exactly the methods it does serve (RFC 9110 §15.5.6, §10.2.1), in the service's error format. The
//! router is what makes `Allow` (actix derives it from the routes' method guards); the contract is what it is
//! compared with, so the test also fails when the two disagree on a path's methods.

use reqwest::Method;
use serde_json::Value;
use std::collections::BTreeSet;

/// The root paths service-kit mounts for every service (`probes::configure`, `docs::configure`), each served
/// with GET only: the contracts list most of them, these also cover what they do not (`/docs/` and its assets).
pub const OPERATIONAL: &[&str] = &[
    "/healthz",
    "/readyz",
    "/metrics",
    "/openapi.yaml",
    "/openapi.json",
    "/docs",
    "/docs/",
    "/docs/swagger-ui.css",
];

/// Every method the check tries on every path.
const METHODS: &[&str] = &[
    "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE",
];

/// OpenAPI's operation keys (the other keys of a path item are not methods).
const OPERATIONS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// A concrete path to request and the methods its contract says it serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathMethods {
    /// The contract's path template, for messages.
    pub template: String,
    /// The path as requested: the server's base path, then the template with a sample value per parameter.
    pub path: String,
    pub served: BTreeSet<String>,
}

/// Every operation of a contract (its YAML text), as (upper-case method, path template): what a table-driven
/// test over "every route" compares its rows with.
pub fn operations(spec: &str) -> BTreeSet<(String, String)> {
    let spec: Value = serde_norway::from_str(spec).expect("the contract parses");
    spec["paths"]
        .as_object()
        .expect("the contract has paths")
        .iter()
        .flat_map(|(template, item)| {
            item.as_object()
                .into_iter()
                .flat_map(|item| item.keys())
                .filter(|key| OPERATIONS.contains(&key.as_str()))
                .map(|method| (method.to_uppercase(), template.clone()))
        })
        .collect()
}

/// The path of a server URL (`http://localhost:8081/api/v1` → `/api/v1`, `/admin` → `/admin`, a bare host
/// → the root), without a trailing slash.
fn base_path(url: &str) -> String {
    let path = match url.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("", |at| &rest[at..]),
        None => url,
    };
    path.trim_end_matches('/').to_owned()
}

/// The base path of `servers` (a path item's own, else the document's); every server of one list is the
/// same service, so the first one's path is the base.
fn servers_base(servers: &Value) -> Option<String> {
    servers
        .as_array()?
        .first()?
        .get("url")?
        .as_str()
        .map(base_path)
}

/// Every path of `spec` (OpenAPI YAML) with its methods, then each [`OPERATIONAL`] path the spec does not
/// list, with GET.
pub fn table(spec: &str) -> Vec<PathMethods> {
    let spec: Value = serde_norway::from_str(spec).expect("the spec is YAML");
    let base = servers_base(&spec["servers"]).unwrap_or_default();
    let mut table: Vec<PathMethods> = spec["paths"]
        .as_object()
        .expect("the spec has paths")
        .iter()
        .map(|(template, item)| {
            let base = servers_base(&item["servers"]).unwrap_or_else(|| base.clone());
            let sample: String = template
                .split('/')
                .map(|segment| {
                    if segment.starts_with('{') {
                        "1"
                    } else {
                        segment
                    }
                })
                .collect::<Vec<_>>()
                .join("/");
            PathMethods {
                template: template.clone(),
                path: format!("{base}{sample}"),
                served: item
                    .as_object()
                    .expect("a path item is a mapping")
                    .keys()
                    .filter(|key| OPERATIONS.contains(&key.as_str()))
                    .map(|key| key.to_uppercase())
                    .collect(),
            }
        })
        .collect();
    for path in OPERATIONAL {
        if !table.iter().any(|row| row.path == *path) {
            table.push(PathMethods {
                template: (*path).to_owned(),
                path: (*path).to_owned(),
                served: BTreeSet::from(["GET".to_owned()]),
            });
        }
    }
    table
}

/// Sends every method of [`METHODS`] a path of `spec` does not serve to the service at `address` (with
/// `headers`, the credentials a path's middleware asks before routing) and asserts each answers 405 with
/// `Allow` equal to the path's served methods (each once), and, except to HEAD (no body), an error body
/// `error_body` accepts (given the content type and the parsed body; `Err` says what is wrong). Reports every
/// failure at once.
pub async fn assert_unserved_methods_answer_405_with_allow(
    client: &reqwest::Client,
    address: &str,
    spec: &str,
    headers: &[(&str, &str)],
    error_body: impl Fn(&str, &Value) -> Result<(), String>,
) {
    let table = table(spec);
    let mut failures = Vec::new();
    let mut probed = 0;
    for row in &table {
        let expected: Vec<&str> = row.served.iter().map(String::as_str).collect();
        for method in METHODS.iter().filter(|m| !row.served.contains(**m)) {
            probed += 1;
            let mut request = client.request(
                Method::from_bytes(method.as_bytes()).unwrap(),
                format!("{address}{}", row.path),
            );
            for (name, value) in headers {
                request = request.header(*name, *value);
            }
            let response = request.send().await.unwrap();
            let at = format!("{method} {} ({})", row.path, row.template);
            if response.status() != 405 {
                failures.push(format!("{at}: status {}", response.status()));
                continue;
            }
            let allow: Vec<String> = response
                .headers()
                .get_all("allow")
                .iter()
                .flat_map(|v| v.to_str().unwrap_or("?").split(','))
                .map(|m| m.trim().to_owned())
                .filter(|m| !m.is_empty())
                .collect();
            let mut sorted = allow.clone();
            sorted.sort();
            if sorted != expected {
                failures.push(format!("{at}: Allow {allow:?}, expected {expected:?}"));
            }
            if *method == "HEAD" {
                continue;
            }
            let content_type = response
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            let text = response.text().await.unwrap();
            let verdict = serde_json::from_str(&text)
                .map_err(|err| format!("body is not JSON ({err}): {text}"))
                .and_then(|body| error_body(&content_type, &body));
            if let Err(wrong) = verdict {
                failures.push(format!("{at}: {wrong}"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {probed} unserved methods answered wrongly:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(probed > table.len(), "the table was probed: {table:?}");
}

/// An `error_body` for the services whose errors are RFC 9457 problem documents.
pub fn problem_405(content_type: &str, body: &Value) -> Result<(), String> {
    if !content_type.starts_with("application/problem+json") {
        return Err(format!("content type {content_type}"));
    }
    if body["status"] != 405 || body["detail"].as_str().is_none_or(str::is_empty) {
        return Err(format!("problem {body}"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_takes_each_paths_server_base_and_samples_its_parameters() {
        let spec = r#"
servers:
  - url: http://localhost:8081/api/v1
paths:
  /groups/{groupid}:
    parameters: []
    get: {}
    delete: {}
  /healthz:
    servers:
      - url: http://localhost:8081
    get: {}
"#;
        let table = table(spec);
        assert_eq!(table[0].path, "/api/v1/groups/1");
        assert_eq!(
            table[0].served,
            BTreeSet::from(["DELETE".to_owned(), "GET".to_owned()])
        );
        assert_eq!(table[1].path, "/healthz");
        let paths: Vec<&str> = table.iter().map(|row| row.path.as_str()).collect();
        assert_eq!(paths.iter().filter(|p| **p == "/healthz").count(), 1);
        assert!(paths.contains(&"/docs/"));
        assert_eq!(base_path("/admin"), "/admin");
        assert_eq!(base_path("http://localhost"), "");
    }
}
