//! What a request says besides its path and token: the media types it sends and accepts, its body, `If-Match`
//! and `returnUpdated`. `application/json` and `application/x-ndjson` are spoken both ways wherever the contract
//! lists both, which is why this is the service's own and not `service_kit::request::require_json`: a list body
//! may be NDJSON, a missing `Content-Type` is refused, and the answers are the contract's — an unsupported
//! `Content-Type` is 415, an unacceptable `Accept` 406, a body over the limit 400 naming `body` (the contract
//! lists no 413), all as `ErrorV1`.

use crate::error::{ApiError, Detail};
use actix_web::HttpRequest;
use actix_web::http::header::{ACCEPT, CONTENT_LENGTH, CONTENT_TYPE};
use actix_web::web::{Bytes, BytesMut, Payload};
use futures_util::StreamExt;
use serde_json::Value;

/// A representation the API speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Media {
    Json,
    Ndjson,
}

impl Media {
    /// The media type's name, as in `Content-Type`.
    pub fn mime(self) -> &'static str {
        match self {
            Self::Json => "application/json",
            Self::Ndjson => "application/x-ndjson",
        }
    }

    /// Whether a body declared as `content_type` (`type/subtype; params`) is in this media type: exactly the
    /// contract's names (no `+json` suffixes, which the contract does not list).
    fn declared_by(self, content_type: &str) -> bool {
        content_type
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .eq_ignore_ascii_case(self.mime())
    }
}

/// `If-Match` as parsed by [`if_match`]: absent, `*` (`Some(None)`), or the change ids listed.
pub type IfMatch = Option<Option<Vec<i64>>>;

/// Both, JSON preferred: for responses the contract declares in both media types.
pub const BOTH: &[Media] = &[Media::Json, Media::Ndjson];
/// JSON only.
pub const JSON: &[Media] = &[Media::Json];

fn matches(range: &str, media: Media) -> bool {
    let (kind, sub) = range.split_once('/').unwrap_or((range, ""));
    let (mkind, msub) = media.mime().split_once('/').unwrap_or(("", ""));
    (kind == "*" && sub == "*")
        || (kind.eq_ignore_ascii_case(mkind) && (sub == "*" || sub.eq_ignore_ascii_case(msub)))
}

/// Picks the response media type from `Accept` (q-values honoured; no header means JSON).
pub fn negotiate(req: &HttpRequest, offered: &[Media]) -> Result<Media, ApiError> {
    let preferred = offered.first().copied().unwrap_or(Media::Json);
    let Some(header) = req.headers().get(ACCEPT) else {
        return Ok(preferred);
    };
    let Ok(header) = header.to_str() else {
        return Err(ApiError::NotAcceptable(
            "The Accept header is not readable.".to_owned(),
        ));
    };
    if header.trim().is_empty() {
        return Ok(preferred);
    }
    let mut best: Option<(u16, usize, Media)> = None;
    for range in header.split(',') {
        let mut parts = range.split(';');
        let mime = parts.next().unwrap_or("").trim();
        // RFC 9110 weights only (in thousandths); a range whose weight is not one (`q=NaN`, `q=2`) is malformed
        // and ignored, as service-kit's negotiation does, rather than read as `q=1` (found by the fuzz target).
        let q = match parts
            .filter_map(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .or_else(|| p.trim().strip_prefix("Q="))
            })
            .map(|q| service_kit::request::parse_qvalue(q.trim()))
            .next()
        {
            None => 1000,
            Some(Some(q)) => q,
            Some(None) => continue,
        };
        if q == 0 {
            continue;
        }
        for (rank, media) in offered.iter().enumerate() {
            if matches(mime, *media)
                && best.is_none_or(|(bq, br, _)| q > bq || (q == bq && rank < br))
            {
                best = Some((q, rank, *media));
            }
        }
    }
    best.map(|(_, _, m)| m).ok_or_else(|| {
        let names: Vec<&str> = offered.iter().map(|m| m.mime()).collect();
        ApiError::NotAcceptable(format!(
            "This resource is available as {} only.",
            names.join(" or ")
        ))
    })
}

/// The request body's media type, which must be one of `accepted`.
pub fn content_type(req: &HttpRequest, accepted: &[Media]) -> Result<Media, ApiError> {
    let names: Vec<&str> = accepted.iter().map(|m| m.mime()).collect();
    let refuse = |got: &str| {
        ApiError::UnsupportedMediaType(format!(
            "Content-Type {got} is not supported here; send {}.",
            names.join(" or ")
        ))
    };
    let raw = req
        .headers()
        .get(CONTENT_TYPE)
        .map(|v| v.to_str().unwrap_or("(unreadable)"))
        .ok_or_else(|| refuse("(none)"))?;
    accepted
        .iter()
        .copied()
        .find(|m| m.declared_by(raw))
        .ok_or_else(|| refuse(raw))
}

