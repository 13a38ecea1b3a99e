//! Assertions on HTTP answers shared by the services whose errors are RFC 9457 problem documents, and the
//! keyset paging extension's `Link: rel="next"` header.

use reqwest::Response;
use serde_json::Value;

/// Asserts a problem+json error with `status`, returning its body.
pub async fn assert_problem(response: Response, status: u16) -> Value {
    assert_eq!(response.status(), status, "status");
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        content_type.starts_with("application/problem+json"),
        "content type {content_type}"
    );
    let body: Value = response.json().await.expect("problem body");
    assert_eq!(body["status"], status);
    assert!(
        body["detail"].as_str().is_some_and(|d| !d.is_empty()),
        "detail in {body}"
    );
    body
}

/// The URL of a `Link: <url>; rel="next"` header, if any (asserting the relation is `next`).
pub fn next_of(response: &Response) -> Option<String> {
    let link = response
        .headers()
        .get(reqwest::header::LINK)?
        .to_str()
        .unwrap();
    let (target, params) = link.split_once(';').unwrap();
    assert_eq!(params.trim(), r#"rel="next""#, "{link}");
    Some(
        target
            .trim()
            .strip_prefix('<')
            .unwrap()
            .strip_suffix('>')
            .unwrap()
            .to_owned(),
    )
}

/// The `after` value of a relative `Link` URL.
pub fn cursor_of(link: &str) -> String {
    reqwest::Url::parse(&format!("http://base{link}"))
        .unwrap()
        .query_pairs()
        .find(|(name, _)| name == "after")
        .map(|(_, value)| value.into_owned())
        .unwrap()
}
