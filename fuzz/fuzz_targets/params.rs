//! Query and path parameter parsing shared by the services (`service_kit::request`: paging, UUID and integer
//! ids, JSON `Content-Type`, `Accept` negotiation, the bearer header, `traceparent`), the domain checks behind
//! identity's path texts and query email (`domain::field`, `domain::Email`, `domain::Page`), and
//! provider-connection's path ids and tenants (`ids::ConnectionId`, `input::tenant`, `input::entra_tenant`).
//! Beyond "no panic": every accepted value written back parses to itself, lies within its bounds, and what is
//! negotiated is among what is offered.
#![no_main]

use arbitrary::Arbitrary;
use domain::Page;
use identity_suite_fuzz::{assert_email, request};
use libfuzzer_sys::fuzz_target;
use provider_connection::ids::ConnectionId;
use service_kit::request as kit;

#[derive(Arbitrary, Debug)]
struct Input {
    query: String,
    segment: String,
    content_type: Option<Vec<u8>>,
    accept: Vec<Vec<u8>>,
    authorization: Option<Vec<u8>>,
    traceparent: String,
}

const OFFERED: [&[&str]; 3] = [
    &["text/plain", "application/json"],
    &["application/json"],
    &["application/problem+json", "text/html", "application/json"],
];

fuzz_target!(|input: Input| {
    segment(&input.segment);
    traceparent(&input.traceparent);
    let mut headers: Vec<(&str, &[u8])> = input
        .accept
        .iter()
        .map(|a| ("accept", a.as_slice()))
        .collect();
    if let Some(ct) = &input.content_type {
        headers.push(("content-type", ct));
    }
    if let Some(auth) = &input.authorization {
        headers.push(("authorization", auth));
    }
    let Some(req) = request(&input.query, &headers) else {
        return;
    };
    if let Ok(page) = kit::page(&req) {
        assert!(
            (0..=Page::MAX_LIMIT).contains(&page.limit),
            "limit out of bounds: {page:?}"
        );
        assert!(
            (0..=Page::MAX_OFFSET).contains(&page.offset),
            "offset out of bounds: {page:?}"
        );
        let again = Page::parse(
            Some(page.limit.to_string().as_str()),
            Some(page.offset.to_string().as_str()),
        );
        assert_eq!(again, Ok(page));
    }
    if let Ok(email) = identity_query_email(&req) {
        assert_email(&email);
    }
    // As `HeaderValue::to_str` reads a header: visible ASCII (and tabs) only, anything else unreadable ("").
    let readable = |b: &u8| *b == b'\t' || (32..127).contains(b);
    let declared = input.content_type.as_deref().map(|ct| {
        if ct.iter().all(readable) {
            std::str::from_utf8(ct).unwrap_or_default()
        } else {
            ""
        }
    });
    assert_eq!(
        kit::require_json(&req).is_ok(),
        declared.is_none_or(kit::is_json),
        "require_json disagrees with is_json on {declared:?}"
    );
    for offered in OFFERED {
        match kit::negotiate(&req, offered) {
            Some(media) => assert!(offered.contains(&media), "{media} is not offered"),
            None => assert!(!input.accept.is_empty(), "refused without an Accept"),
        }
        if input.accept.is_empty() {
            assert_eq!(kit::negotiate(&req, offered), offered.first().copied());
        }
    }
    match kit::bearer(&req) {
        Ok(token) => {
            assert!(
                !token.is_empty() && token == token.trim(),
                "bearer token {token:?} is not trimmed"
            );
            let raw = std::str::from_utf8(input.authorization.as_deref().unwrap()).unwrap();
            assert!(raw.contains(token));
            assert!(
                raw.trim_start()
                    .get(..6)
                    .is_some_and(|s| s.eq_ignore_ascii_case("bearer"))
            );
        }
        Err(kit::BearerError::Missing) => assert!(input.authorization.is_none()),
        Err(kit::BearerError::Malformed) => assert!(input.authorization.is_some()),
    }
});

/// What identity's `GET /users?email=` reads (routes::params::query_email: the first `email`, then Email).
fn identity_query_email(req: &actix_web::HttpRequest) -> Result<domain::Email, domain::FieldError> {
    let [raw] = kit::query_first(req, ["email"]);
    domain::Email::parse("email", &raw.unwrap_or_default())
}

fn segment(raw: &str) {
    if let Ok(id) = kit::uuid("id", raw) {
        assert_eq!(
            kit::uuid("id", &id.to_string()),
            Ok(id),
            "a UUID written back differs"
        );
        assert_eq!(kit::uuid("id", &id.simple().to_string()), Ok(id));
    }
    if let Ok(n) = kit::int32("id", raw) {
        assert_eq!(kit::int32("id", &n.to_string()), Ok(n));
    }
    if let Ok(n) = kit::int64("id", raw) {
        assert_eq!(kit::int64("id", &n.to_string()), Ok(n));
        assert_eq!(kit::int32("id", raw).is_ok(), i32::try_from(n).is_ok());
    }
    match ConnectionId::parse("connection", raw) {
        Ok(id) => {
            assert!(id.get() > 0);
            assert_eq!(ConnectionId::parse("connection", &id.to_string()), Ok(id));
        }
        Err(err) => assert_eq!(err.field, "connection"),
    }
    if domain::field::bounded_text("name", raw, identity::input::MAX_TEXT).is_ok() {
        assert!(!raw.trim().is_empty() && raw.chars().count() <= identity::input::MAX_TEXT);
        assert!(!raw.chars().any(|c| c.is_control() && c != '\t'));
    }
    if let Ok(tenant) = provider_connection::input::tenant(raw) {
        assert_eq!(tenant, raw);
    }
    if let Ok(tenant) = provider_connection::input::entra_tenant("entra_tenant_id", raw) {
        assert_eq!(tenant, tenant.to_ascii_lowercase());
        assert_eq!(
            provider_connection::input::entra_tenant("entra_tenant_id", &tenant).as_deref(),
            Ok(tenant.as_str()),
            "a tenant written back differs"
        );
    }
    if let Ok(email) = domain::Email::parse("email", raw) {
        assert_email(&email);
        assert_eq!(email.as_str(), raw.trim());
    }
}

fn traceparent(raw: &str) {
    if kit::valid_traceparent(raw) {
        assert_eq!(raw.len(), 55, "a valid traceparent of {} bytes", raw.len());
        assert!(raw.starts_with("00-"));
    }
}