/// Reads the body up to `limit` bytes. A body whose `Content-Length` says it is longer is refused before any of
/// it is read; an undeclared longer one is drained (so the client reads the answer rather than a reset
/// connection, up to a hard cap) and refused.
pub async fn read_body(
    req: &HttpRequest,
    mut payload: Payload,
    limit: usize,
) -> Result<Bytes, ApiError> {
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if let Some(length) = declared
        && length > u64::try_from(limit).unwrap_or(u64::MAX)
    {
        return Err(ApiError::malformed(
            "body",
            Some(format!("{length} bytes")),
            format!("must be at most {limit} bytes"),
        ));
    }
    let mut body = BytesMut::new();
    let mut total = 0usize;
    let hard_cap = limit.saturating_mul(64);
    while let Some(chunk) = payload.next().await {
        let chunk = chunk
            .map_err(|e| ApiError::malformed("body", None, format!("could not be read: {e}")))?;
        total = total.saturating_add(chunk.len());
        if total > hard_cap {
            break;
        }
        if total <= limit {
            body.extend_from_slice(&chunk);
        }
    }
    if total > limit {
        return Err(ApiError::malformed(
            "body",
            Some(format!("{total} bytes or more")),
            format!("must be at most {limit} bytes"),
        ));
    }
    Ok(body.freeze())
}

fn json_error(field: &str, err: &serde_json::Error) -> Detail {
    Detail::new(field, None, format!("is not valid JSON: {err}"))
}

/// A JSON body that must be one object.
pub fn object(body: &[u8]) -> Result<Value, ApiError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::Malformed(vec![json_error("body", &e)]))?;
    if !value.is_object() {
        return Err(ApiError::malformed("body", None, "must be a JSON object"));
    }
    Ok(value)
}

/// A list body: a JSON array, or NDJSON (one object per line; blank lines are skipped).
pub fn items(body: &[u8], media: Media) -> Result<Vec<Value>, ApiError> {
    match media {
        Media::Json => match serde_json::from_slice::<Value>(body) {
            Ok(Value::Array(items)) => Ok(items),
            Ok(_) => Err(ApiError::malformed("body", None, "must be a JSON array")),
            Err(e) => Err(ApiError::Malformed(vec![json_error("body", &e)])),
        },
        Media::Ndjson => {
            let mut items = Vec::new();
            let mut errors = Vec::new();
            for (n, line) in body.split(|b| *b == b'\n').enumerate() {
                if line.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                match serde_json::from_slice::<Value>(line) {
                    Ok(v) => items.push(v),
                    Err(e) => {
                        errors.push(Detail::new(
                            format!("[{}]", items.len() + errors.len()),
                            None,
                            format!("line {} is not valid JSON: {e}", n + 1),
                        ));
                    }
                }
            }
            if errors.is_empty() {
                Ok(items)
            } else {
                Err(ApiError::Malformed(errors))
            }
        }
    }
}

/// `returnUpdated` (default false; the first occurrence counts); anything but `true`/`false` is 400.
pub fn return_updated(req: &HttpRequest) -> Result<bool, ApiError> {
    let [value] = service_kit::request::query_first(req, ["returnUpdated"]);
    match value.as_deref() {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(other) => Err(ApiError::malformed(
            "returnUpdated",
            Some(other.chars().take(64).collect()),
            "must be true or false",
        )),
    }
}

/// Strong entity tags from `If-Match`: `None` when absent, `Some(None)` for `*`, else the change ids listed.
pub fn if_match(req: &HttpRequest) -> Result<IfMatch, ApiError> {
    let Some(raw) = req.headers().get(actix_web::http::header::IF_MATCH) else {
        return Ok(None);
    };
    let bad = || {
        ApiError::malformed(
            "If-Match",
            raw.to_str().ok().map(|s| s.chars().take(64).collect()),
            "must be * or a list of strong entity tags (\"<changeId>\")",
        )
    };
    let text = raw.to_str().map_err(|_| bad())?.trim();
    if text == "*" {
        return Ok(Some(None));
    }
    entity_tags(text)
        .map(|tags| Some(Some(tags)))
        .ok_or_else(bad)
}

