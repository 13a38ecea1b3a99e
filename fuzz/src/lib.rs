//! What the fuzz targets share: building a request the way actix hands one to a handler, tampering with a
//! token, and the checks several targets make of what a parser accepted.

use actix_web::HttpRequest;
use actix_web::http::Uri;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::test::TestRequest;
use serde_json::Value;

/// A request to `/x?<query>` with `headers`, or `None` when the query or a header could not arrive over HTTP
/// (actix would have refused it before any handler ran).
pub fn request(query: &str, headers: &[(&str, &[u8])]) -> Option<HttpRequest> {
    let uri = format!("/x?{query}");
    Uri::try_from(uri.as_str()).ok()?;
    let mut req = TestRequest::with_uri(&uri);
    for (name, value) in headers {
        let name = HeaderName::from_bytes(name.as_bytes()).ok()?;
        let value = HeaderValue::from_bytes(value).ok()?;
        req = req.append_header((name, value));
    }
    Some(req.to_http_request())
}

/// `token` with the byte at `at` (modulo its length) xor-ed with `xor`, when that is still text and differs.
pub fn tamper(token: &str, at: u16, xor: u8) -> Option<String> {
    let mut bytes = token.as_bytes().to_vec();
    let len = bytes.len();
    let byte = bytes.get_mut(usize::from(at) % len.max(1))?;
    *byte ^= xor;
    String::from_utf8(bytes).ok().filter(|t| t != token)
}

/// Seconds since the epoch.
pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Whether two JSON values are the same, numbers compared as serde_json reads them back: without its
/// `float_roundtrip` feature (not enabled, as in the services) a float may come back one or two ULPs off
/// (serde_json documents its default float parsing as best-effort), which is serde_json's, not a parser's.
pub fn same_json(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) if x.is_f64() || y.is_f64() => {
            match (x.as_f64(), y.as_f64()) {
                (Some(x), Some(y)) => x == y || ((x - y).abs() <= (x.abs().max(y.abs()) * 1e-15)),
                _ => false,
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same_json(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| same_json(v, w)))
        }
        _ => a == b,
    }
}

/// What the connectors and the directory promise of an optional person-entered text they accepted: trimmed, not
/// empty, at most `max` characters, no control character but tab.
pub fn assert_clean_text(field: &str, value: Option<&str>, max: usize) {
    let Some(value) = value else { return };
    assert_eq!(value, value.trim(), "{field} is not trimmed");
    assert!(!value.is_empty(), "{field} is empty rather than absent");
    assert!(
        value.chars().count() <= max,
        "{field} is over {max} characters"
    );
    assert!(
        !value.chars().any(|c| c.is_control() && c != '\t'),
        "{field} holds a control character"
    );
}

/// What an accepted email is: trimmed and parsed again to itself.
pub fn assert_email(email: &domain::Email) {
    let text = email.as_str();
    assert_eq!(text, text.trim());
    assert_eq!(
        domain::Email::parse("email", text).as_ref(),
        Ok(email),
        "an accepted email does not parse to itself"
    );
}

/// What both connector protocols promise of a sign-up they read: a valid email, clean names.
pub fn assert_sign_up(up: &identity::input::connector::SignUp) {
    let max = identity::input::MAX_TEXT;
    assert_email(&up.email);
    assert_clean_text("displayName", up.display_name.as_deref(), max);
    assert_clean_text("givenName", up.given_name.as_deref(), max);
    assert_clean_text("surname", up.surname.as_deref(), max);
}

/// What both connector protocols promise of a sign-in they read: a valid email if any, clean names.
pub fn assert_signed_in(me: &identity::input::connector::SignedIn) {
    let max = identity::input::MAX_TEXT;
    if let Some(email) = &me.email {
        assert_email(email);
    }
    assert_clean_text("givenName", me.firstname.as_deref(), max);
    assert_clean_text("surname", me.lastname.as_deref(), max);
    assert_clean_text("country", me.country.as_deref(), max);
}
