#!/usr/bin/env bash
# Benchmark: identity GET /groups/{groupid} and POST /groups at 16 connections (wrk), beside raw PostgreSQL
# (pgbench -S -M prepared, 16 clients over TCP) in the same run, plus the service's resident memory idle and under
# load. Repeats RUNS times and prints medians and ratios. Not a test: run it by hand, record in docs/PERFORMANCE.md.
#
#   bench/identity-directory.sh [DURATION_SECS=15] [RUNS=3]
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-15}
RUNS=${2:-3}
CONNS=16
PORT=18181
KEY=bench-key
PG="-h 127.0.0.1 -U postgres"
OUT=bench/results/identity-directory-$(date -u +%Y%m%dT%H%M%SZ).txt
mkdir -p bench/results
command -v wrk >/dev/null || { echo "wrk is required: apt-get install wrk" >&2; exit 1; }
deploy/local/ensure-infra.sh

cargo build --release --locked -p identity >&2
BIN="${CARGO_TARGET_DIR:-target}/release/identity"

psql $PG -d postgres -qc "DROP DATABASE IF EXISTS identity_bench WITH (FORCE)"
psql $PG -d postgres -qc "DROP DATABASE IF EXISTS pgbench_bench WITH (FORCE)"
psql $PG -d postgres -qc "CREATE DATABASE pgbench_bench"
pgbench $PG -i -s 10 -q pgbench_bench >/dev/null 2>&1

IDENTITY__AUTH__FUNCTION_KEYS=$KEY IDENTITY__LOG__LEVEL=warn IDENTITY__BUS__EXCHANGE=bench.identity \
DATABASE_URL=postgres://postgres@127.0.0.1:5432/identity_bench BIND_ADDR=127.0.0.1:$PORT "$BIN" >/tmp/identity-bench.log 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true; wait $PID 2>/dev/null || true' EXIT
for _ in $(seq 1 60); do curl -fsS http://127.0.0.1:$PORT/readyz >/dev/null 2>&1 && break; sleep 0.5; done

# Seed 10,000 groups of one type directly (the API path is measured below, not the seeding).
TYPEID=$(curl -fsS -H "x-functions-key: $KEY" -H 'content-type: application/json' -d '{"name":"CUSTOMER"}' \
  http://127.0.0.1:$PORT/api/v1/grouptypes | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
psql $PG -d identity_bench -qc "INSERT INTO groups (id, name, typeid, localid)
  SELECT gen_random_uuid(), 'seed-' || g, $TYPEID, 'L' || (g % 1000) FROM generate_series(1, 10000) g"
IDS_FILE=$(mktemp)
psql $PG -d identity_bench -Atc "SELECT id FROM groups ORDER BY random() LIMIT 2000" >"$IDS_FILE"
sleep 2
RSS_IDLE=$(ps -o rss= -p $PID | tr -d ' ')

sample_rss() { # prints max RSS (kB) of $PID while the command in "$@" runs
  local max=0 r
  "$@" &
  local job=$!
  while kill -0 $job 2>/dev/null; do
    r=$(ps -o rss= -p $PID | tr -d ' '); [ "${r:-0}" -gt "$max" ] && max=$r; sleep 0.5
  done
  wait $job
  echo "RSS_MAX $max"
}

{
  echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -r); duration ${DURATION}s x $RUNS runs, $CONNS connections"
  echo "RSS_IDLE $RSS_IDLE"
  for run in $(seq 1 "$RUNS"); do
    echo "== run $run"
    rm -f /tmp/pgbench_log.*
    (cd /tmp && pgbench $PG -S -M prepared -c $CONNS -j 2 -T "$DURATION" -l --log-prefix=/tmp/pgbench_log pgbench_bench 2>&1) |
      grep -E '^tps|latency average' | sed 's/^/PGBENCH /'
    echo "PGBENCH_P99_MS $(cat /tmp/pgbench_log.* | awk '{print $3}' | sort -n | awk '{a[NR]=$1} END {print a[int(NR*0.99)]/1000}')"
    IDS_FILE=$IDS_FILE KEY=$KEY sample_rss wrk -t2 -c$CONNS -d"${DURATION}s" --latency -s bench/lua/get_group.lua \
      http://127.0.0.1:$PORT | sed 's/^/GET /'
    RUN=$run-$RANDOM TYPEID=$TYPEID KEY=$KEY sample_rss wrk -t2 -c$CONNS -d"${DURATION}s" --latency -s bench/lua/post_group.lua \
      http://127.0.0.1:$PORT | sed 's/^/POST /'
  done
  echo "OUTBOX_PENDING_AT_END $(psql $PG -d identity_bench -Atc 'SELECT count(*) FROM outbox WHERE delivered_at IS NULL')"
  echo "OUTBOX_TOTAL $(psql $PG -d identity_bench -Atc 'SELECT count(*) FROM outbox')"
} | tee "$OUT"
rm -f "$IDS_FILE"
python3 bench/summarize.py "$OUT"
