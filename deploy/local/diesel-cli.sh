#!/usr/bin/env bash
# Prints the path of the pinned diesel CLI (PostgreSQL only), installed into the user's cache the first time,
# with libpq's headers, which it links against, from the distribution's packages when missing.
set -euo pipefail
here="$(dirname "$0")"
# shellcheck source=lib/packages.sh
source "$here/lib/packages.sh"
# shellcheck source=lib/cargo-tool.sh
source "$here/lib/cargo-tool.sh"
if ! pkg-config --exists libpq 2>/dev/null && [[ ! -e /usr/include/postgresql/libpq-fe.h ]]; then
  install_packages "libpq's headers (the diesel CLI links against libpq)" libpq-dev || exit 1
fi
cargo_tool diesel diesel_cli 2.3.14 --no-default-features --features postgres
