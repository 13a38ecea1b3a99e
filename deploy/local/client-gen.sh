#!/usr/bin/env bash
# The second client generator (docs/RELIABILITY.md, "Clients from the specs"): TypeScript types and a typed
# fetch client (openapi-fetch) from each specs/ file as it is, by openapi-typescript. Redocly's parser reads the
# spec: a document it cannot read, or one breaking a rule of deploy/local/client-gen/redocly.yaml, fails the run.
# Then `tsc --strict` over deploy/local/client-gen/checks/<service>.ts, which call a few operations the way a
# caller would and mark wrong calls `@ts-expect-error` (an unused one is an error too, so a spec too loose to
# refuse them fails). Independent of crates/clients (progenitor, which reads adjusted copies of the specs).
#
#   deploy/local/client-gen.sh            # all three specs; exits non-zero on any generator or compiler error
#
# The pinned tools (deploy/local/client-gen/package-lock.json) are installed once with `npm ci` into
# ~/.cache/identity-suite/tools/client-gen and reused while the lock file is unchanged.
set -euo pipefail
cd "$(dirname "$0")/../.."
here=deploy/local/client-gen
tools="${IDENTITY_SUITE_TOOLS:-$HOME/.cache/identity-suite/tools}/client-gen"
command -v npm >/dev/null || { echo "client-gen: npm is not installed (Node.js 18 or later is needed)" >&2; exit 1; }

stamp="$(sha256sum "$here/package-lock.json" | cut -d' ' -f1)"
if [[ "$(cat "$tools/.stamp" 2>/dev/null)" != "$stamp" ]]; then
  echo "client-gen: installing the pinned generator and compiler into $tools" >&2
  rm -rf "$tools"
  mkdir -p "$tools"
  cp "$here/package.json" "$here/package-lock.json" "$tools/"
  (cd "$tools" && npm ci --no-audit --no-fund --loglevel=error) >&2
  echo "$stamp" >"$tools/.stamp"
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp -r "$here/checks" "$here/tsconfig.json" "$work/"
mkdir "$work/generated"
ln -s "$tools/node_modules" "$work/node_modules"
for name in identity idp-management provider-connection; do
  echo "== client-gen $name: openapi-typescript specs/$name.yaml"
  # Request bodies: a property with a default is still optional to send (the default is the server's).
  "$tools/node_modules/.bin/openapi-typescript" "specs/$name.yaml" --redocly "$here/redocly.yaml" \
    --default-non-nullable false \
    -o "$work/generated/$name.ts"
done
echo "== client-gen: tsc --strict over the generated clients and $here/checks"
"$tools/node_modules/.bin/tsc" -p "$work/tsconfig.json"
echo "client-gen: every spec generated a client that compiles"
