//! Test-only crate: its integration tests (`tests/process/`) start every service *binary* as a child process, the
//! way an operator or a container runtime does, and check what only a whole process shows: probes, the served spec
//! and docs, a graceful SIGTERM during a burst of requests, and a configuration error reported in one line.
//!
//! The binaries are taken from the same target directory as the tests; `deploy/local/test.sh` builds them first
//! (`cargo test` alone skips the binaries of packages without integration tests). Alone:
//! `cargo build --workspace --bins && cargo test -p process-tests`.
