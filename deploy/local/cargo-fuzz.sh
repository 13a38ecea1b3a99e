#!/usr/bin/env bash
# Prints the path of the pinned cargo-fuzz, installed into the user's cache the first time. The fuzz targets
# run with deploy/local/fuzz.sh.
set -euo pipefail
# shellcheck source=lib/cargo-tool.sh
source "$(dirname "$0")/lib/cargo-tool.sh"
cargo_tool cargo-fuzz cargo-fuzz 0.13.2
