//! The API's representations out. The directory's resources are their rows as stored (`db::models`, whose
//! field names are the contract's); what is shaped for the caller lives here: the connectors' protocol answers
//! ([`b2c`], [`entra`]) and the Graph-backed user details and oid look-ups ([`graph`]).

pub mod b2c;
pub mod entra;
pub mod graph;

use actix_web::{HttpResponse, HttpResponseBuilder};
use serde::Serialize;

/// 201 with the resource and its `Location`.
pub fn created(location: String, body: &impl Serialize) -> HttpResponse {
    HttpResponse::Created()
        .insert_header(("Location", location))
        .json(body)
}

/// A bare id as `text/plain`, as the contract's examples show.
pub fn text_id(mut builder: HttpResponseBuilder, id: impl ToString) -> HttpResponse {
    builder
        .content_type("text/plain; charset=utf-8")
        .body(id.to_string())
}