/// The change ids of RFC 9110's `#entity-tag` (tags separated by a comma and optional whitespace, each
/// `[W/]"<visible ASCII but the double quote>"`), `None` when `text` is not one. A comma inside a tag is part of
/// it. A weak tag, or a tag that is no change id, is -1: it never matches under If-Match's strong comparison.
fn entity_tags(text: &str) -> Option<Vec<i64>> {
    let mut tags = Vec::new();
    let mut rest = text;
    loop {
        let (weak, tag) = match rest.strip_prefix("W/") {
            Some(tag) => (true, tag),
            None => (false, rest),
        };
        let (opaque, after) = tag.strip_prefix('"')?.split_once('"')?;
        if !opaque
            .bytes()
            .all(|b| b == b'!' || (b'#'..=b'~').contains(&b))
        {
            return None;
        }
        tags.push(if weak {
            -1
        } else {
            opaque.parse().unwrap_or(-1)
        });
        let after = after.trim_start_matches([' ', '\t']);
        if after.is_empty() {
            return Some(tags);
        }
        rest = after.strip_prefix(',')?.trim_start_matches([' ', '\t']);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn accept(h: &str, offered: &[Media]) -> Result<Media, ApiError> {
        negotiate(
            &TestRequest::default()
                .insert_header((ACCEPT, h))
                .to_http_request(),
            offered,
        )
    }

    #[test]
    fn accept_negotiation() {
        assert_eq!(accept("application/x-ndjson", BOTH).unwrap(), Media::Ndjson);
        assert_eq!(accept("*/*", BOTH).unwrap(), Media::Json);
        assert_eq!(accept("application/*", BOTH).unwrap(), Media::Json);
        assert_eq!(
            accept("application/json;q=0.5, application/x-ndjson", BOTH).unwrap(),
            Media::Ndjson
        );
        assert_eq!(
            accept("application/x-ndjson;q=0, */*;q=0.1", BOTH).unwrap(),
            Media::Json
        );
        assert!(matches!(
            accept("application/x-ndjson", JSON),
            Err(ApiError::NotAcceptable(_))
        ));
        assert!(matches!(
            accept("text/html", BOTH),
            Err(ApiError::NotAcceptable(_))
        ));
    }

    /// A weight that is not an RFC 9110 qvalue makes its range malformed (ignored), never `q=1`: before,
    /// `q=NaN` and `q=2` parsed as floats and `application/x-ndjson;q=NaN, application/json` picked NDJSON.
    #[test]
    fn a_range_with_an_invalid_weight_is_ignored() {
        for weight in ["NaN", "inf", "2", "-1", "0.0001", "1.5", ""] {
            let header = format!("application/x-ndjson;q={weight}, application/json");
            assert_eq!(accept(&header, BOTH).unwrap(), Media::Json, "{header}");
            let only = format!("application/x-ndjson;q={weight}");
            assert!(
                matches!(accept(&only, BOTH), Err(ApiError::NotAcceptable(_))),
                "{only}"
            );
        }
        assert_eq!(
            accept(
                "application/json;q=0.999, application/x-ndjson;q=1.000",
                BOTH
            )
            .unwrap(),
            Media::Ndjson
        );
    }

    #[test]
    fn ndjson_lines() {
        let items = items(b"{\"a\":1}\n\n{\"b\":2}\n", Media::Ndjson).unwrap();
        assert_eq!(items.len(), 2);
        let ApiError::Malformed(d) =
            super::items(b"{\"a\":1}\nnot json\n", Media::Ndjson).unwrap_err()
        else {
            panic!()
        };
        assert_eq!(d[0].field, "[1]");
        assert!(d[0].message.contains("line 2"));
    }

    #[test]
    fn if_match_parsing() {
        let req = |h: &str| {
            TestRequest::default()
                .insert_header(("if-match", h))
                .to_http_request()
        };
        assert_eq!(if_match(&req("\"7\"")).unwrap(), Some(Some(vec![7])));
        assert_eq!(if_match(&req("*")).unwrap(), Some(None));
        assert_eq!(
            if_match(&req("W/\"7\", \"8\"")).unwrap(),
            Some(Some(vec![-1, 8]))
        );
        assert!(if_match(&req("7")).is_err());
        // A comma inside a tag belongs to it (found by schemathesis: the list was split on every comma).
        assert_eq!(
            if_match(&req("W/\"a,b\" ,\t\"9\",\"x,\"")).unwrap(),
            Some(Some(vec![-1, 9, -1]))
        );
        for bad in ["\"7\",", "\"7\" \"8\"", "W/7", "\"7", "\"a\"b\"", ", \"7\""] {
            assert!(if_match(&req(bad)).is_err(), "{bad}");
        }
        assert_eq!(
            if_match(&TestRequest::default().to_http_request()).unwrap(),
            None
        );
    }
}
