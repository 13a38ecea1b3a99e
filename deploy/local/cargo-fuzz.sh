#!/usr/bin/env bash
# Prints the path of a cargo-fuzz binary, installing the pinned version into the user's cache the first time
# (as deploy/local/cargo-deny.sh does for cargo-deny). The fuzz targets run with deploy/local/fuzz.sh.
set -euo pipefail
version=0.13.2
root="${XDG_CACHE_HOME:-$HOME/.cache}/identity-suite/tools"
bin="$root/bin/cargo-fuzz"
if [[ -x "$bin" ]] && "$bin" --version 2>/dev/null | grep -q "$version"; then
  echo "$bin"
  exit 0
fi
echo "cargo-fuzz: installing cargo-fuzz $version into $root (once)" >&2
cargo install cargo-fuzz --version "$version" --locked --root "$root" >&2
echo "$bin"
