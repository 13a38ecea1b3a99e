#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

//! Integration tests: each spawns the real service on a random port against a fresh database of its own and the
//! real RabbitMQ (its own exchange), so they run in parallel.

mod auth;
mod checks;
mod concurrency;
mod discovery;
mod errors;
mod event_attributes;
mod events;
mod helpers;
mod isolation;
mod jwks;
mod operations;
mod secrets;
mod statements;
mod validation;
