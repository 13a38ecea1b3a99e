//! Reading what arrives outside the body the same way in every service: paging (offset, and keyset with its
//! `Link: rel="next"` answer, [`Keyset`]), path ids, the body's declared
//! media type, the media type the caller accepts and the bearer credential. Each returns a [`FieldError`] (or [`BearerError`]) that the service's
//! one error type renders in its contract's format.

use std::marker::PhantomData;

use actix_web::http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, LINK};
use actix_web::{HttpRequest, HttpResponse};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use domain::{FieldError, Page, Paging};
use serde::Serialize;
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

/// A sort key a keyset cursor can carry: written as fixed-size big-endian bytes, read back only from exactly
/// that many bytes.
pub trait CursorKey: Sized + Copy {
    fn write(&self, out: &mut Vec<u8>);
    fn read(bytes: &[u8]) -> Option<Self>;
}

impl CursorKey for Uuid {
    fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.as_bytes());
    }
    fn read(bytes: &[u8]) -> Option<Self> {
        Uuid::from_slice(bytes).ok()
    }
}

impl CursorKey for i32 {
    fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_be_bytes());
    }
    fn read(bytes: &[u8]) -> Option<Self> {
        Some(Self::from_be_bytes(bytes.try_into().ok()?))
    }
}

impl CursorKey for i64 {
    fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_be_bytes());
    }
    fn read(bytes: &[u8]) -> Option<Self> {
        Some(Self::from_be_bytes(bytes.try_into().ok()?))
    }
}

/// The keyset paging of one list (an extension beside `limit`/`offset`): the query parameter `after` holds an
/// opaque cursor, base64url without padding of a tag byte naming the list's sort key and the key of the last
/// row of the previous page; every full page links to the next with `Link: <...>; rel="next"` (RFC 8288).
///
/// The tag makes a cursor of one kind of list (users) refused by another (groups) even where both keys are
/// UUIDs, and lets a list change its sort key later (a new tag) with old cursors refused, not misread.
pub struct Keyset<K> {
    tag: u8,
    key: PhantomData<fn() -> K>,
}

impl<K: CursorKey> Keyset<K> {
    /// The query parameter holding the cursor.
    pub const PARAMETER: &'static str = "after";

    pub const fn new(tag: u8) -> Self {
        Self {
            tag,
            key: PhantomData,
        }
    }

    /// The cursor of `key`.
    pub fn encode(&self, key: &K) -> String {
        let mut bytes = vec![self.tag];
        key.write(&mut bytes);
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// The key a cursor of this list carries; anything else (not canonical base64url without padding, another
    /// list's tag, a wrong length) is a [`FieldError`] naming `after`.
    pub fn decode(&self, raw: &str) -> Result<K, FieldError> {
        URL_SAFE_NO_PAD
            .decode(raw)
            .ok()
            .and_then(|bytes| match bytes.split_first() {
                Some((tag, key)) if *tag == self.tag => K::read(key),
                _ => None,
            })
            .ok_or_else(|| {
                FieldError::new(
                    Self::PARAMETER,
                    "must be a cursor this list gave in its Link header",
                )
            })
    }

    /// `limit`, `offset` and `after` from the query string (first occurrence wins). `after` with a non-zero
    /// `offset` is refused: the cursor already says where the page starts.
    pub fn paging(&self, req: &HttpRequest) -> Result<Paging<K>, FieldError> {
        let [limit, offset, after] = query_first(req, ["limit", "offset", Self::PARAMETER]);
        let page = Page::parse(limit.as_deref(), offset.as_deref())?;
        let after = after.map(|raw| self.decode(&raw)).transpose()?;
        if after.is_some() && page.offset != 0 {
            return Err(FieldError::new(
                Self::PARAMETER,
                "cannot be combined with a non-zero offset",
            ));
        }
        Ok(Paging { page, after })
    }

    /// The `Link` header value pointing at the page after `rows` when they fill the page (offset pages too, so
    /// an offset caller can switch): this request's path and query, its `offset` and `after` replaced by
    /// `after=<cursor of the last row>`. A relative reference (RFC 8288 §3.2), resolved against the request's
    /// own URL, so no `Host` header is trusted.
    pub fn next_link<T>(
        &self,
        req: &HttpRequest,
        paging: &Paging<K>,
        rows: &[T],
        key: impl Fn(&T) -> K,
    ) -> Option<String> {
        let last = rows.last().filter(|_| paging.is_full(rows.len()))?;
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        for (name, value) in url::form_urlencoded::parse(req.query_string().as_bytes()) {
            if name != "offset" && name != Self::PARAMETER {
                query.append_pair(&name, &value);
            }
        }
        query.append_pair(Self::PARAMETER, &self.encode(&key(last)));
        Some(format!(
            "<{}?{}>; rel=\"next\"",
            link_safe_path(req.path()),
            query.finish()
        ))
    }

    /// 200 with `rows` as the JSON array the contract defines, and the `Link` to the next page when full.
    pub fn respond<T: Serialize>(
        &self,
        req: &HttpRequest,
        paging: &Paging<K>,
        rows: &[T],
        key: impl Fn(&T) -> K,
    ) -> HttpResponse {
        let mut response = HttpResponse::Ok();
        if let Some(link) = self.next_link(req, paging, rows, key) {
            response.insert_header((LINK, link));
        }
        response.json(rows)
    }
}

/// The request path with every byte outside RFC 3986's path characters (and `%`, kept as the escape it is)
/// percent-encoded, so it is a valid URI reference inside `<...>` and a header value.
fn link_safe_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/%".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
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

    const USERS: Keyset<Uuid> = Keyset::new(b'u');
    const GROUPS: Keyset<Uuid> = Keyset::new(b'g');
    const TYPES: Keyset<i32> = Keyset::new(b't');
    const AUDIT: Keyset<i64> = Keyset::new(b'a');

