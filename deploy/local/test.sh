#!/usr/bin/env bash
# The test command: every unit and integration test of the workspace, against the real PostgreSQL and RabbitMQ.
set -euo pipefail
cd "$(dirname "$0")/../.."
deploy/local/ensure-infra.sh
# A Node.js recent enough for idp-management's oidc-provider tests (fetched when the machine's is older).
PATH="$(deploy/local/node.sh):$PATH"
export PATH
# Test databases are cloned from one template per service, migrated once per run (test-support), named by this
# run's id so a template migrated by older code is never reused.
export TEST_RUN_ID="${TEST_RUN_ID:-r$(date +%s)$$}"
# Databases left by an interrupted earlier run (tests drop their own on exit), and the templates of earlier runs.
drop_test_databases() {
  psql -h 127.0.0.1 -U postgres -d postgres -Atc \
    "SELECT datname FROM pg_database WHERE datname ~ '(_test_[0-9a-f]{32}|_tpl_[0-9a-z]+(_new)?)$'" 2>/dev/null |
    while read -r db; do psql -h 127.0.0.1 -U postgres -d postgres -qc "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" || true; done
}
drop_test_databases
trap drop_test_databases EXIT
# The process-level tests (crates/process-tests) start the binaries themselves, including those of packages
# without integration tests (healthprobe, mint-jwt), which `cargo test` alone does not build.
cargo build --workspace --bins "$@"
# Integration tests mostly wait on PostgreSQL, RabbitMQ and timers, not the CPU: four at a time per binary is
# measured to take the service suites from 21-31 s to 15-20 s on 2 cores (docs/DEVELOPING.md).
export RUST_TEST_THREADS="${RUST_TEST_THREADS:-4}"
cargo test --workspace "$@"
