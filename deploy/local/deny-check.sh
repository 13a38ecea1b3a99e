#!/usr/bin/env bash
# The supply-chain checks of deny.toml, offline (this machine reaches crates.io but not the advisory
# database's home): bans (duplicates, wildcards), licences and sources first, which need no database; then
# advisories, against the RustSec database deploy/local/advisory-db.sh prepares. Without that database the
# run fails after the other checks, saying advisories were not checked.
# CARGO_DENY names the binary (default: deploy/local/cargo-deny.sh installs the pinned one).
set -euo pipefail
cd "$(dirname "$0")/../.."
deny="${CARGO_DENY:-$(deploy/local/cargo-deny.sh)}"
# cargo-deny reads the whole graph, every platform's crates included (windows-sys...), and offline it cannot
# download the ones a build here never needed: a fresh machine has none of them.
cargo fetch --locked --quiet
"$deny" --offline --locked check bans licenses sources
if ! deploy/local/advisory-db.sh >/dev/null; then
  echo "cargo deny: FAILED: advisories NOT checked, no advisory database (see above)" >&2
  exit 1
fi
"$deny" --offline --locked check advisories
