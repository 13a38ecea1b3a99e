#!/usr/bin/env bash
# The outbox relay's single-leader ceiling: how fast one relay (one service, one database) drains a backlog into
# RabbitMQ with publisher confirms, into the event stream as in production, measured beside the commit rate of the
# writes that fill the outbox (pgbench of identity's POST /groups SQL, 16 clients) in the same run. Rounds are
# interleaved (baseline, then a drain per batch size); prints each round, the medians and the ratios: machines
# differ, the ratio is what counts. Not a test: run it by hand, record in docs/PERFORMANCE.md.
#
#   bench/relay-drain.sh [EVENTS=20000] [ROUNDS=3] [BATCH_SIZES="200 1000"]
#
# BIN=path/to/identity uses that binary (any build); by default the release binary is built first.
set -euo pipefail
cd "$(dirname "$0")/.."
EVENTS=${1:-20000}
ROUNDS=${2:-3}
BATCHES=${3:-"200 1000"}
PG=(-h 127.0.0.1 -U postgres)
DB=relay_drain_bench
PORT=18191
EXCHANGE="bench-relay-$$.events"
OUT=bench/results/relay-drain-$(date -u +%Y%m%dT%H%M%SZ).txt
mkdir -p bench/results
deploy/local/ensure-infra.sh >/dev/null
if [[ -z "${BIN:-}" ]]; then
  cargo build --release --locked -p identity >&2
  BIN="${CARGO_TARGET_DIR:-target}/release/identity"
fi
P() { psql "${PG[@]}" -qAt "$@"; }

PID=
cleanup() {
  [[ -n "$PID" ]] && { kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; }
  P -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
  rabbitmqctl -q delete_queue "$EXCHANGE.stream" >/dev/null 2>&1 || true
  rabbitmqadmin -q delete exchange name="$EXCHANGE" >/dev/null 2>&1 || true
  rm -f "${WRITE_SQL:-}"
}
trap cleanup EXIT

P -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null
IDENTITY__AUTH__FUNCTION_KEYS=bench DATABASE_URL="postgres://postgres@127.0.0.1:5432/$DB" "$BIN" migrate >/dev/null 2>&1
TYPEID=$(P -d "$DB" -c "INSERT INTO grouptypes (name) VALUES ('BENCH') RETURNING id")

# A CloudEvent of this suite's shape and size (~0.7 KB), as the relay reads it from the outbox.
ENVELOPE='{"specversion":"1.0","id":"00000000-0000-0000-0000-000000000000","source":"/identity","type":"identity.group.created.v1","subject":"groups/00000000-0000-0000-0000-000000000000","time":"2026-12-01T00:00:00Z","datacontenttype":"application/json","traceparent":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01","data":{"id":"00000000-0000-0000-0000-000000000000","name":"a group with a plausible name","typeid":1,"localid":"L-000123","description":"a description of a typical length for a directory group, enough to make the event realistic","created":"2026-12-01T00:00:00Z","changed_by":"00000000-0000-0000-0000-000000000000"}}'
WRITE_SQL=$(mktemp --suffix=.sql)
cat >"$WRITE_SQL" <<SQL
BEGIN;
INSERT INTO groups (id, name, typeid, localid) VALUES (gen_random_uuid(), 'raw-' || gen_random_uuid(), $TYPEID, 'L1');
INSERT INTO outbox (event_id, event_type, subject, envelope) VALUES (gen_random_uuid(), 'bench.raw', 'x', '$ENVELOPE');
COMMIT;
SQL

fill() { # $1 events, pending, in one transaction
  P -d "$DB" -c "TRUNCATE outbox" -c "INSERT INTO outbox (event_id, event_type, subject, envelope)
    SELECT gen_random_uuid(), 'identity.group.created.v1', 'groups/' || g, '$ENVELOPE'::jsonb
    FROM generate_series(1, $1) g" -c "VACUUM ANALYZE outbox"
}

drain() { # $1 batch size; prints events/s from the first confirmed batch to the last
  fill "$EVENTS"
  IDENTITY__AUTH__FUNCTION_KEYS=bench IDENTITY__LOG__LEVEL=warn IDENTITY__DATABASE__AUTO_MIGRATE=false \
  IDENTITY__BUS__EXCHANGE="$EXCHANGE" IDENTITY__BUS__BATCH_SIZE="$1" \
  DATABASE_URL="postgres://postgres@127.0.0.1:5432/$DB" BIND_ADDR=127.0.0.1:$PORT \
    "$BIN" serve >>"/tmp/relay-drain-bench.log" 2>&1 &
  PID=$!
  local pending=1 waited=0
  while [[ $pending != 0 ]]; do
    sleep 0.2
    waited=$((waited + 1))
    ((waited < 1500)) || { echo "relay did not drain within 300 s" >&2; exit 1; }
    pending=$(P -d "$DB" -c "SELECT count(*) FROM outbox WHERE delivered_at IS NULL")
  done
  kill "$PID"; wait "$PID" 2>/dev/null || true; PID=
  # delivered_at is the commit time of each batch's mark: the first batch is the start, not part of the rate.
  P -d "$DB" -c "WITH t AS (SELECT min(delivered_at) AS a, max(delivered_at) AS b FROM outbox)
    SELECT round((count(*) FILTER (WHERE delivered_at > t.a))::numeric
      / greatest(extract(epoch FROM (t.b - t.a)), 0.001)::numeric) FROM outbox, t GROUP BY t.a, t.b"
}

# shellcheck source=lib/common.sh
source bench/lib/common.sh # median
declare -a base
declare -A rates
{
  echo "relay-drain $(date -u +%FT%TZ) binary=$BIN events=$EVENTS rounds=$ROUNDS batch_sizes=($BATCHES)"
  echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
  for round in $(seq 1 "$ROUNDS"); do
    P -d "$DB" -c "TRUNCATE outbox"
    tps=$(pgbench "${PG[@]}" -n -c 16 -j 2 -T 5 -M prepared -f "$WRITE_SQL" "$DB" 2>/dev/null |
      grep -oP 'tps = \K[0-9.]+' | head -1)
    base+=("${tps%.*}")
    echo "round $round  write SQL (group + outbox insert), pgbench 16 clients: ${tps%.*} tps"
    for b in $BATCHES; do
      r=$(drain "$b")
      rates[$b]+="$r "
      echo "round $round  relay drain, bus.batch_size $b: $r events/s"
    done
  done
  mb=$(median "${base[@]}")
  echo "median write commits: $mb tps"
  for b in $BATCHES; do
    # shellcheck disable=SC2086
    m=$(median ${rates[$b]})
    echo "median relay drain, batch $b: $m events/s = $(echo "scale=2; $m / $mb" | bc)x the write commit rate"
  done
  echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$OUT"
