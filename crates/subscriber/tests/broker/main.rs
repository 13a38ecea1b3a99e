//! The subscriber against the real RabbitMQ and PostgreSQL: each test with its own exchange, queue and
//! database, publishing the way the relay does and watching what the handlers see.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod catch_up;
mod dead_letter;
mod dedupe;
mod gaps;
mod helpers;
mod projection;
mod reconnect;
mod stop;
mod topology;

/// The projection the `permissions_projection` example runs, shared with its test.
#[path = "../../examples/support/permissions.rs"]
mod permissions;
