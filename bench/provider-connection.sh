#!/usr/bin/env bash
# Benchmark: provider-connection connection create (POST /admin/tenants/{tenant}/provider-connections) and
# verification start (POST /admin/provider-connections/{id}/verification) at 16 connections (wrk), beside raw
# PostgreSQL (pgbench -S -M prepared, 16 clients over TCP) in the same run; then the verification runs one worker
# completes per second against a local fake of Microsoft (bench/fake_microsoft.py: token endpoint + Graph, reached
# through microsoft.authority / microsoft.graph_base_url); resident memory idle and loaded. Repeats RUNS times and
# prints medians. Not a test: run it by hand, record in docs/PERFORMANCE.md.
#
#   bench/provider-connection.sh [DURATION_SECS=15] [RUNS=3] [WORKER_RUNS=2000]
#
# The API phase runs with the in-process worker disabled (verification.worker_enabled=false), so the start is
# measured alone and every `started` run stays queued; between repetitions the script fails the queued runs by
# SQL, so each repetition starts on idle connections. The worker phase then starts the same binary with its worker
# enabled, queues WORKER_RUNS runs (one per tenant) by SQL and times them from the first claim to the last finish.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-15}
RUNS=${2:-3}
WORKER_RUNS=${3:-2000}
CONNS=16
PORT=18184
WORKER_PORT=18185
FAKE_PORT=18190
DB=provider_connection_bench
WS=bench-ws
VERIFY_TENANTS=20000
TENANTS_PER_TOKEN=50
PG="-h 127.0.0.1 -U postgres"
OUT=bench/results/provider-connection-$(date -u +%Y%m%dT%H%M%SZ).txt
mkdir -p bench/results
command -v wrk >/dev/null || { echo "wrk is required: apt-get install wrk" >&2; exit 1; }
deploy/local/ensure-infra.sh

cargo build --release --locked -p provider-connection -p security >&2
BIN="${CARGO_TARGET_DIR:-target}/release"

psql $PG -d postgres -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)"
psql $PG -d postgres -qc "DROP DATABASE IF EXISTS pgbench_bench WITH (FORCE)"
psql $PG -d postgres -qc "CREATE DATABASE pgbench_bench"
pgbench $PG -i -s 10 -q pgbench_bench >/dev/null 2>&1

