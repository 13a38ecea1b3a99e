//! Parsing what arrives outside the body: path ids, paging, the body's media type (the shared
//! `service_kit::request` readers), the media type a bare id is answered in, and this API's own free-text path
//! segments and query email.

use actix_web::HttpRequest;
use domain::{Email, FieldError};

use crate::views::IdMedia;
use service_kit::request::Keyset;
pub use service_kit::request::{int32, uuid};
use uuid::Uuid;

/// The keyset paging (extension `after` and `Link: rel="next"`) of each list, by its sort key: users by `oid`,
/// groups (every group list) by `id`, permissions by `id`, group types by `id`. The tags keep one kind's cursors
/// from being read as another's.
pub const USERS: Keyset<Uuid> = Keyset::new(b'u');
pub const GROUPS: Keyset<Uuid> = Keyset::new(b'g');
pub const PERMISSIONS: Keyset<Uuid> = Keyset::new(b'p');
pub const GROUPTYPES: Keyset<i32> = Keyset::new(b't');

/// A free-text path segment (group name, local id): bounded like the stored value it is compared with.
pub fn text(field: &str, raw: &str) -> Result<(), FieldError> {
    domain::field::bounded_text(field, raw, crate::input::MAX_TEXT)
}

/// The body, if its declared media type is JSON (an absent `Content-Type` is taken as JSON).
pub fn json<'a>(req: &HttpRequest, body: &'a [u8]) -> Result<&'a [u8], FieldError> {
    service_kit::request::require_json(req)?;
    Ok(body)
}

/// The required `email` query parameter (first occurrence), as an address.
pub fn query_email(req: &HttpRequest) -> Result<Email, FieldError> {
    let [raw] = service_kit::request::query_first(req, ["email"]);
    let raw = raw.ok_or_else(|| FieldError::new("email", "is required"))?;
    Email::parse("email", &raw)
}

/// The media type of a bare id: JSON when `Accept` prefers `application/json` to `text/plain` (q-values
/// honoured); else, including no `Accept`, `*/*` or nothing acceptable, the contract's `text/plain`.
pub fn id_media(req: &HttpRequest) -> IdMedia {
    match service_kit::request::negotiate(req, &IdMedia::OFFERED) {
        Some(IdMedia::JSON) => IdMedia::Json,
        _ => IdMedia::Text,
    }
}