    #[test]
    fn cursors_round_trip_and_are_opaque_base64url() {
        let oid = Uuid::parse_str("ffffffff-0000-4000-8000-00000000fbff").unwrap();
        let cursor = USERS.encode(&oid);
        assert_eq!(cursor.len(), 23, "1 tag + 16 key bytes, no padding");
        assert!(
            cursor
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
            "{cursor}"
        );
        assert_eq!(USERS.decode(&cursor).unwrap(), oid);
        for n in [i32::MIN, -1, 0, 1, i32::MAX] {
            assert_eq!(TYPES.decode(&TYPES.encode(&n)).unwrap(), n);
        }
        for n in [i64::MIN, 0, 42, i64::MAX] {
            assert_eq!(AUDIT.decode(&AUDIT.encode(&n)).unwrap(), n);
        }
    }

    #[test]
    fn malformed_cursors_name_after() {
        let oid = Uuid::new_v4();
        let user = USERS.encode(&oid);
        let bad = [
            String::new(),
            "!!!!".to_owned(),
            "not base64 at all".to_owned(),
            format!("{user}="),                         // padding
            format!("{user}A"),                         // one character too many
            user[..user.len() - 1].to_owned(),          // truncated
            user.replace('-', "+").replace('_', "/"),   // standard alphabet where it differs
            URL_SAFE_NO_PAD.encode([b'u']),             // tag only
            URL_SAFE_NO_PAD.encode([b'u'; 18]),         // 17 key bytes
            GROUPS.encode(&oid),                        // another list's cursor, same key type
            TYPES.encode(&7),                           // another key type
            URL_SAFE_NO_PAD.encode(7i32.to_be_bytes()), // untagged integer
        ];
        for raw in &bad {
            if raw == &user {
                continue;
            }
            let err = USERS.decode(raw).unwrap_err();
            assert_eq!(err.field, "after", "{raw:?}");
        }
        assert!(TYPES.decode(&USERS.encode(&oid)).is_err());
        assert!(AUDIT.decode(&TYPES.encode(&7)).is_err());
        // Non-canonical: the same bytes with a non-zero unused low bit in the last character.
        const ALPHABET: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let types = TYPES.encode(&7);
        let last = ALPHABET.find(types.chars().last().unwrap()).unwrap();
        let sibling = ALPHABET.chars().nth(last ^ 1).unwrap();
        let tweaked = format!("{}{sibling}", &types[..types.len() - 1]);
        assert_eq!(
            TYPES.decode(&tweaked).unwrap_err().field,
            "after",
            "{tweaked}"
        );
    }

    #[test]
    fn paging_reads_after_and_refuses_it_with_an_offset() {
        let cursor = TYPES.encode(&5);
        let req = TestRequest::with_uri(&format!("/x?limit=2&after={cursor}")).to_http_request();
        let paging = TYPES.paging(&req).unwrap();
        assert_eq!(
            (paging.page.limit, paging.page.offset, paging.after),
            (2, 0, Some(5))
        );
        let req = TestRequest::with_uri(&format!("/x?after={cursor}&offset=0")).to_http_request();
        assert_eq!(TYPES.paging(&req).unwrap().after, Some(5));
        let req = TestRequest::with_uri(&format!("/x?after={cursor}&offset=3")).to_http_request();
        assert_eq!(TYPES.paging(&req).unwrap_err().field, "after");
        let req = TestRequest::with_uri("/x?after=zz").to_http_request();
        assert_eq!(TYPES.paging(&req).unwrap_err().field, "after");
        let req = TestRequest::with_uri("/x?offset=3").to_http_request();
        assert_eq!(
            TYPES.paging(&req).unwrap(),
            Paging::offset(Page {
                limit: 100,
                offset: 3
            })
        );
        // limit/offset errors come first, as before.
        let req = TestRequest::with_uri(&format!("/x?limit=x&after={cursor}")).to_http_request();
        assert_eq!(TYPES.paging(&req).unwrap_err().field, "limit");
    }

    #[test]
    fn next_link_only_on_full_pages_keeps_the_query_and_drops_offset() {
        let req =
            TestRequest::with_uri("/api/v1/grouptypes/3/groups/a%20b?limit=2&offset=4&x=%C3%A9")
                .to_http_request();
        let paging = TYPES.paging(&req).unwrap();
        let link = TYPES.next_link(&req, &paging, &[1, 9], |n| *n).unwrap();
        assert_eq!(
            link,
            format!(
                "</api/v1/grouptypes/3/groups/a%20b?limit=2&x=%C3%A9&after={}>; rel=\"next\"",
                TYPES.encode(&9)
            )
        );
        assert_eq!(TYPES.next_link(&req, &paging, &[1], |n| *n), None);
        let empty: [i32; 0] = [];
        assert_eq!(TYPES.next_link(&req, &paging, &empty, |n| *n), None);
        // A cursor page links on with the new cursor in place of the old.
        let req = TestRequest::with_uri(&format!("/t?after={}&limit=1", TYPES.encode(&9)))
            .to_http_request();
        let paging = TYPES.paging(&req).unwrap();
        assert_eq!(
            TYPES.next_link(&req, &paging, &[12], |n| *n).unwrap(),
            format!("</t?limit=1&after={}>; rel=\"next\"", TYPES.encode(&12))
        );
        // limit=0 never links.
        let req = TestRequest::with_uri("/t?limit=0").to_http_request();
        let paging = TYPES.paging(&req).unwrap();
        assert_eq!(TYPES.next_link(&req, &paging, &empty, |n| *n), None);
        assert_eq!(link_safe_path("/a<b>\"c"), "/a%3Cb%3E%22c");
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
