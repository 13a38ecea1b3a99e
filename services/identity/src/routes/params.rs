//! Parsing what arrives outside the body: path ids, paging, and the body's media type.

use crate::error::ApiError;
use actix_web::HttpRequest;
use actix_web::http::header::CONTENT_TYPE;
use domain::{FieldError, Page};
use uuid::Uuid;

pub fn uuid(field: &str, raw: &str) -> Result<Uuid, ApiError> {
    Uuid::try_parse(raw)
        .map_err(|_| FieldError::new(field, format!("must be a UUID (got {raw:?})")).into())
}

pub fn int32(field: &str, raw: &str) -> Result<i32, ApiError> {
    raw.parse::<i32>().map_err(|_| {
        FieldError::new(field, format!("must be a 32-bit integer (got {raw:?})")).into()
    })
}

/// A free-text path segment (group name, local id): bounded like the stored value it is compared with.
pub fn text(field: &str, raw: &str) -> Result<(), ApiError> {
    Ok(domain::field::bounded_text(
        field,
        raw,
        crate::input::MAX_TEXT,
    )?)
}

/// `limit` and `offset` from the query string (first occurrence wins).
pub fn page(req: &HttpRequest) -> Result<Page, ApiError> {
    let mut limit = None;
    let mut offset = None;
    for (name, value) in url::form_urlencoded::parse(req.query_string().as_bytes()) {
        match name.as_ref() {
            "limit" if limit.is_none() => limit = Some(value.into_owned()),
            "offset" if offset.is_none() => offset = Some(value.into_owned()),
            _ => {}
        }
    }
    Ok(Page::parse(limit.as_deref(), offset.as_deref())?)
}

/// The body, if its declared media type is JSON (an absent `Content-Type` is taken as JSON).
pub fn json<'a>(req: &HttpRequest, body: &'a [u8]) -> Result<&'a [u8], ApiError> {
    let declared = req
        .headers()
        .get(CONTENT_TYPE)
        .map(|v| v.to_str().unwrap_or_default().to_ascii_lowercase());
    match declared {
        Some(media) if !(media.starts_with("application/json") || media.contains("+json")) => {
            Err(FieldError::new(
                "Content-Type",
                format!("must be application/json (got {media:?})"),
            )
            .into())
        }
        _ => Ok(body),
    }
}
