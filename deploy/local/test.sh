#!/usr/bin/env bash
# The test command: every unit and integration test of the workspace, against the real PostgreSQL and RabbitMQ.
set -euo pipefail
cd "$(dirname "$0")/../.."
deploy/local/ensure-infra.sh
# Databases left by an interrupted earlier run (tests drop their own on exit).
psql -h 127.0.0.1 -U postgres -d postgres -Atc \
  "SELECT datname FROM pg_database WHERE datname ~ '_test_[0-9a-f]{32}$'" 2>/dev/null |
  while read -r db; do psql -h 127.0.0.1 -U postgres -d postgres -qc "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" || true; done
# The process-level tests (crates/process-tests) start the binaries themselves, including those of packages
# without integration tests (healthprobe, mint-jwt), which `cargo test` alone does not build.
cargo build --workspace --bins "$@"
exec cargo test --workspace "$@"
