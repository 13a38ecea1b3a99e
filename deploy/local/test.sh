#!/usr/bin/env bash
# The test command: every unit and integration test of the workspace, against the real PostgreSQL and RabbitMQ.
set -euo pipefail
cd "$(dirname "$0")/../.."
deploy/local/ensure-infra.sh
# Databases left by an interrupted earlier run (tests drop their own on exit).
psql -h 127.0.0.1 -U postgres -d postgres -Atc \
  "SELECT datname FROM pg_database WHERE datname ~ '_test_[0-9a-f]{32}$'" 2>/dev/null |
  while read -r db; do psql -h 127.0.0.1 -U postgres -d postgres -qc "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" || true; done
exec cargo test --workspace "$@"