WORK=$(mktemp -d)
PID=
FPID=
cleanup() { # the worker instance is started inside the measured block (a subshell): its pid is in a file
  for p in $PID $FPID $(cat "$WORK/worker.pid" 2>/dev/null); do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

python3 bench/fake_microsoft.py $FAKE_PORT >/tmp/fake-microsoft-bench.log 2>&1 &
FPID=$!

SECRET=$(head -c 48 /dev/urandom | base64 | tr -d '\n/+=' | head -c 48)
ISS=https://tenantpilot.local
AUD=provider-connection
cat >"$WORK/config.toml" <<TOML
[database]
url = "postgres://postgres@127.0.0.1:5432/$DB"
[bus]
exchange = "bench.provider-connection"
[log]
level = "warn"
[auth]
issuer = "$ISS"
audience = "$AUD"
keys = [{ kid = "bench-1", alg = "HS256", secret = "$SECRET" }]
[platform]
client_id = "6f1b2c3d-0000-4000-8000-00000000be4c"
client_secret = "$(head -c 32 /dev/urandom | base64 | tr -d '\n/+=')"
[consent]
state_secret = "$(head -c 48 /dev/urandom | base64 | tr -d '\n/+=' | head -c 48)"
[secrets]
active_key_id = "bench-1"
[secrets.keys]
bench-1 = "$(head -c 32 /dev/urandom | base64 | tr -d '\n')"
[microsoft]
authority = "http://127.0.0.1:$FAKE_PORT"
graph_base_url = "http://127.0.0.1:$FAKE_PORT/v1.0"
TOML
mint() { # tenants-json capabilities-json
  "$BIN/mint-jwt" --secret "$SECRET" --kid bench-1 --iss "$ISS" --aud "$AUD" --ttl-secs 7200 \
    --claims "{\"sub\":\"bench-member\",\"workspace_id\":\"$WS\",\"tenants\":$1,\"capabilities\":$2}"
}

start_service() { # port worker_enabled log -> pid in $STARTED
  PROVIDER_CONNECTION__VERIFICATION__WORKER_ENABLED=$2 BIND_ADDR=127.0.0.1:$1 \
    "$BIN/provider-connection" --config "$WORK/config.toml" >"$3" 2>&1 &
  STARTED=$!
  for _ in $(seq 1 60); do curl -fsS http://127.0.0.1:$1/readyz >/dev/null 2>&1 && return 0; sleep 0.5; done
  echo "provider-connection did not become ready on $1" >&2; tail -20 "$3" >&2; exit 1
}
start_service $PORT false /tmp/provider-connection-bench.log
PID=$STARTED
for _ in $(seq 1 20); do curl -fsS http://127.0.0.1:$FAKE_PORT/stats >/dev/null 2>&1 && break; sleep 0.25; done

# Create: one member reaching 64 tenants of the workspace, creating platform connections round-robin over them.
CREATE_TENANTS=$(seq -f 'ct-%02g' 1 64 | paste -sd, -)
CREATE_TOKEN=$(mint "$(seq -f '"ct-%02g"' 1 64 | paste -sd, - | sed 's/^/[/; s/$/]/')" \
  '["provider_connections.view","provider_connections.manage"]')

# Verification: $VERIFY_TENANTS tenants with one consented platform connection each (seeded by SQL: the start
# is measured, not the seeding), reached by tokens of $TENANTS_PER_TOKEN tenants each.
psql $PG -d $DB -qc "INSERT INTO provider_connections (workspace_id, tenant, provider, entra_tenant_id, display_name,
    is_default, connection_type, consent_status, health_status)
  SELECT '$WS', 'vt-' || lpad(g::text, 5, '0'), 'microsoft', 'contoso' || g || '.onmicrosoft.com', 'Tenant ' || g,
    true, 'platform', 'granted', 'Not verified yet' FROM generate_series(1, $VERIFY_TENANTS) g"
TOKENS=$((VERIFY_TENANTS / TENANTS_PER_TOKEN))
: >"$WORK/tokens.txt"
for t in $(seq 0 $((TOKENS - 1))); do
  first=$((t * TENANTS_PER_TOKEN + 1)); last=$(((t + 1) * TENANTS_PER_TOKEN))
  mint "[$(seq -f '"vt-%05g"' $first $last | paste -sd, -)]" \
    '["provider_connections.view","provider_connections.run_verification"]' >>"$WORK/tokens.txt"
done
psql $PG -d $DB -Atc "SELECT ((substr(tenant, 4)::int - 1) / $TENANTS_PER_TOKEN + 1) || '|' || id
  FROM provider_connections WHERE tenant LIKE 'vt-%' ORDER BY id" >"$WORK/targets.txt"
RESET_SQL="UPDATE verification_runs SET status = 'failed', outcome = 'error', detail = 'bench reset',
  finished_at = now() WHERE status IN ('queued', 'running')"

