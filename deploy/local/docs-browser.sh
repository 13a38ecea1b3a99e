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
  # shellcheck source=lib/packages.sh
  source "$here/lib/packages.sh"
  install_packages "Debian's chromium (the docs pages are checked in a real browser)" chromium || exit 1
fi
PATH="$("$here/node.sh"):$PATH"
mkdir -p "$tools"
if ! cmp -s "$here/docs-browser/package-lock.json" "$tools/package-lock.json" 2>/dev/null || [[ ! -d "$tools/node_modules/playwright-core" ]]; then
  cp "$here/docs-browser/package.json" "$here/docs-browser/package-lock.json" "$tools/"
  (cd "$tools" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi
cp "$here/docs-browser/check.mjs" "$tools/check.mjs"
CHROMIUM="$chromium" exec node "$tools/check.mjs" "$@"
