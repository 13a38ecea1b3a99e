//! `events`, the operator's look at the suite's event bus: the pieces that need no broker, each unit-tested.
//!
//! - [`pattern`]: AMQP topic matching (`*` one word, `#` zero or more), for filtering replayed events the way a
//!   binding would;
//! - [`start`]: where a stream read begins (`first`, `last`, `next`, an offset, a point in time);
//! - [`filter`]: the `--type` / `--subject` filter and the binding keys of a live queue;
//! - [`message`]: one delivery as the tool sees it (body, routing key, stream offset, publish time);
//! - [`render`]: the pretty one-line form, the raw form for `jq`, and the broker URL without its password;
//! - [`stats`]: counts, first and last time and rates per type, and their table.

pub mod filter;
pub mod message;
pub mod pattern;
pub mod render;
pub mod start;
pub mod stats;

pub use filter::Filter;
pub use message::Message;
pub use start::StreamStart;
pub use stats::{Period, Stats};

/// The exchange every service publishes to unless configured otherwise (`bus.exchange`).
pub const DEFAULT_EXCHANGE: &str = "identity-suite.events";
/// The broker when neither `--amqp-url` nor `AMQP_URL` says otherwise: the local development broker.
pub const DEFAULT_AMQP_URL: &str = "amqp://guest:guest@127.0.0.1:5672/%2f";
