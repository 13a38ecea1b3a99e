#!/usr/bin/env bash
# The /docs/ page of each running service in headless Chromium (deploy/local/docs-browser/check.mjs): it
# renders offline, lists every operation of the served spec, and a "Try it out" call with the demo credential
# answers 2xx. Arguments: one JSON object per service (see check.mjs). Needs Debian's chromium (installed here
# with apt-get when run as root, else the command is printed) and the pinned playwright-core (npm, into the
# tools cache).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
tools="${XDG_CACHE_HOME:-$HOME/.cache}/identity-suite/tools/docs-browser"
chromium="${CHROMIUM:-/usr/bin/chromium}"
if [[ ! -x "$chromium" ]]; then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    echo "docs-browser: installing Debian's chromium" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null
  else
    echo "docs-browser: chromium is missing; install it with: sudo apt-get install -y chromium" >&2
    exit 1
  fi
fi
command -v node >/dev/null || { echo "docs-browser: node is missing (sudo apt-get install -y nodejs npm)" >&2; exit 1; }
mkdir -p "$tools"
if ! cmp -s "$here/docs-browser/package-lock.json" "$tools/package-lock.json" 2>/dev/null || [[ ! -d "$tools/node_modules/playwright-core" ]]; then
  cp "$here/docs-browser/package.json" "$here/docs-browser/package-lock.json" "$tools/"
  (cd "$tools" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi
cp "$here/docs-browser/check.mjs" "$tools/check.mjs"
CHROMIUM="$chromium" exec node "$tools/check.mjs" "$@"
