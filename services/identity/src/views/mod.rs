//! The API's representations out. The directory's resources are their rows as stored (`db::models`, whose
//! field names are the contract's); what is shaped for the caller lives here: the connectors' protocol answers
//! ([`b2c`], [`entra`]), the Graph-backed user details and oid look-ups ([`graph`]), and the bare ids some
//! operations answer ([`bare_id`]).

pub mod b2c;
pub mod entra;
pub mod graph;

use actix_web::http::header::VARY;
use actix_web::{HttpResponse, HttpResponseBuilder};
use serde::Serialize;

/// 201 with the resource and its `Location`.
pub fn created(location: String, body: &impl Serialize) -> HttpResponse {
    HttpResponse::Created()
        .insert_header(("Location", location))
        .json(body)
}

/// How a bare id is answered: the contract's `text/plain`, or (extension) a JSON string for a caller that
/// prefers `application/json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdMedia {
    Text,
    Json,
}

impl IdMedia {
    pub const TEXT: &'static str = "text/plain";
    pub const JSON: &'static str = "application/json";
    /// What is offered, the contract's own first (the default).
    pub const OFFERED: [&'static str; 2] = [Self::TEXT, Self::JSON];
}

/// A bare id: the uuid alone as `text/plain` (no quotes, no newline), as the contract's examples show, or the
/// JSON string `"<uuid>"`; either way with `Vary: Accept`, since the media type depends on it.
pub fn bare_id(
    mut builder: HttpResponseBuilder,
    media: IdMedia,
    id: impl ToString,
) -> HttpResponse {
    builder.insert_header((VARY, "Accept"));
    match media {
        IdMedia::Text => builder
            .content_type("text/plain; charset=utf-8")
            .body(id.to_string()),
        IdMedia::Json => builder.json(id.to_string()),
    }
}
