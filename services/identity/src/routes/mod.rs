//! HTTP routes of the directory API (mounted under `/api/v1`). Handlers only parse, call a use case and shape
//! the response; rules live in `input` and `directory`.

mod assignments;
mod groups;
mod grouptypes;
pub mod params;
mod permissions;
mod users;

use actix_web::{HttpResponse, web};
use serde::Serialize;

/// Base path of every contract route (the contract's server URL ends in `/api/v1`).
pub const BASE: &str = "/api/v1";

pub fn configure(cfg: &mut web::ServiceConfig) {
    users::configure(cfg);
    assignments::configure(cfg);
    groups::configure(cfg);
    grouptypes::configure(cfg);
    permissions::configure(cfg);
}

/// 201 with the resource and its `Location`.
fn created(location: String, body: &impl Serialize) -> HttpResponse {
    HttpResponse::Created()
        .insert_header(("Location", location))
        .json(body)
}