# Checks before the load: a create is 201, a start on a consented connection is 202 `started`.
CREATE_PROBE=$(curl -sS -o /dev/null -w '%{http_code}' -H "authorization: Bearer $CREATE_TOKEN" -H 'content-type: application/json' \
  -d '{"provider":"microsoft","entra_tenant_id":"11111111-2222-3333-4444-555555555555","display_name":"probe"}' \
  http://127.0.0.1:$PORT/admin/tenants/ct-01/provider-connections)
FIRST=$(head -1 "$WORK/targets.txt")
VERIFY_PROBE=$(curl -sS -X POST -H "authorization: Bearer $(sed -n "${FIRST%|*}p" "$WORK/tokens.txt")" \
  http://127.0.0.1:$PORT/admin/provider-connections/${FIRST#*|}/verification)
echo "$VERIFY_PROBE" | grep -q '"started"' && [ "$CREATE_PROBE" = 201 ] ||
  { echo "probes failed: create $CREATE_PROBE, verification $VERIFY_PROBE" >&2; tail -20 /tmp/provider-connection-bench.log >&2; exit 1; }
psql $PG -d $DB -qc "$RESET_SQL"
sleep 2
RSS_IDLE=$(ps -o rss= -p $PID | tr -d ' ')

sample_rss() { # prints max RSS (kB) of $RSS_PID while the command in "$@" runs
  local max=0 r
  "$@" &
  local job=$!
  while kill -0 $job 2>/dev/null; do
    r=$(ps -o rss= -p $RSS_PID | tr -d ' '); [ "${r:-0}" -gt "$max" ] && max=$r; sleep 0.5
  done
  wait $job
  echo "RSS_MAX $max"
}
audit_max() { psql $PG -d $DB -Atc "SELECT coalesce(max(id), 0) FROM audit_records"; }
audit_since() { # action from-id
  psql $PG -d $DB -Atc "SELECT k || '=' || count(*) FROM (SELECT outcome || ':' || coalesce(reason, '-') AS k
    FROM audit_records WHERE action = '$1' AND id > $2) x GROUP BY k ORDER BY k" | paste -sd' ' -
}

{
  echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -r); duration ${DURATION}s x $RUNS runs, $CONNS connections"
  echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "SEEDED verification tenants $VERIFY_TENANTS (one consented platform connection each), $TOKENS tokens of $TENANTS_PER_TOKEN tenants; create over 64 tenants"
  echo "PROBES create $CREATE_PROBE verification $VERIFY_PROBE"
  echo "RSS_IDLE $RSS_IDLE"
  RSS_PID=$PID
  for run in $(seq 1 "$RUNS"); do
    echo "== run $run"
    rm -f /tmp/pgbench_log.*
    (cd /tmp && pgbench $PG -S -M prepared -c $CONNS -j 2 -T "$DURATION" -l --log-prefix=/tmp/pgbench_log pgbench_bench 2>&1) |
      grep -E '^tps|latency average' | sed 's/^/PGBENCH /'
    echo "PGBENCH_P99_MS $(cat /tmp/pgbench_log.* | awk '{print $3}' | sort -n | awk '{a[NR]=$1} END {print a[int(NR*0.99)]/1000}')"
    A=$(audit_max)
    RUN=$run$RANDOM TOKEN=$CREATE_TOKEN TENANTS=$CREATE_TENANTS sample_rss wrk -t2 -c$CONNS -d"${DURATION}s" --latency \
      -s bench/lua/create_connection.lua http://127.0.0.1:$PORT | sed 's/^/CREATE /'
    echo "CREATE_AUDIT $(audit_since connection.create "$A")"
    psql $PG -d $DB -qc "$RESET_SQL"
    A=$(audit_max)
    THREADS=2 TOKENS_FILE="$WORK/tokens.txt" TARGETS_FILE="$WORK/targets.txt" sample_rss wrk -t2 -c$CONNS -d"${DURATION}s" \
      --latency -s bench/lua/start_verification.lua http://127.0.0.1:$PORT | sed 's/^/VERIFY /'
    echo "VERIFY_AUDIT $(audit_since verification.start "$A")"
    echo "VERIFY_RUNS_QUEUED $(psql $PG -d $DB -Atc "SELECT count(*) FROM verification_runs WHERE status = 'queued'")"
    psql $PG -d $DB -qc "$RESET_SQL"
  done
  echo "CONNECTIONS_AT_END $(psql $PG -d $DB -Atc 'SELECT count(*) FROM provider_connections')"
  echo "DEFAULTS_PER_CREATE_TENANT_MAX $(psql $PG -d $DB -Atc "SELECT max(c) FROM (SELECT count(*) c FROM provider_connections WHERE tenant LIKE 'ct-%' AND is_default GROUP BY tenant) x")"
  echo "OUTBOX_PENDING_AFTER_API $(psql $PG -d $DB -Atc 'SELECT count(*) FROM outbox WHERE delivered_at IS NULL')"
  echo "API_LOG_ERRORS $(grep -ci 'error' /tmp/provider-connection-bench.log || true)"
  kill $PID; wait $PID 2>/dev/null || true; PID=

  echo "== worker: one process, worker enabled, $WORKER_RUNS queued runs per repetition against the fake"
  start_service $WORKER_PORT true /tmp/provider-connection-worker-bench.log
  WPID=$STARTED
  echo $WPID >"$WORK/worker.pid"
  RSS_PID=$WPID
  sleep 2
  echo "RSS_IDLE_worker $(ps -o rss= -p $WPID | tr -d ' ')"
  for run in $(seq 1 "$RUNS"); do
    FROM=$(psql $PG -d $DB -Atc "SELECT coalesce(max(id), 0) FROM verification_runs")
    # Poll the queue (0.2 s) and sample RSS until every run of this repetition is finished.
    drain() {
      for _ in $(seq 1 1500); do
        left=$(psql $PG -d $DB -Atc "SELECT count(*) FROM verification_runs WHERE id > $FROM AND status IN ('queued', 'running')")
        [ "$left" = 0 ] && return 0
        sleep 0.2
      done
      echo "WORKER_TIMEOUT left $left"
    }
    psql $PG -d $DB -qc "INSERT INTO verification_runs (connection_id, workspace_id, tenant, status, requested_by)
      SELECT id, workspace_id, tenant, 'queued', 'bench' FROM provider_connections WHERE tenant LIKE 'vt-%'
      ORDER BY id LIMIT $WORKER_RUNS"
    sample_rss drain | sed 's/^/WORKER /'
    psql $PG -d $DB -Atc "SELECT 'WORKER runs ' || count(*) || ' seconds ' ||
        round(extract(epoch FROM max(finished_at) - min(started_at))::numeric, 3) || ' per_second ' ||
        round((count(*) / extract(epoch FROM max(finished_at) - min(started_at)))::numeric, 1) ||
        ' claim_to_finish_avg_ms ' || round(avg(extract(epoch FROM finished_at - started_at) * 1000)::numeric, 2)
      FROM verification_runs WHERE id > $FROM"
    echo "WORKER outcomes $(psql $PG -d $DB -Atc "SELECT k || '=' || count(*) FROM (SELECT status || '/' || coalesce(outcome, '-') AS k FROM verification_runs WHERE id > $FROM) x GROUP BY k ORDER BY k" | paste -sd' ' -)"
  done
  echo "FAKE_MICROSOFT_REQUESTS $(curl -fsS http://127.0.0.1:$FAKE_PORT/stats)"
  sleep 2
  echo "OUTBOX_PENDING_AT_END $(psql $PG -d $DB -Atc 'SELECT count(*) FROM outbox WHERE delivered_at IS NULL')"
  echo "OUTBOX_TOTAL $(psql $PG -d $DB -Atc 'SELECT count(*) FROM outbox')"
  echo "WORKER_LOG_ERRORS $(grep -ci 'error' /tmp/provider-connection-worker-bench.log || true)"
  kill $WPID; wait $WPID 2>/dev/null || true
} | tee "$OUT"
python3 bench/summarize_kinds.py "$OUT" \
  "CREATE=POST .../provider-connections (platform, default; 64 tenants round-robin)" \
  "VERIFY=POST .../verification (a fresh consented connection each)"
python3 - "$OUT" <<'PY'
import re, statistics, sys
text = open(sys.argv[1]).read()
rates = [float(x) for x in re.findall(r"^WORKER runs \d+ seconds [\d.]+ per_second ([\d.]+)", text, re.M)]
rss = [int(x) for x in re.findall(r"^WORKER RSS_MAX (\d+)", text, re.M)]
if rates:
    print(f"worker: {statistics.median(rates):.1f} runs/s (median; runs: {' / '.join(f'{r:.1f}' for r in rates)}), "
          f"peak RSS {max(rss) / 1024:.1f} MiB")
PY
