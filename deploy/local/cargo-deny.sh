#!/usr/bin/env bash
# Prints the path of a cargo-deny binary, installing the pinned version into the user's cache the first time
# (as deploy/local/diesel-cli.sh does for the diesel CLI). Checks run with deploy/local/deny-check.sh.
set -euo pipefail
version=0.20.2
root="${XDG_CACHE_HOME:-$HOME/.cache}/identity-suite/tools"
bin="$root/bin/cargo-deny"
if [[ -x "$bin" ]] && "$bin" --version 2>/dev/null | grep -q "$version"; then
  echo "$bin"
  exit 0
fi
echo "cargo-deny: installing cargo-deny $version into $root (once)" >&2
cargo install cargo-deny --version "$version" --locked --root "$root" >&2
echo "$bin"
