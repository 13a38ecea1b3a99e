#!/usr/bin/env bash
# Prints the path of the pinned cargo-deny, installed into the user's cache the first time. Checks run with
# deploy/local/deny-check.sh.
set -euo pipefail
# shellcheck source=lib/cargo-tool.sh
source "$(dirname "$0")/lib/cargo-tool.sh"
cargo_tool cargo-deny cargo-deny 0.20.2
