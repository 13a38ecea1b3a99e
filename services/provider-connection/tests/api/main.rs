#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

//! Integration tests: each spawns the real service on a random port against a fresh database of its own, the
//! real RabbitMQ (its own exchange) and a local fake of the Microsoft identity platform and Graph (wiremock),
//! reached through the same configurable base URLs production uses.

mod authz;
mod consent;
mod create;
mod dedicated;
mod event_attributes;
mod events;
mod helpers;
mod isolation;
mod jwks;
mod keyset;
mod ops;
mod secrets;
mod statements;
mod verification;
