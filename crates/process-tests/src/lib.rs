//! Test-only crate: its integration tests (`tests/process/`) start every service *binary* as a child process, the
//! way an operator or a container runtime does, and check what only a whole process shows: probes, the served spec
//! and docs, a graceful SIGTERM during a burst of requests, and a configuration error reported in one line.
//!
//! The binaries are taken from the same target directory as the tests; `cargo test --workspace` builds them. When
//! running this crate alone, build them first: `cargo build --bins && cargo test -p process-tests`.
