#!/usr/bin/env bash
# Prints a directory holding a Node.js recent enough for the tests, to put first on PATH:
#   PATH="$(deploy/local/node.sh):$PATH"
# idp-management's configuration-check tests run a real `oidc-provider` 9 (services/idp-management/tests/oidc),
# which needs Node.js 20.18+ (`URL.parse`); the docs-page check runs playwright-core (Node.js 18+).
#
# The machine's own `node` is used when it is recent enough. Otherwise (Debian bookworm and Ubuntu 24.04 ship
# Node.js 18) the pinned Node.js 22 LTS binary is fetched once from the npm registry, where it is published as
# the package `node-linux-<arch>` (what `npm install node` installs), into the tools cache, and that is printed.
# npm is needed for the fetch and for the tests' `npm ci`: installed with the distribution's `nodejs npm` when
# missing and this process may install packages (deploy/local/lib/packages.sh), else the command is printed.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=lib/packages.sh
source "$here/lib/packages.sh"
version=22.23.3
tools="${XDG_CACHE_HOME:-$HOME/.cache}/identity-suite/tools"

recent_enough() { # node binary
  "$1" -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 18) ? 0 : 1)' 2>/dev/null
}

have_or_install npm "Node.js and npm (the tests run a real OpenID Connect provider, oidc-provider, from npm)" nodejs npm || exit 1
if command -v node >/dev/null && recent_enough "$(command -v node)"; then
  dirname "$(command -v node)"
  exit 0
fi
case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) echo "node.sh: Node.js $(node --version 2>/dev/null || echo '(none)') is too old (20.18+ needed) and no npm build of Node.js exists for $(uname -m)" >&2; exit 1 ;;
esac
dir="$tools/node-$version"
if [[ ! -x "$dir/bin/node" ]] || ! recent_enough "$dir/bin/node"; then
  echo "node.sh: the machine's Node.js is $(node --version 2>/dev/null || echo 'missing'); fetching Node.js $version (npm package node-linux-$arch) into $dir" >&2
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  # npm pack checks the tarball against the registry's integrity hash.
  (cd "$work" && npm pack --silent "node-linux-$arch@$version" >/dev/null)
  mkdir -p "$work/x"
  tar -xzf "$work/node-linux-$arch-$version.tgz" -C "$work/x"
  rm -rf "$dir"
  mkdir -p "$tools"
  mv "$work/x/package" "$dir"
fi
# Node.js's own builds trust only the certificate authorities compiled into them, where the distribution's trusts
# the system's; a network that inspects TLS with a CA of its own (installed in the system's store) would then
# refuse npm's downloads. The directory printed holds a `node` that adds the system's store.
shim="$dir/with-system-cas"
if [[ ! -x "$shim/node" ]]; then
  mkdir -p "$shim"
  cat >"$shim/node" <<SHIM
#!/bin/sh
[ -z "\$NODE_EXTRA_CA_CERTS" ] && [ -s /etc/ssl/certs/ca-certificates.crt ] && export NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
exec "$dir/bin/node" "\$@"
SHIM
  chmod +x "$shim/node"
fi
echo "$shim"
