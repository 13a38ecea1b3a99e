//! An application's identity-provider configurations: read (one, or all streamed), put (one, or the whole
//! set), delete (one, or all). Each write is one transaction that first bumps the application's `change_id`
//! (taking its row lock, so writers of one application are serialized: no duplicate, no lost update), then
//! checks `If-Match`, makes the change and appends its events to the outbox — the provider events, and
//! `public-setup.changed` when what public discovery shows changed. Each request runs a fixed number of
//! statements.
//!
//! The events carry the caller's [`Ctx`](crate::context::Ctx) (`actor`, `traceparent`) and their subject's
//! version: a provider's `version` column is bumped by the upsert that replaces it (1 when inserted) and a
//! deletion carries it + 1; the application's `version` is bumped (one `UPDATE` of its already locked row) only
//! when a `public-setup.changed` is emitted. The `changes` of a replace come from the row the write read anyway
//! under the application's lock, those of a setup change from the public rows the event reads: no extra read.

mod delete;
mod list;
mod put;
mod store;

pub use delete::{delete_all, delete_one};
pub use list::{get_one, list};
pub use put::{replace_all, upsert_one};

use crate::error::ApiError;
use crate::input::media::IfMatch;
use chrono::{DateTime, Utc};

/// Who makes a change, and when.
pub struct Stamp<'a> {
    pub actor: &'a str,
    pub now: DateTime<Utc>,
}

/// Refuses a stale `If-Match` against the resource's `current` change id (`None`: it does not exist).
fn check_if_match(if_match: &IfMatch, current: Option<i64>) -> Result<(), ApiError> {
    let stale = || {
        ApiError::Conflict(format!(
            "If-Match does not match the current changeId ({}); reload and retry.",
            current.map_or_else(
                || "none: the resource does not exist".to_owned(),
                |c| c.to_string()
            )
        ))
    };
    match (if_match, current) {
        (None, _) => Ok(()),
        (Some(None), Some(_)) => Ok(()),
        (Some(Some(tags)), Some(c)) if tags.contains(&c) => Ok(()),
        _ => Err(stale()),
    }
}
