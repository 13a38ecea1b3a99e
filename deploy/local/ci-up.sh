#!/usr/bin/env bash
# CI check of the README's first command: starts deploy/local/up.sh, waits until it reports every service under
# services/ ready, runs each printed curl with the printed credentials (each must answer 2xx), then stops it with
# SIGINT, as Ctrl-C does, and checks that every service stopped cleanly and its port is free again.
# CI uses the debug build the tests already compiled (IDENTITY_SUITE_PROFILE=dev); set it to release to check that.
set -euo pipefail
cd "$(dirname "$0")/../.."

out="$(mktemp)"
export IDENTITY_SUITE_RUN_DIR="${IDENTITY_SUITE_RUN_DIR:-$(mktemp -d)}"
# Databases of this run only (the name pattern test.sh sweeps if a run is interrupted), dropped at the end.
suffix="_test_$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export IDENTITY_SUITE_DATABASE_SUFFIX="$suffix"
drop_databases() {
  for name in "${services[@]}"; do
    psql -h 127.0.0.1 -U postgres -d postgres -qc "DROP DATABASE IF EXISTS \"${name//-/_}$suffix\" WITH (FORCE)" >/dev/null 2>&1 || true
  done
}
fail() {
  echo "ci-up: $*" >&2
  echo "---- up.sh output ----" >&2
  cat "$out" >&2
  for log in "$IDENTITY_SUITE_RUN_DIR"/*.log; do
    [[ -f "$log" ]] && { echo "---- $log (last 30 lines) ----" >&2; tail -n 30 "$log" >&2; }
  done
  if [[ -n "${up:-}" ]]; then kill -TERM "$up" 2>/dev/null || true; wait "$up" 2>/dev/null || true; fi
  drop_databases
  exit 1
}

services=()
for name in ${IDENTITY_SUITE_SERVICES:-identity idp-management provider-connection}; do
  [[ -f "services/$name/Cargo.toml" ]] && services+=("$name")
done
[[ ${#services[@]} -gt 0 ]] || fail "no service under services/"

# shellcheck source=lib/system.sh
source deploy/local/lib/system.sh
start_system "$out" IDENTITY_SUITE_PROFILE="${IDENTITY_SUITE_PROFILE:-dev}" LOG_FORMAT=json
why="$(await_system "$out")" || fail "$why"

for name in "${services[@]}"; do
  grep -q "^$name ready on http://127.0.0.1:[0-9]*  API docs: " "$out" || fail "no ready line for $name"
done

# The printed credentials, used exactly as printed.
while IFS= read -r line; do eval "$line"; done < <(grep -E '^  export [A-Z_]+=' "$out")
calls=0
while IFS= read -r line; do
  code="$(eval "$line -o /dev/null -w '%{http_code}'")" || fail "curl failed: $line"
  [[ "$code" =~ ^2 ]] || fail "HTTP $code from: $line"
  echo "ci-up: $code <- ${line#  }"
  calls=$((calls + 1))
done < <(grep -E '^  curl ' "$out")
for name in "${services[@]}"; do
  port=$(grep -oE "^$name ready on http://127.0.0.1:[0-9]+" "$out" | grep -oE '[0-9]+$')
  grep -qE "^  curl .*127\.0\.0\.1:$port/" "$out" || fail "no authenticated call printed for $name"
done

# The API docs pages in a real browser (headless Chromium): offline, every operation, "Try it out" with the
# demo credentials. DOCS_BROWSER=0 skips it (and says so).
port_of() { grep -oE "^$1 ready on http://127.0.0.1:[0-9]+" "$out" | grep -oE '[0-9]+$'; }
if [[ "${DOCS_BROWSER:-1}" != 0 && ${#services[@]} -eq 3 ]]; then
  deploy/local/docs-browser.sh \
    "{\"name\":\"identity\",\"base\":\"http://localhost:$(port_of identity)\",\"auth\":{\"scheme\":\"FunctionKeyHeader\",\"value\":\"$IDENTITY_KEY\"},\"call\":{\"method\":\"get\",\"path\":\"/grouptypes\"}}" \
    "{\"name\":\"idp-management\",\"base\":\"http://localhost:$(port_of idp-management)\",\"auth\":{\"scheme\":\"iam-console-token\",\"value\":\"$IDP_MANAGEMENT_TOKEN\"},\"call\":{\"method\":\"get\",\"path\":\"/idp/v1/applications/{application-expression}/identity-providers\",\"params\":{\"application-expression\":\"demo-app\"}}}" \
    "{\"name\":\"provider-connection\",\"base\":\"http://localhost:$(port_of provider-connection)\",\"auth\":{\"scheme\":\"memberToken\",\"value\":\"$PROVIDER_CONNECTION_TOKEN\"},\"call\":{\"method\":\"get\",\"path\":\"/tenants/{tenant}/audit-records\",\"params\":{\"tenant\":\"demo-tenant\"}}}" \
    || fail "the API docs pages failed in the browser"
else
  echo "ci-up: browser check of the API docs pages skipped (DOCS_BROWSER=0 or not all three services)"
fi

# The README's look at the bus: the demo calls' events, read back from the stream by the events tool.
events_bin="${CARGO_TARGET_DIR:-target}/debug/events"
if [[ -x "$events_bin" ]]; then
  seen=""
  for _ in $(seq 1 20); do
    seen="$("$events_bin" stats --from first --type 'provider-connection.#' --idle-ms 1000 2>&1)" || fail "events stats failed: $seen"
    grep -q "provider-connection.connection.created.v1" <<<"$seen" && break
    sleep 0.5
  done
  grep -q "provider-connection.connection.created.v1" <<<"$seen" || fail "events stats shows no demo event: $seen"
  echo "ci-up: events stats --from first shows the demo calls' events"
fi

code=0
stop_system || code=$?
[[ $code -eq 0 ]] || fail "up.sh exited $code after SIGINT"
for name in "${services[@]}"; do
  grep -q "^$name stopped cleanly" "$out" || fail "$name did not stop cleanly"
done
for name in "${services[@]}"; do
  port=$(grep -oE "^$name ready on http://127.0.0.1:[0-9]+" "$out" | grep -oE '[0-9]+$')
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then fail "port $port still open after stop"; fi
done
drop_databases
# What up.sh had to install or start on this machine (deploy/local/ensure-infra.sh), so a run's log shows it.
grep -E '^(installing |ensure-infra: )' "$out" | sed 's/^/ci-up: up.sh: /' || true
rm -rf "$out" "$IDENTITY_SUITE_RUN_DIR"
echo "ci-up: ${#services[@]} services ready, $calls authenticated calls answered 2xx, clean stop"
