#!/usr/bin/env bash
# Prints the path of a diesel CLI (PostgreSQL only), installing the pinned version into the user's cache the
# first time (and libpq's headers, which it links against, from Debian's packages when we are root).
set -euo pipefail
version=2.3.14
root="${XDG_CACHE_HOME:-$HOME/.cache}/identity-suite/tools"
bin="$root/bin/diesel"
if [[ -x "$bin" ]] && "$bin" --version 2>/dev/null | grep -q "$version"; then
  echo "$bin"
  exit 0
fi
if ! pkg-config --exists libpq 2>/dev/null && [[ ! -e /usr/include/postgresql/libpq-fe.h ]]; then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    echo "diesel-cli: installing libpq-dev" >&2
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libpq-dev >&2
  else
    echo "diesel-cli: libpq's headers are missing; run: sudo apt-get install libpq-dev" >&2
    exit 1
  fi
fi
echo "diesel-cli: installing diesel_cli $version into $root (once)" >&2
cargo install diesel_cli --version "$version" --no-default-features --features postgres --locked \
  --root "$root" >&2
echo "$bin"
