#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

//! Every service binary, run as a process the way an operator runs it.

mod clients;
mod docs;
mod helpers;
mod lifecycle;
mod limits;
mod settings;
mod surface;
mod wake;
