#!/usr/bin/env bash
# Starts the whole system on this machine: PostgreSQL and RabbitMQ on loopback (started if down), then every
# service under services/, each creating and migrating its own database. Prints where each listens, where its API
# docs are, and a first working credential and curl for each. Ctrl-C (or SIGTERM) stops everything gracefully.
#
# Demo credentials and keys are generated afresh on every start into $RUN_DIR (mode 700, never committed):
# identity gets a function key, idp-management and provider-connection HS256 JWT keys (tokens minted with the
# `mint-jwt` tool of crates/security), idp-management and provider-connection their secret-sealing keys.
# IDENTITY_SUITE_PROFILE=dev uses the debug build (what CI already compiled) instead of release;
# IDENTITY_SUITE_SERVICES="identity idp-management" starts only those.
set -euo pipefail
cd "$(dirname "$0")/../.."
deploy/local/ensure-infra.sh

profile="${IDENTITY_SUITE_PROFILE:-release}"
run_dir="${IDENTITY_SUITE_RUN_DIR:-${TMPDIR:-/tmp}/identity-suite}"
target="${CARGO_TARGET_DIR:-target}"
case "$profile" in
  release) bin="$target/release"; build=(--release) ;;
  dev) bin="$target/debug"; build=() ;;
  *) echo "up.sh: IDENTITY_SUITE_PROFILE must be release or dev, not '$profile'" >&2; exit 2 ;;
esac

# The services present in this checkout, in start order.
# IDENTITY_SUITE_SERVICES="identity idp-management" starts only those.
services=()
for name in ${IDENTITY_SUITE_SERVICES:-identity idp-management provider-connection}; do
  [[ -f "services/$name/Cargo.toml" ]] && services+=("$name")
done
packages=()
for name in "${services[@]}"; do packages+=(-p "$name"); done
[[ -f crates/security/src/bin/mint-jwt.rs ]] && packages+=(-p security)
[[ -f crates/events-cli/Cargo.toml ]] && packages+=(-p events-cli)

echo "building ${services[*]} ($profile)..." >&2
cargo build "${build[@]}" --locked --bins "${packages[@]}" >&2

mkdir -p "$run_dir" && chmod 700 "$run_dir"
umask 077
random() { head -c "${1:-32}" /dev/urandom | base64 | tr -d '\n/+=' | head -c "${2:-43}"; }
random_key_b64() { head -c 32 /dev/urandom | base64 | tr -d '\n'; }
mint() { # secret kid iss aud claims-json
  "$bin/mint-jwt" --secret "$1" --kid "$2" --iss "$3" --aud "$4" --ttl-secs 86400 --claims "$5"
}

# IDENTITY_SUITE_PORT_OFFSET (default 0) moves every port by that much, so a second system (e.g.
# schemathesis.sh's) can run beside one on the default ports.
offset="${IDENTITY_SUITE_PORT_OFFSET:-0}"
declare -A ports=([identity]=$((8081 + offset)) [idp-management]=$((8082 + offset)) [provider-connection]=$((8083 + offset)))

# Per service: a config file in $run_dir (secrets live there, not in the environment of every child) and the
# credential printed at the end.
identity_key="$(random 24 32)"
declare -A notes=()
# IDENTITY_SUITE_DATABASE_SUFFIX (CI) gives each service a database of its own run: <db><suffix>.
database_section() { # name
  [[ -n "${IDENTITY_SUITE_DATABASE_SUFFIX:-}" ]] || return 0
  printf '[database]\nurl = "postgres://postgres@127.0.0.1:5432/%s%s"\n' "${1//-/_}" "$IDENTITY_SUITE_DATABASE_SUFFIX"
}

configure_identity() {
  database_section identity >"$run_dir/identity.toml"
  cat >>"$run_dir/identity.toml" <<TOML
[auth]
function_keys = ["$identity_key"]
[log]
format = "${LOG_FORMAT:-pretty}"
TOML
  notes[identity]="$(cat <<MSG
identity (function key; header x-functions-key or ?code=):
  export IDENTITY_KEY='$identity_key'
  curl -s -H "x-functions-key: \$IDENTITY_KEY" -H 'content-type: application/json' -d '{"name":"CUSTOMER"}' http://127.0.0.1:${ports[identity]}/api/v1/grouptypes
  curl -s -H "x-functions-key: \$IDENTITY_KEY" http://127.0.0.1:${ports[identity]}/api/v1/grouptypes
MSG
)"
}

configure_idp_management() {
  local secret token
  secret="$(random 48 48)"
  database_section idp-management >"$run_dir/idp-management.toml"
  cat >>"$run_dir/idp-management.toml" <<TOML
[log]
format = "${LOG_FORMAT:-pretty}"
[registry]
applications = ["demo-app"]
[jwt]
keys = [{ kid = "local-1", alg = "HS256", secret = "$secret" }]
[secrets]
active_key_id = "local-1"
[secrets.keys]
local-1 = "$(random_key_b64)"
TOML
  token="$(mint "$secret" local-1 iam idp-management \
    '{"application":"demo-app","actor":"demo-admin","permissions":["idp:read","idp:write"]}')"
  notes[idp-management]="$(cat <<MSG
idp-management (bearer JWT: application demo-app, actor demo-admin, idp:read + idp:write; 24 h):
  export IDP_MANAGEMENT_TOKEN='$token'
  curl -s -H "Authorization: Bearer \$IDP_MANAGEMENT_TOKEN" http://127.0.0.1:${ports[idp-management]}/idp/v1/applications/demo-app/identity-providers
MSG
)"
}

