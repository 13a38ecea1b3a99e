//! Reading what arrives outside the body the same way in every service: paging, path ids, the body's declared
//! media type, the media type the caller accepts and the bearer credential. Each returns a [`FieldError`] (or [`BearerError`]) that the service's
//! one error type renders in its contract's format.

use actix_web::HttpRequest;
use actix_web::http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE};
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

/// The media type of `offered` that the request's `Accept` prefers (RFC 9110 §12.5.1, q-values honoured).
///
/// Each offered type is rated by the most specific range that matches it (`type/subtype` over `type/*` over
/// `*/*`; range parameters other than `q` are not compared); the winner has the highest `q`, then the most
/// specific match, then the range listed first in `Accept`, then the type offered first. A range with `q=0`
/// refuses what it matches. No `Accept` (or no readable, well-formed range in it) means the first offered
/// type; `None` when `Accept` accepts none of `offered`, the caller then answering 406 or its default.
pub fn negotiate<'a>(req: &HttpRequest, offered: &[&'a str]) -> Option<&'a str> {
    let ranges: Vec<MediaRange> = req
        .headers()
        .get_all(ACCEPT)
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .filter_map(MediaRange::parse)
        .collect();
    if ranges.is_empty() {
        return offered.first().copied();
    }
    offered
        .iter()
        .enumerate()
        .filter_map(|(rank, media)| {
            let (kind, sub) = media.split_once('/')?;
            // The most specific matching range decides this type's quality; the first listed among equals.
            let (order, range) = ranges
                .iter()
                .enumerate()
                .filter(|(_, range)| range.matches(kind, sub))
                .min_by_key(|(order, range)| (std::cmp::Reverse(range.specificity()), *order))?;
            (range.q > 0).then_some((range.q, range.specificity(), order, rank, *media))
        })
        .min_by_key(|&(q, specificity, order, rank, _)| {
            (
                std::cmp::Reverse(q),
                std::cmp::Reverse(specificity),
                order,
                rank,
            )
        })
        .map(|(.., media)| media)
}

/// One range of an `Accept` header: `type/subtype`, `type/*` or `*/*`, with its weight in thousandths.
struct MediaRange {
    kind: String,
    sub: String,
    q: u16,
}

impl MediaRange {
    /// A range as written (`text/plain;q=0.5`), or `None` when it is malformed (then ignored).
    fn parse(raw: &str) -> Option<Self> {
        let mut parts = raw.split(';');
        let (kind, sub) = parts.next()?.trim().split_once('/')?;
        let (kind, sub) = (kind.trim(), sub.trim());
        let token = |t: &str| !t.is_empty() && !t.contains(char::is_whitespace);
        if !token(kind) || !token(sub) || (kind == "*" && sub != "*") {
            return None;
        }
        let mut q = 1000;
        for param in parts {
            let (name, value) = param.split_once('=')?;
            if name.trim().eq_ignore_ascii_case("q") {
                q = parse_qvalue(value.trim())?;
                // Parameters after the weight are accept extensions, never part of the range.
                break;
            }
        }
        Some(Self {
            kind: kind.to_ascii_lowercase(),
            sub: sub.to_ascii_lowercase(),
            q,
        })
    }

    fn matches(&self, kind: &str, sub: &str) -> bool {
        (self.kind == "*" || self.kind.eq_ignore_ascii_case(kind))
            && (self.sub == "*" || self.sub.eq_ignore_ascii_case(sub))
    }

    fn specificity(&self) -> u8 {
        match (self.kind.as_str(), self.sub.as_str()) {
            ("*", _) => 0,
            (_, "*") => 1,
            _ => 2,
        }
    }
}

/// An RFC 9110 weight (`0`, `0.5`, `1.000`; at most three decimals, at most 1) in thousandths; `None` for
/// anything else (`NaN`, `inf`, `2`, `-1`, `0.0001`), which makes the range it weighs malformed.
pub fn parse_qvalue(raw: &str) -> Option<u16> {
    let (whole, fraction) = raw.split_once('.').unwrap_or((raw, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths = format!("{fraction:0<3}").parse::<u16>().ok()?;
    match whole {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
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

/// The trace context the request's events carry: with traces on, the request span's own (a child of the
/// caller's, so a subscriber's work hangs under this request in the trace); otherwise the request's
/// `traceparent` header when it is a valid W3C trace context (version `00`, lower-case hex, trace and parent
/// ids not all zeros). Anything else is ignored, so a malformed header never reaches an event.
pub fn traceparent(req: &HttpRequest) -> Option<String> {
    if let Some(own) = crate::telemetry::current_traceparent() {
        return Some(own);
    }
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

    fn preferred(accept: &[&str]) -> Option<&'static str> {
        let mut req = TestRequest::default();
        for value in accept {
            req = req.append_header((ACCEPT, *value));
        }
        negotiate(&req.to_http_request(), &["text/plain", "application/json"])
    }

    #[test]
    fn accept_negotiation() {
        let text = Some("text/plain");
        let json = Some("application/json");
        // No preference: the first offered type.
        for accept in [
            &[][..],
            &[""],
            &["*/*"],
            &["text/plain"],
            &["text/*"],
            &["garbage"],
        ] {
            assert_eq!(preferred(accept), text, "{accept:?}");
        }
        for accept in [
            "application/json",
            "APPLICATION/JSON; charset=utf-8",
            "application/*",
            "application/json, text/plain;q=0.5",
            "text/plain;q=0.5, application/json",
            "application/json;q=0.9, text/plain;q=0.8",
            // Equal weight: the more specific match, then the range listed first.
            "application/json, */*",
            "*/*, application/json",
            "application/json, text/plain, */*",
            "text/plain;q=0, */*",
            "text/plain;q=0.0, application/json;q=0.001",
        ] {
            assert_eq!(preferred(&[accept]), json, "{accept}");
        }
        for accept in [
            "text/plain, application/json",
            "application/json;q=0.5, text/plain",
            "application/json;q=0, */*",
            "application/json;q=0.5, text/*",
        ] {
            assert_eq!(preferred(&[accept]), text, "{accept}");
        }
        // Several header lines are one list.
        assert_eq!(preferred(&["text/plain;q=0.1", "application/json"]), json);
        // Malformed ranges are ignored; a weight out of range or too precise makes its range malformed.
        assert_eq!(preferred(&["application/json;q=2, text/plain;q=0.5"]), text);
        assert_eq!(
            preferred(&["application/json;q=0.5555, text/plain;q=0.5"]),
            text
        );
        assert_eq!(
            preferred(&["*/json, application/json;q=0.5, text/plain;q=0.4"]),
            json
        );
        // Nothing offered is acceptable.
        assert_eq!(preferred(&["text/html"]), None);
        assert_eq!(preferred(&["application/json;q=0, text/plain;q=0"]), None);
    }

    #[test]
    fn qvalues() {
        assert_eq!(parse_qvalue("1"), Some(1000));
        assert_eq!(parse_qvalue("1.000"), Some(1000));
        assert_eq!(parse_qvalue("0.5"), Some(500));
        assert_eq!(parse_qvalue("0.05"), Some(50));
        assert_eq!(parse_qvalue("0"), Some(0));
        for bad in ["1.001", "2", "-0.5", "0.5555", ".5", "abc", ""] {
            assert_eq!(parse_qvalue(bad), None, "{bad}");
        }
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
