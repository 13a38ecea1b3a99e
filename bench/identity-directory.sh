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
# 10,000 users, 10 permissions, 30,000 assignments, so list plans are those of a populated directory.
psql $PG -d identity_bench -qc "INSERT INTO users (oid, email) SELECT gen_random_uuid(), 'u' || g || '@bench.test' FROM generate_series(1, 10000) g"
psql $PG -d identity_bench -qc "INSERT INTO permissions (id, name) SELECT gen_random_uuid(), 'perm-' || g FROM generate_series(1, 10) g"
psql $PG -d identity_bench -qc "INSERT INTO group_user_permissions (userid, groupid, permissionid)
  SELECT u.oid, g.id, p.id FROM (SELECT oid, row_number() OVER () rn FROM users) u
  JOIN (SELECT id, row_number() OVER () rn FROM groups) g ON g.rn = u.rn
  CROSS JOIN (SELECT id FROM permissions LIMIT 3) p"
IDS_FILE=$(mktemp)
psql $PG -d identity_bench -Atc "SELECT id FROM groups ORDER BY random() LIMIT 2000" >"$IDS_FILE"
WRITE_SQL=$(mktemp --suffix=.sql)
cat >"$WRITE_SQL" <<SQL
BEGIN;
INSERT INTO groups (id, name, typeid, localid) VALUES (gen_random_uuid(), 'raw-' || gen_random_uuid(), $TYPEID, 'L1');
INSERT INTO outbox (event_id, event_type, subject, envelope) VALUES (gen_random_uuid(), 'bench.raw', 'x', '{"data":{}}');
COMMIT;
SQL
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
    # Write floor: the same statements POST /groups commits (group row + outbox row, NOTIFY trigger), raw SQL.
    (cd /tmp && pgbench $PG -n -M prepared -c $CONNS -j 2 -T "$DURATION" -f "$WRITE_SQL" identity_bench 2>&1) |
      grep -E '^tps' | sed 's/^/PGWRITE /'
    IDS_FILE=$IDS_FILE KEY=$KEY sample_rss wrk -t2 -c$CONNS -d"${DURATION}s" --latency -s bench/lua/get_group.lua \
      http://127.0.0.1:$PORT | sed 's/^/GET /'
    RUN=$run-$RANDOM TYPEID=$TYPEID KEY=$KEY sample_rss wrk -t2 -c$CONNS -d"${DURATION}s" --latency -s bench/lua/post_group.lua \
      http://127.0.0.1:$PORT | sed 's/^/POST /'
  done
  echo "== plans of the list queries at 10k groups (each must be an index scan)"
  for q in "SELECT * FROM groups ORDER BY id LIMIT 100 OFFSET 0" \
           "SELECT * FROM groups WHERE typeid = $TYPEID ORDER BY id LIMIT 100" \
           "SELECT * FROM groups WHERE typeid = $TYPEID AND localid = 'L7' ORDER BY id LIMIT 100" \
           "SELECT * FROM groups WHERE localid = 'L7' ORDER BY id LIMIT 100" \
           "SELECT * FROM groups WHERE id IN (SELECT groupid FROM group_user_permissions WHERE userid = '00000000-0000-0000-0000-000000000001') ORDER BY id" \
           "SELECT * FROM users WHERE oid IN (SELECT userid FROM group_user_permissions WHERE groupid = '00000000-0000-0000-0000-000000000001') ORDER BY oid"; do
    echo "PLAN $q"
    psql $PG -d identity_bench -Atc "ANALYZE; EXPLAIN (COSTS OFF) $q" | sed 's/^/PLAN   /'
  done
  echo "OUTBOX_PENDING_AT_END $(psql $PG -d identity_bench -Atc 'SELECT count(*) FROM outbox WHERE delivered_at IS NULL')"
  echo "OUTBOX_TOTAL $(psql $PG -d identity_bench -Atc 'SELECT count(*) FROM outbox')"
} | tee "$OUT"
rm -f "$IDS_FILE" "$WRITE_SQL"
python3 bench/summarize.py "$OUT"
