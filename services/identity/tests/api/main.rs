#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

//! Integration tests: each spawns the real service on a random port against a fresh database of its own and the
//! real RabbitMQ (its own exchange), so they run in parallel.

mod assignments;
mod auth_and_ops;
mod cfsb_client;
mod connectors;
mod entra_tokens;
mod event_attributes;
mod events;
mod graph;
mod groups;
mod grouptypes;
mod helpers;
mod isolation;
mod keyset;
mod permissions;
mod read_only;
mod secrets;
mod statements;
mod users;