configure_provider_connection() {
  local secret token
  secret="$(random 48 48)"
  database_section provider-connection >"$run_dir/provider-connection.toml"
  cat >>"$run_dir/provider-connection.toml" <<TOML
[log]
format = "${LOG_FORMAT:-pretty}"
[auth]
keys = [{ kid = "local-1", alg = "HS256", secret = "$secret" }]
[platform]
# A placeholder app: consent links and verification need a real Entra application (see docs/CONFIGURATION.md).
client_id = "00000000-0000-0000-0000-000000000000"
client_secret = "$(random 32 40)"
[consent]
state_secret = "$(random 48 48)"
[secrets]
active_key_id = "local-1"
[secrets.keys]
local-1 = "$(random_key_b64)"
TOML
  token="$(mint "$secret" local-1 https://tenantpilot.local provider-connection \
    '{"sub":"demo-member","workspace_id":"demo-workspace","tenants":["demo-tenant"],"capabilities":["provider_connections.view","provider_connections.manage","provider_connections.run_verification","provider_connections.manage_dedicated","provider_connections.view_audit"]}')"
  notes[provider-connection]="$(cat <<MSG
provider-connection (bearer JWT: member demo-member, workspace demo-workspace, tenant demo-tenant, every capability; 24 h):
  export PROVIDER_CONNECTION_TOKEN='$token'
  curl -s -H "Authorization: Bearer \$PROVIDER_CONNECTION_TOKEN" -H 'content-type: application/json' -d '{"provider":"microsoft","entra_tenant_id":"11111111-2222-3333-4444-555555555555","display_name":"Demo tenant"}' http://127.0.0.1:${ports[provider-connection]}/admin/tenants/demo-tenant/provider-connections
  curl -s -H "Authorization: Bearer \$PROVIDER_CONNECTION_TOKEN" http://127.0.0.1:${ports[provider-connection]}/admin/tenants/demo-tenant/audit-records
MSG
)"
}

pids=()
names=()
stopping=0
stop() {
  trap - INT TERM
  stopping=1
  echo >&2
  echo "stopping ${names[*]}..." >&2
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  local failed=0 i code
  for i in "${!pids[@]}"; do
    code=0
    wait "${pids[$i]}" || code=$?
    if [[ $code -eq 0 ]]; then
      echo "${names[$i]} stopped cleanly" >&2
    else
      echo "${names[$i]} exited with status $code; see $run_dir/${names[$i]}.log" >&2
      failed=1
    fi
  done
  if [[ $failed -eq 0 ]]; then echo "all services stopped" >&2; exit 0; fi
  exit 1
}
trap stop INT TERM

start() { # name
  local name=$1 port=${ports[$1]}
  "configure_${name//-/_}"
  # Own session: a terminal's Ctrl-C reaches only this script, which stops the services with SIGTERM (graceful
  # drain) rather than letting SIGINT race it.
  BIND_ADDR="127.0.0.1:$port" setsid "$bin/$name" --config "$run_dir/$name.toml" >"$run_dir/$name.log" 2>&1 &
  pids+=($!)
  names+=("$name")
  for _ in $(seq 1 120); do
    if curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; then
      echo "$name ready on http://127.0.0.1:$port  API docs: http://127.0.0.1:$port/docs/  (spec /openapi.yaml, probes /healthz /readyz, metrics /metrics, log $run_dir/$name.log)"
      return 0
    fi
    if ! kill -0 "${pids[-1]}" 2>/dev/null; then
      echo "$name exited during start-up:" >&2
      tail -n 20 "$run_dir/$name.log" >&2
      stop
    fi
    sleep 0.5
  done
  echo "$name did not become ready in 60 s; see $run_dir/$name.log" >&2
  stop
}

for name in "${services[@]}"; do start "$name"; done

echo
echo "First calls (credentials are new on every start; keys and configs in $run_dir):"
for name in "${services[@]}"; do
  echo
  echo "${notes[$name]}"
done
if [[ -x "$bin/events" ]]; then
  echo
  echo "Watch the event bus (README: Watching the event bus), e.g.:"
  echo "  $bin/events tail"
fi
echo
echo "Press Ctrl-C to stop."
while [[ $stopping -eq 0 ]]; do
  # Wake up for signals; notice a service that died on its own.
  sleep 1 &
  wait $! || true
  for i in "${!pids[@]}"; do
    if ! kill -0 "${pids[$i]}" 2>/dev/null; then
      echo "${names[$i]} stopped unexpectedly; see $run_dir/${names[$i]}.log" >&2
      stop
    fi
  done
done
