#!/usr/bin/env bash
# Starts the whole system on this machine: PostgreSQL and RabbitMQ on loopback (started if down), then every
# service, each creating and migrating its own database. Prints where each listens and a first credential.
# Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/../.."
deploy/local/ensure-infra.sh

echo "building services (release)..." >&2
cargo build --release --locked --bins >&2
bin="${CARGO_TARGET_DIR:-target}/release"

export IDENTITY__AUTH__FUNCTION_KEYS="${IDENTITY__AUTH__FUNCTION_KEYS:-local-dev-key}"
export IDENTITY__LOG__FORMAT="${IDENTITY__LOG__FORMAT:-pretty}"

pids=()
stop() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait || true
  echo "all services stopped" >&2
}
trap stop INT TERM EXIT

start() { # name port
  local name=$1 port=$2
  BIND_ADDR="127.0.0.1:$port" "$bin/$name" >"/tmp/$name.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 60); do
    if curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; then
      echo "$name ready on http://127.0.0.1:$port  (spec: /openapi.yaml, probes: /healthz /readyz, metrics: /metrics, log: /tmp/$name.log)"
      return 0
    fi
    sleep 1
  done
  echo "$name did not become ready; see /tmp/$name.log" >&2
  return 1
}

start identity 8081

cat <<MSG

First call (identity, function key from IDENTITY__AUTH__FUNCTION_KEYS):
  curl -s -H 'x-functions-key: $IDENTITY__AUTH__FUNCTION_KEYS' -H 'content-type: application/json' \\
       -d '{"name":"CUSTOMER"}' http://127.0.0.1:8081/api/v1/grouptypes
  curl -s 'http://127.0.0.1:8081/api/v1/grouptypes?code=$IDENTITY__AUTH__FUNCTION_KEYS'

Press Ctrl-C to stop.
MSG
wait
