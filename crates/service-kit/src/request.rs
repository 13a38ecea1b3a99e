//! Reading what arrives outside the body the same way in every service: paging, path ids, the body's declared
//! media type and the bearer credential. Each returns a [`FieldError`] (or [`BearerError`]) that the service's
//! one error type renders in its contract's format.

use actix_web::HttpRequest;
use actix_web::http::header::{AUTHORIZATION, CONTENT_TYPE};
use domain::{FieldError, Page};
use uuid::Uuid;

/// The first occurrence of each named query parameter (later repeats are ignored, as most frameworks do).
pub fn query_first<const N: usize>(req: &HttpRequest, names: [&str; N]) -> [Option<String>; N] {
    let mut found: [Option<String>; N] = std::array::from_fn(|_| None);
    for (name, value) in url::form_urlencoded::parse(req.query_string().as_bytes()) {
        if let Some(slot) = names
            .iter()
            .position(|wanted| *wanted == name)
            .and_then(|at| found.get_mut(at))
            && slot.is_none()
        {
            *slot = Some(value.into_owned());
        }
    }
    found
}

/// `limit` and `offset` from the query string (first occurrence wins).
pub fn page(req: &HttpRequest) -> Result<Page, FieldError> {
    let [limit, offset] = query_first(req, ["limit", "offset"]);
    Page::parse(limit.as_deref(), offset.as_deref())
}

/// A UUID path or query value.
pub fn uuid(field: &str, raw: &str) -> Result<Uuid, FieldError> {
    Uuid::try_parse(raw)
        .map_err(|_| FieldError::new(field, format!("must be a UUID (got {raw:?})")))
}

/// A 32-bit integer path or query value.
pub fn int32(field: &str, raw: &str) -> Result<i32, FieldError> {
    raw.parse::<i32>()
        .map_err(|_| FieldError::new(field, format!("must be a 32-bit integer (got {raw:?})")))
}

/// A 64-bit integer path or query value.
pub fn int64(field: &str, raw: &str) -> Result<i64, FieldError> {
    raw.parse::<i64>()
        .map_err(|_| FieldError::new(field, format!("must be a 64-bit integer (got {raw:?})")))
}

/// Whether a media type (`type/subtype; params`, any case) is JSON: `application/json` or any `+json` suffix.
pub fn is_json(media: &str) -> bool {
    let essence = media
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json" || essence.ends_with("+json")
}

/// Refuses a body whose declared `Content-Type` is not JSON; an absent header is taken as JSON.
pub fn require_json(req: &HttpRequest) -> Result<(), FieldError> {
    match req.headers().get(CONTENT_TYPE) {
        None => Ok(()),
        Some(value) => {
            let media = value.to_str().unwrap_or_default();
            if is_json(media) {
                Ok(())
            } else {
                Err(FieldError::new(
                    "Content-Type",
                    format!(
                        "must be application/json (got {:?})",
                        media.to_ascii_lowercase()
                    ),
                ))
            }
        }
    }
}

/// Why no bearer token could be read from `Authorization`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BearerError {
    #[error("a bearer token is required")]
    Missing,
    #[error("the Authorization header must be `Bearer <token>`")]
    Malformed,
}

/// The token of `Authorization: Bearer <token>` (scheme case-insensitive, surrounding blanks ignored).
pub fn bearer(req: &HttpRequest) -> Result<&str, BearerError> {
    let header = req
        .headers()
        .get(AUTHORIZATION)
        .ok_or(BearerError::Missing)?;
    let value = header.to_str().map_err(|_| BearerError::Malformed)?;
    let (scheme, token) = value.trim().split_once(' ').ok_or(BearerError::Malformed)?;
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
        return Err(BearerError::Malformed);
    }
    Ok(token)
}

/// The W3C trace-context header.
pub const TRACEPARENT: &str = "traceparent";

/// The request's `traceparent` header when it is a valid W3C trace context (version `00`, lower-case hex, trace
/// and parent ids not all zeros); anything else is ignored, so a malformed header never reaches an event.
pub fn traceparent(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(TRACEPARENT)?.to_str().ok()?.trim();
    valid_traceparent(value).then(|| value.to_owned())
}

/// Whether `value` is a W3C trace context of version `00` with non-zero trace and parent ids.
pub fn valid_traceparent(value: &str) -> bool {
    let parts: Vec<&str> = value.split('-').collect();
    let [version, trace, parent, flags] = parts.as_slice() else {
        return false;
    };
    let hex = |part: &str, len: usize| {
        part.len() == len
            && part
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    let zeros = |part: &str| part.bytes().all(|b| b == b'0');
    *version == "00"
        && hex(trace, 32)
        && hex(parent, 16)
        && hex(flags, 2)
        && !zeros(trace)
        && !zeros(parent)
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn json_media_types() {
        assert!(is_json("application/json"));
        assert!(is_json("Application/JSON; charset=utf-8"));
        assert!(is_json("application/merge-patch+json"));
        assert!(!is_json("text/plain"));
        assert!(!is_json("application/jsonx"));
    }

    #[test]
    fn first_query_value_wins() {
        let req = TestRequest::with_uri("/x?limit=5&offset=2&limit=9").to_http_request();
        let page = page(&req).unwrap();
        assert_eq!((page.limit, page.offset), (5, 2));
        let bad = TestRequest::with_uri("/x?limit=abc").to_http_request();
        assert_eq!(super::page(&bad).unwrap_err().field, "limit");
    }

    #[test]
    fn bearer_parsing() {
        let ok = TestRequest::default()
            .insert_header(("authorization", "bearer  abc "))
            .to_http_request();
        assert_eq!(bearer(&ok), Ok("abc"));
        let missing = TestRequest::default().to_http_request();
        assert_eq!(bearer(&missing), Err(BearerError::Missing));
        for bad in ["Basic abc", "Bearer", "Bearer   ", "abc"] {
            let req = TestRequest::default()
                .insert_header(("authorization", bad))
                .to_http_request();
            assert_eq!(bearer(&req), Err(BearerError::Malformed), "{bad}");
        }
    }
}
