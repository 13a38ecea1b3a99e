#!/usr/bin/env bash
# Benchmark: the B2C API connectors at 100,000 users and 10,000 groups (3 permissions in each of 3 groups per
# user), CONNS connections (wrk): /b2c/token for known users (the common sign-in), /b2c/register for new
# addresses, /b2c/token creating new users just in time. Repeats RUNS times; prints p99 medians. Not a test: run
# it by hand and record the result in docs/PERFORMANCE.md.
#
#   bench/identity-connectors.sh [DURATION_SECS=15] [RUNS=3] [CONNS=8]
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-15}
RUNS=${2:-3}
CONNS=${3:-8}
PORT=18182
KEY=bench-key
PG="-h 127.0.0.1 -U postgres"
DB=identity_bench_connectors
OUT=bench/results/identity-connectors-$(date -u +%Y%m%dT%H%M%SZ).txt
mkdir -p bench/results
command -v wrk >/dev/null || { echo "wrk is required: apt-get install wrk" >&2; exit 1; }
deploy/local/ensure-infra.sh

cargo build --release --locked -p identity >&2
BIN="${CARGO_TARGET_DIR:-target}/release/identity"

psql $PG -d postgres -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)"
IDENTITY__AUTH__FUNCTION_KEYS=$KEY IDENTITY__LOG__LEVEL=warn IDENTITY__BUS__EXCHANGE=bench.identity.connectors \
DATABASE_URL=postgres://postgres@127.0.0.1:5432/$DB BIND_ADDR=127.0.0.1:$PORT "$BIN" >/tmp/identity-connectors-bench.log 2>&1 &
PID=$!
USERS_FILE=$(mktemp)
trap 'kill $PID 2>/dev/null || true; wait $PID 2>/dev/null || true; rm -f "$USERS_FILE"' EXIT
for _ in $(seq 1 60); do curl -fsS http://127.0.0.1:$PORT/readyz >/dev/null 2>&1 && break; sleep 0.5; done

# Seed directly (the connectors are measured, not the seeding): 10,000 groups, 100,000 users, 20 permissions,
# each user holding 3 permissions in each of 3 groups (900,000 assignments).
psql $PG -d $DB -qc "INSERT INTO grouptypes (name) VALUES ('CUSTOMER')"
psql $PG -d $DB -qc "INSERT INTO groups (id, name, typeid, localid)
  SELECT gen_random_uuid(), 'seed-' || g, (SELECT id FROM grouptypes LIMIT 1), 'L' || (g % 1000) FROM generate_series(1, 10000) g"
psql $PG -d $DB -qc "INSERT INTO users (oid, email, firstname, lastname, country)
  SELECT gen_random_uuid(), 'u' || g || '@bench.test', 'First' || g, 'Last' || g, 'US' FROM generate_series(1, 100000) g"
psql $PG -d $DB -qc "INSERT INTO permissions (id, name) SELECT gen_random_uuid(), 'perm-' || g FROM generate_series(1, 20) g"
psql $PG -d $DB -qc "INSERT INTO group_user_permissions (userid, groupid, permissionid)
  SELECT u.oid, g.id, p.id
  FROM (SELECT oid, row_number() OVER () rn FROM users) u
  CROSS JOIN generate_series(0, 2) k
  JOIN (SELECT id, row_number() OVER () - 1 rn FROM groups) g ON g.rn = (u.rn * 7 + k * 3331) % 10000
  CROSS JOIN LATERAL (SELECT id FROM permissions ORDER BY name OFFSET (u.rn + k) % 17 LIMIT 3) p"
psql $PG -d $DB -qc "ANALYZE"
psql $PG -d $DB -Atc "SELECT oid || '|' || email FROM users ORDER BY random() LIMIT 20000" >"$USERS_FILE"

{
  echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -r); duration ${DURATION}s x $RUNS runs, $CONNS connections"
  echo "USERS $(psql $PG -d $DB -Atc 'SELECT count(*) FROM users') GROUPS $(psql $PG -d $DB -Atc 'SELECT count(*) FROM groups') ASSIGNMENTS $(psql $PG -d $DB -Atc 'SELECT count(*) FROM group_user_permissions')"
  for run in $(seq 1 "$RUNS"); do
    echo "== run $run"
    USERS_FILE=$USERS_FILE KEY=$KEY wrk -t2 -c"$CONNS" -d"${DURATION}s" --latency -s bench/lua/b2c_token.lua \
      http://127.0.0.1:$PORT | sed 's/^/TOKEN /'
    STEP=register RUN=$run$RANDOM KEY=$KEY wrk -t2 -c"$CONNS" -d"${DURATION}s" --latency -s bench/lua/b2c_new.lua \
      http://127.0.0.1:$PORT | sed 's/^/REGISTER /'
    STEP=token RUN=$run$RANDOM KEY=$KEY wrk -t2 -c"$CONNS" -d"${DURATION}s" --latency -s bench/lua/b2c_new.lua \
      http://127.0.0.1:$PORT | sed 's/^/JIT /'
  done
  echo "== plans of the connectors' queries (each must be an index scan)"
  OID=$(head -1 "$USERS_FILE" | cut -d'|' -f1)
  for q in "SELECT oid FROM users WHERE lower(email) = lower('u7@bench.test') LIMIT 1" \
           "SELECT * FROM users WHERE oid = '$OID' FOR UPDATE" \
           "SELECT gup.groupid, p.name FROM group_user_permissions gup JOIN permissions p ON p.id = gup.permissionid WHERE gup.userid = '$OID' ORDER BY gup.groupid, p.name"; do
    echo "PLAN $q"
    psql $PG -d $DB -Atc "EXPLAIN (COSTS OFF) $q" | sed 's/^/PLAN   /'
  done
  echo "USERS_AT_END $(psql $PG -d $DB -Atc 'SELECT count(*) FROM users')"
  # A block page is a 200 too: count the logged connector failures.
  echo "CONNECTOR_FAILURES_LOGGED $(grep -c 'connector failed' /tmp/identity-connectors-bench.log || true)"
} | tee "$OUT"
python3 - "$OUT" <<'PY'
import re, statistics, sys
text = open(sys.argv[1]).read()
def ms(v):
    n, u = re.match(r"([\d.]+)(us|ms|s)", v).groups()
    return float(n) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[u]
print("| connector workload | req/s (median) | p50 ms (median) | p99 ms (median) | p99 ms per run | non-2xx |")
print("|---|---|---|---|---|---|")
for kind, label in (("TOKEN", "/b2c/token, known user (JIT check + claims)"),
                    ("REGISTER", "/b2c/register, new address"),
                    ("JIT", "/b2c/token, new user created (+ outbox event)")):
    rps = [float(x) for x in re.findall(rf"^{kind} Requests/sec:\s+([\d.]+)", text, re.M)]
    p50 = [ms(x) for x in re.findall(rf"^{kind}\s+50%\s+(\S+)", text, re.M)]
    p99 = [ms(x) for x in re.findall(rf"^{kind}\s+99%\s+(\S+)", text, re.M)]
    bad = sum(int(x) for x in re.findall(rf"^{kind}\s+Non-2xx or 3xx responses: (\d+)", text, re.M))
    med = statistics.median
    print(f"| {label} | {med(rps):.0f} | {med(p50):.2f} | {med(p99):.2f} | {', '.join(f'{x:.2f}' for x in p99)} | {bad} |")
plans = re.findall(r"^PLAN   (.*)$", text, re.M)
print(f"\nquery plans: {len(plans)} lines, sequential scans: {sum('Seq Scan' in p for p in plans)}")
PY
