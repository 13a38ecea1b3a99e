#!/usr/bin/env bash
# The benchmark suite (issue 10): one command that seeds the three services' databases at scale, starts the
# release builds, drives the main endpoints with real HTTP load generators (wrk at fixed concurrency, oha at a
# fixed rate with coordinated-omission correction) and measures the baselines in the same run, interleaved
# (pgbench -S, pgbench -f of each endpoint's own SQL, the write SQL with and without a NOTIFY trigger, a raw
# lapin publisher with confirms), then reports every measure against the targets P1-P11.
#
#   bench/suite.sh [--smoke] [--rounds N] [--duration S] [--only P1,P2,...]
#
#   --smoke      tiny data, 1 round of 1 s per measure at 16 connections only: proves every measure still
#                produces a number (CI); the report goes to the results directory only, and the run fails if any
#                measure has no number.
#   --rounds N   rounds of the interleaved measures (default 3; the report quotes median, min and max).
#   --duration S seconds per load run (default 8).
#   --only LIST  measure only these targets (comma-separated ids P1..P11, and POOL: the request pool's size swept;
#                default all).
#   --build-only install the tools (wrk, the pinned oha) and build the release binaries, then stop (CI bounds
#                this step apart from the measured one).
#   --profile E  instead of the measures: where endpoint E's service spends its time under wrk at 16 connections
#                (perf cpu-clock samples with DWARF call graphs): a top-symbols table and a flamegraph (the pinned
#                inferno) in the results directory. E is one of the endpoint names below (get_group, post_group...).
#
# Everything runs on the suite's own PostgreSQL 15 cluster (bench/lib/common.sh: port 18240, pg_stat_statements
# preloaded, data under /var/tmp/identity-suite-bench), the machine's RabbitMQ (exchanges of its own, deleted at
# the end) and ports 182xx, so nothing collides with a running up.sh. Results: bench/results/suite-<UTC stamp>/
# (results.jsonl, raw tool outputs, report.md, charts); a full run (no --smoke, no --only) also regenerates
# docs/PERFORMANCE.md's suite section and docs/perf/*.svg. Seeded databases (one set per size) are kept and
# reused while their marker matches the sizes and the migrations.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SMOKE=0 ROUNDS="" DURATION="" ONLY="" BUILD_ONLY=0 PROFILE=""
while (($#)); do
  case $1 in
    --smoke) SMOKE=1 ;;
    --rounds) ROUNDS=$2; shift ;;
    --duration) DURATION=$2; shift ;;
    --only) ONLY=$2; shift ;;
    --build-only) BUILD_ONLY=1 ;;
    --profile) PROFILE=$2; shift ;;
    -h | --help) sed -n '2,24p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
COMMAND="bench/suite.sh${SMOKE:+}$( ((SMOKE)) && echo ' --smoke' || true)${ROUNDS:+ --rounds $ROUNDS}${DURATION:+ --duration $DURATION}${ONLY:+ --only $ONLY}"
want() { [[ -z "$ONLY" || ",$ONLY," == *",$1,"* ]]; }

# shellcheck source=lib/common.sh
source bench/lib/common.sh
# shellcheck source=../deploy/local/lib/packages.sh
source deploy/local/lib/packages.sh
# shellcheck source=../deploy/local/lib/cargo-tool.sh
source deploy/local/lib/cargo-tool.sh

if ((SMOKE)); then
  ROUNDS=${ROUNDS:-1} DURATION=${DURATION:-1}
  USERS=1000 N_GROUPS=100 TYPES=5 PERMS=20 PER_USER=5 APPS=20 IDPS=5 CONNECTIONS=640 TENANTS=64
  CONCS="16" EVENTS=2000 STARTS=2 IDLE_SECS=2 SIZES=smoke # one of the target concurrencies: proves each measure
  POOLS="2 10"
else
  ROUNDS=${ROUNDS:-3} DURATION=${DURATION:-8}
  USERS=1000000 N_GROUPS=100000 TYPES=50 PERMS=1000 PER_USER=5 APPS=10000 IDPS=5 CONNECTIONS=100000 TENANTS=10000
  CONCS="1 4 16 64" EVENTS=20000 STARTS=7 IDLE_SECS=30 SIZES=full
  POOLS="2 4 6 10 16 32"
fi
TARGET_CONCS="16 64" # the issue's targets are at 16 and 64 connections

STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT=bench/results/suite-$STAMP$( ((SMOKE)) && echo -smoke || true)
RAW=$OUT/raw
RES=$OUT/results.jsonl
mkdir -p "$RAW"
rec() { python3 bench/suite/record.py "$RES" "$@" >/dev/null; }
say() { echo "[$(date -u +%T)] $*" >&2; }
T0=$(date +%s)

# ---- tools ----
deploy/local/ensure-infra.sh >/dev/null
have_or_install wrk "wrk (HTTP load at fixed concurrency)" wrk || exit 1
have_or_install pgbench "pgbench (database baselines)" postgresql-client || exit 1
OHA=$(cargo_tool oha oha 1.16.0 --no-default-features --features rustls)
say "building the release binaries"
# Exactly the set and profile deploy/local/up.sh builds by default (after `up.sh`, nothing is rebuilt): the
# services, mint-jwt, and events-cli's binaries, among them the raw lapin publisher. CI's up.sh runs the debug
# build, so CI's first smoke run builds these once (about 16 minutes cold here), later runs only what changed.
cargo build --release --locked --bins -p identity -p idp-management -p provider-connection -p security \
  -p events-cli >&2
BIN="${CARGO_TARGET_DIR:-target}/release"
RAW_PUBLISH="$BIN/raw-publish"
((BUILD_ONLY)) && { rm -rf "$OUT"; echo "$OHA"; exit 0; }

# ---- the suite's PostgreSQL cluster (stopped at the end if this run started it; its data stays) ----
PG_WAS_UP=0
bench_pg_running && PG_WAS_UP=1
bench_pg_up
P() { psql -X -v ON_ERROR_STOP=1 -qAt "$@"; }
P -d postgres -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements"
rec kind=machine cores="$(nproc)" ram_gib="$(free -g | awk '/Mem:/{print $2}')" kernel="$(uname -r)" \
  postgres="$(P -d postgres -c 'SHOW server_version')" \
  rabbitmq="$(rabbitmqctl -q version 2>/dev/null || echo unknown)" \
  load_before="$(cut -d' ' -f1-3 /proc/loadavg)" command="$COMMAND" sizes=$SIZES rounds="$ROUNDS" \
  duration="$DURATION" commit="$(git rev-parse --short HEAD)" started="$STAMP" only="$ONLY"

# ---- configuration: ports, exchanges, keys (as the per-service bench scripts use them) ----
# A smoke run (CI) listens on ports of its own, so it can run while a full run measures on the same machine.
P0=$( ((SMOKE)) && echo 18210 || echo 18200)
declare -A PORT=([identity]=$((P0 + 1)) [idp-management]=$((P0 + 2)) [provider-connection]=$((P0 + 3)))
FAKE_PORT=$((P0 + 9))
# One set of databases per size, so a smoke run never drops the full-size seed (and the reverse).
declare -A DB=([identity]=suite_identity_$SIZES [idp-management]=suite_idp_management_$SIZES
  [provider-connection]=suite_provider_connection_$SIZES)
EXB="bench-suite-$$"
KEY=bench-key
WORK=$(mktemp -d)
SECRET=$(head -c 48 /dev/urandom | base64 | tr -d '\n/+=' | head -c 48)
APP=app-00000
WS=bench-ws
dburl() { echo "postgres://postgres@127.0.0.1:$BENCH_PGPORT/${DB[$1]}"; }
cat >"$WORK/idp-management.toml" <<TOML
[database]
url = "$(dburl idp-management)"
[bus]
exchange = "$EXB.idp-management"
[log]
level = "warn"
[registry]
applications = ["$APP"]
[jwt]
issuer = "iam"
audience = "idp-management"
keys = [{ kid = "bench-1", alg = "HS256", secret = "$SECRET" }]
[secrets]
active_key_id = "bench-1"
[secrets.keys]
bench-1 = "$(head -c 32 /dev/urandom | base64 | tr -d '\n')"
TOML
cat >"$WORK/provider-connection.toml" <<TOML
[database]
url = "$(dburl provider-connection)"
[bus]
exchange = "$EXB.provider-connection"
[log]
level = "warn"
[auth]
issuer = "https://tenantpilot.local"
audience = "provider-connection"
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
# svc_env NAME: the environment a service runs with (its own database, port, exchange; migrations already done).
svc_env() {
  case $1 in
    identity) echo "IDENTITY__AUTH__FUNCTION_KEYS=$KEY IDENTITY__LOG__LEVEL=warn IDENTITY__BUS__EXCHANGE=$EXB.identity IDENTITY__DATABASE__AUTO_MIGRATE=false" ;;
    idp-management) echo "IDP_MANAGEMENT__DATABASE__AUTO_MIGRATE=false" ;;
    provider-connection) echo "PROVIDER_CONNECTION__DATABASE__AUTO_MIGRATE=false" ;;
  esac
}
svc_args() { [[ $1 == identity ]] || echo "--config $WORK/$1.toml"; }
declare -A PID=()
# start_svc NAME [NAME=VALUE...]: starts NAME's release binary in the background; sets PID[NAME].
start_svc() {
  local s=$1
  shift
  port_free "${PORT[$s]}" || { echo "port ${PORT[$s]} is taken; stop what listens there" >&2; exit 1; }
  # shellcheck disable=SC2046
  env $(svc_env "$s") DATABASE_URL="$(dburl "$s")" BIND_ADDR="127.0.0.1:${PORT[$s]}" "$@" \
    "$BIN/$s" $(svc_args "$s") serve >>"$RAW/$s.log" 2>&1 &
  PID[$s]=$!
}
stop_svc() {
  [[ -n "${PID[$1]:-}" ]] || return 0
  kill -TERM "${PID[$1]}" 2>/dev/null || true
  wait "${PID[$1]}" 2>/dev/null || true
  PID[$1]=""
}
FPID=""
cleanup() {
  for s in "${!PID[@]}"; do stop_svc "$s"; done
  [[ -n "$FPID" ]] && { kill "$FPID" 2>/dev/null || true; wait "$FPID" 2>/dev/null || true; }
  for s in identity idp-management provider-connection relay; do
    rabbitmqctl -q delete_queue "$EXB.$s.stream" >/dev/null 2>&1 || true
    rabbitmqadmin -q delete exchange name="$EXB.$s" >/dev/null 2>&1 || true
  done
  rm -rf "$WORK"
  # Stopped when this run started it and no other run (a smoke run beside a full one) still uses it.
  if ((PG_WAS_UP == 0)) && [[ "$(P -d postgres -c "SELECT count(*) FROM pg_stat_activity
      WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()" 2>/dev/null)" == 0 ]]; then
    bench_pg_down
  fi
}
trap cleanup EXIT
mint() { # audience claims-json
  "$BIN/mint-jwt" --secret "$SECRET" --kid bench-1 --iss "$1" --aud "$2" --ttl-secs 7200 --claims "$3"
}

# ---- seeding (reused while the marker matches) ----
migrations() { P -d "${DB[$1]}" -c "SELECT string_agg(version, ',' ORDER BY version) FROM __diesel_schema_migrations"; }
marker_of() { P -d "${DB[$1]}" -c "SELECT value FROM bench_seed_marker" 2>/dev/null || true; }
# prepare NAME WANT: creates and migrates NAME's database with the binary itself unless its marker says WANT.
prepare() {
  local s=$1 want=$2 t0 t1 have
  if [[ -n "$(P -d postgres -c "SELECT 1 FROM pg_database WHERE datname = '${DB[$s]}'")" ]]; then
    have=$(marker_of "$s")
    if [[ "$have" == "$want|$(migrations "$s")" ]]; then
      # shellcheck disable=SC2046
      env $(svc_env "$s") DATABASE_URL="$(dburl "$s")" "$BIN/$s" $(svc_args "$s") migrate >>"$RAW/$s.migrate.log" 2>&1 ||
        { echo "$s migrate failed; see $RAW/$s.migrate.log" >&2; exit 1; }
      if [[ "$(marker_of "$s")" == "$want|$(migrations "$s")" ]]; then
        say "$s: reusing the seeded database ${DB[$s]} (marker: $want)"
        rec kind=seed service="$s" reused=true seconds=0 sizes="$want"
        return 1
      fi
    fi
    P -d postgres -c "DROP DATABASE ${DB[$s]} WITH (FORCE)"
  fi
  P -d postgres -c "CREATE DATABASE ${DB[$s]}"
  t0=$(date +%s.%N)
  # shellcheck disable=SC2046
  env $(svc_env "$s") DATABASE_URL="$(dburl "$s")" "$BIN/$s" $(svc_args "$s") migrate >>"$RAW/$s.migrate.log" 2>&1 ||
    { echo "$s migrate failed; see $RAW/$s.migrate.log" >&2; exit 1; }
  t1=$(date +%s.%N)
  say "$s: migrated by '$s migrate' in $(echo "$t1 - $t0" | bc) s"
  return 0
}
mark() { # NAME WANT SECONDS
  P -d "${DB[$1]}" -c "CREATE TABLE bench_seed_marker (value text NOT NULL)" \
    -c "INSERT INTO bench_seed_marker VALUES ('$2|$(migrations "$1")')"
  rec kind=seed service="$1" reused=false seconds="$3" sizes="$2"
  say "$1: seeded in $3 s ($2)"
}
elapsed() { echo "$(date +%s.%N) - $1" | bc | xargs printf '%.1f'; }

ID_SIZES="users=$USERS groups=$N_GROUPS types=$TYPES permissions=$PERMS assignments=$((USERS * PER_USER))"
if prepare identity "$ID_SIZES"; then
  t0=$(date +%s.%N)
  P -d "${DB[identity]}" -v users="$USERS" -v groups="$N_GROUPS" -v types="$TYPES" -v perms="$PERMS" \
    -v per_user="$PER_USER" -f bench/suite/seed-identity.sql >"$RAW/seed-identity.txt"
  mark identity "$ID_SIZES" "$(elapsed "$t0")"
fi
PC_SIZES="connections=$CONNECTIONS tenants=$TENANTS audit=$CONNECTIONS"
if prepare provider-connection "$PC_SIZES"; then
  t0=$(date +%s.%N)
  P -d "${DB[provider-connection]}" -v connections="$CONNECTIONS" -v tenants="$TENANTS" -v ws="$WS" \
    -f bench/suite/seed-provider-connection.sql >"$RAW/seed-provider-connection.txt"
  mark provider-connection "$PC_SIZES" "$(elapsed "$t0")"
fi
IDP_SIZES="applications=$APPS providers_each=$IDPS"
IDP_TOKEN=$(mint iam idp-management "{\"application\":\"$APP\",\"actor\":\"bench-console\",\"permissions\":[\"idp:read\",\"idp:write\"],\"jti\":\"bench-$STAMP\"}")
if prepare idp-management "$IDP_SIZES"; then
  t0=$(date +%s.%N)
  # The template application's providers through the API (the service seals the OAuth2 client secrets), then
  # copied by SQL to the other applications. A copied sealed secret stays bound (AES-GCM associated data) to the
  # template's row, so it would not open under another application: no measured endpoint opens one.
  start_svc idp-management
  wait_ready "${PORT[idp-management]}" "${PID[idp-management]}" "$RAW/idp-management.log"
  python3 bench/suite/idp_providers.py "$IDPS" >"$WORK/seed.json"
  status=$(curl -sS -o "$RAW/seed-idp.txt" -w '%{http_code}' -X PUT -H "authorization: Bearer $IDP_TOKEN" \
    -H 'content-type: application/json' --data-binary @"$WORK/seed.json" \
    "http://127.0.0.1:${PORT[idp-management]}/idp/v1/applications/$APP/identity-providers")
  [[ $status == 204 ]] || { echo "seeding $APP answered $status: $(cat "$RAW/seed-idp.txt")" >&2; exit 1; }
  stop_svc idp-management
  P -d "${DB[idp-management]}" -v apps="$APPS" -v app="$APP" -f bench/suite/seed-idp-management.sql \
    >"$RAW/seed-idp-management.txt"
  mark idp-management "$IDP_SIZES" "$(elapsed "$t0")"
fi
# Leftovers of earlier runs' writes (a reused database): rows the load created, the outbox.
P -d "${DB[identity]}" -c "DELETE FROM groups WHERE name LIKE 'bench-%' OR name LIKE 'raw-%'" -c "TRUNCATE outbox" \
  -c "VACUUM ANALYZE groups" -c "VACUUM ANALYZE outbox"
P -d "${DB[provider-connection]}" -c "DELETE FROM provider_connections WHERE display_name LIKE 'Bench %' OR display_name LIKE 'raw %'" \
  -c "TRUNCATE outbox" -c "VACUUM ANALYZE provider_connections" -c "VACUUM ANALYZE outbox"
P -d "${DB[idp-management]}" -c "TRUNCATE outbox" -c "VACUUM ANALYZE outbox"
# The pgbench -S database (scale 10) and the wake-up comparison's database.
if [[ -z "$(P -d postgres -c "SELECT 1 FROM pg_database WHERE datname = 'suite_pgbench'")" ]]; then
  P -d postgres -c "CREATE DATABASE suite_pgbench"
  pgbench -i -s 10 -q suite_pgbench >"$RAW/pgbench-init.txt" 2>&1
fi
# Statistics, every run: without them each pgbench -S transaction was measured 30-50x slower (planning).
P -d suite_pgbench -c "ANALYZE"
P -d postgres -c "DROP DATABASE IF EXISTS suite_wakeup WITH (FORCE)" -c "CREATE DATABASE suite_wakeup"
P -d suite_wakeup -f bench/suite/wakeup-schema.sql

# ---- inputs of the load scripts ----
P -d "${DB[identity]}" -c "SELECT oid FROM users ORDER BY random() LIMIT 20000" >"$WORK/user-ids.txt"
P -d "${DB[identity]}" -c "SELECT id FROM groups ORDER BY random() LIMIT 20000" >"$WORK/group-ids.txt"
P -d "${DB[identity]}" -c "SELECT oid || '|' || email FROM users ORDER BY random() LIMIT 20000" >"$WORK/b2c-users.txt"
TYPEID=$(P -d "${DB[identity]}" -c "SELECT min(id) FROM grouptypes")
P -d "${DB[idp-management]}" -c "SELECT application_id FROM applications ORDER BY random() LIMIT 20000" >"$WORK/apps.txt"
P -d "${DB[idp-management]}" -c "SELECT key || '|' || idp_type || '|' || status || '|' || visibility FROM identity_providers WHERE application_id = '$APP' ORDER BY key" >"$WORK/providers.txt"
PC_TENANTS_JSON=$(seq -f '"t-%06g"' 1 64 | paste -sd, - | sed 's/^/[/; s/$/]/')
PC_TENANTS=$(seq -f 't-%06g' 1 64 | paste -sd, -)
PC_TOKEN=$(mint https://tenantpilot.local provider-connection "{\"sub\":\"bench-member\",\"workspace_id\":\"$WS\",\"tenants\":$PC_TENANTS_JSON,\"capabilities\":[\"provider_connections.view\",\"provider_connections.manage\"]}")
P -d "${DB[provider-connection]}" -c "SELECT id FROM provider_connections WHERE tenant = ANY (ARRAY[$(echo "$PC_TENANTS_JSON" | tr '"' "'" | tr -d '[]')]) ORDER BY random()" >"$WORK/connection-ids.txt"

# ---- P9: start to ready (migrations applied), before anything else runs ----
python3 bench/fake_microsoft.py $FAKE_PORT >"$RAW/fake-microsoft.log" 2>&1 &
FPID=$!
if want P9; then
  say "P9: start to ready, $STARTS starts per service"
  for s in identity idp-management provider-connection; do
    for i in $(seq 1 "$STARTS"); do
      t0=$(date +%s%N)
      start_svc "$s"
      until curl -fs -o /dev/null "http://127.0.0.1:${PORT[$s]}/readyz"; do
        kill -0 "${PID[$s]}" 2>/dev/null || { echo "$s exited; see $RAW/$s.log" >&2; tail "$RAW/$s.log" >&2; exit 1; }
        sleep 0.005
      done
      rec kind=start service="$s" round="$i" ms=$((($(date +%s%N) - t0) / 1000000))
      stop_svc "$s"
    done
  done
fi

# ---- the services, idle: P8 idle memory and P7's idle database load ----
for s in identity idp-management provider-connection; do start_svc "$s"; done
for s in identity idp-management provider-connection; do wait_ready "${PORT[$s]}" "${PID[$s]}" "$RAW/$s.log"; done
if want P7 || want P8; then
  say "idle: ${IDLE_SECS}s, all three running"
  sleep 3
  xacts() { P -d postgres -c "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = '${DB[$1]}'"; }
  # Two counts: the statements the service itself sent (pg_stat_statements, transaction control left out: the
  # issue's "queries"), and the database's transactions (pg_stat_database), which also count autovacuum's and
  # autoanalyze's own, busy after the seeding and the load runs, and so are an upper bound.
  idle_statements() { # NAME OUT: the statements of NAME's database since the reset, their sum printed
    P -d postgres -F $'\t' -c "SELECT s.calls, regexp_replace(s.query, '\s+', ' ', 'g') FROM pg_stat_statements s
      JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = '${DB[$1]}' AND s.query !~* '^\s*(BEGIN|COMMIT|ROLLBACK)'
      ORDER BY s.calls DESC" >"$2"
    awk -F'\t' '{n += $1} END {print n + 0}' "$2"
  }
  declare -A BEFORE=()
  P -d postgres -c "SELECT pg_stat_statements_reset()" >/dev/null
  for s in identity idp-management provider-connection; do BEFORE[$s]=$(xacts "$s"); done
  sleep "$IDLE_SECS"
  sleep 1 # the statistics' flush (at most once a second)
  for s in identity idp-management provider-connection; do
    rec kind=idle service="$s" seconds="$IDLE_SECS" rss_kb="$(rss_kb "${PID[$s]}")" \
      xacts_per_s="$(echo "scale=3; ($(xacts "$s") - ${BEFORE[$s]}) / $IDLE_SECS" | bc)" \
      queries_per_s="$(echo "scale=3; $(idle_statements "$s" "$RAW/idle-statements-$s.tsv") / $IDLE_SECS" | bc)"
  done
fi

# ---- endpoints ----
# Each: service|wrk script or path|pgbench script (bench/suite/sql/, "" for none)|kind (read, write, token).
declare -A EP=(
  [get_user]="identity|lua/get_user.lua|get_user.sql|read"
  [get_group]="identity|lua/get_group.lua|get_group.sql|read"
  [list_users]="identity|/api/v1/users?limit=100&offset=0|list_users.sql|read"
  [list_users_last]="identity|/api/v1/users?limit=100&offset=$((USERS - 100))|list_users_last.sql|read"
  [post_group]="identity|lua/post_group.lua|post_group.sql|write"
  [b2c_token]="identity|lua/b2c_token.lua|b2c_token.sql|token"
  [idp_setup]="idp-management|lua/get_public_setup.lua|idp_setup.sql|read"
  [idp_put]="idp-management|lua/put_idp.lua|idp_put.sql|write"
  [pc_create]="provider-connection|lua/create_connection.lua|pc_create.sql|write"
  [pc_get]="provider-connection|lua/get_connection.lua|pc_get.sql|read"
)
ENDPOINTS="get_user get_group list_users list_users_last post_group b2c_token idp_setup idp_put pc_create pc_get"
field() { cut -d'|' -f"$2" <<<"${EP[$1]}"; }
RUNSEQ=0
# CPU time by part (service, PostgreSQL, RabbitMQ, the rest: the load generator and anything else) over a run:
# cpu_snap PID before it, cpu_diff BEFORE PID >FILE after it (key=value milliseconds for rec).
cpu_snap() { python3 bench/suite/cpu.py snap "${1:-0}" "$BENCH_PGDATA"; }
cpu_diff() { python3 bench/suite/cpu.py diff "$1" "$(cpu_snap "${2:-0}")"; }
# wrk_run ENDPOINT CONNS OUTFILE [URL-BASE]: one wrk run of DURATION s; the service's peak RSS in OUTFILE.rss,
# CPU time by part in OUTFILE.cpu.
wrk_run() {
  local e=$1 c=$2 out=$3 s target t before
  s=$(field "$e" 1)
  before=$(cpu_snap "${PID[$s]}")
  target=$(field "$e" 2)
  t=$((c < 2 ? c : 2))
  RUNSEQ=$((RUNSEQ + 1))
  local args=(-t"$t" -c"$c" -d"${DURATION}s" --latency)
  local ids=group
  [[ $e == get_user ]] && ids=user
  [[ $e == pc_get ]] && ids=connection
  if [[ $target == lua/* ]]; then
    sample_rss "${PID[$s]}" "$out.rss" env IDS_FILE="$WORK/$ids-ids.txt" \
      KEY=$KEY RUN="$RUNSEQ$RANDOM" TYPEID="$TYPEID" USERS_FILE="$WORK/b2c-users.txt" APPS_FILE="$WORK/apps.txt" \
      APP=$APP PROVIDERS_FILE="$WORK/providers.txt" TENANTS="$PC_TENANTS" \
      TOKEN="$([[ $s == idp-management ]] && echo "$IDP_TOKEN" || echo "$PC_TOKEN")" \
      wrk "${args[@]}" -s "bench/$target" "http://127.0.0.1:${PORT[$s]}" >"$out" 2>&1
  else
    sample_rss "${PID[$s]}" "$out.rss" wrk "${args[@]}" -H "x-functions-key: $KEY" \
      "http://127.0.0.1:${PORT[$s]}$target" >"$out" 2>&1
  fi
  cpu_diff "$before" "${PID[$s]}" >"$out.cpu"
}
# pgb ENDPOINT CONNS OUTFILE: pgbench -f of the endpoint's own statements against its service's database; CPU
# time by part in OUTFILE.cpu.
pgb() {
  local e=$1 c=$2 s before
  s=$(field "$e" 1)
  before=$(cpu_snap)
  pgbench_tps "$3" -n -M prepared -c "$c" -j $((c < 2 ? c : 2)) -T "$DURATION" \
    -D users="$USERS" -D groups="$N_GROUPS" -D typeid="$TYPEID" -D apps="$APPS" -D app="$APP" -D ws="$WS" \
    -D connections="$CONNECTIONS" -D offset=$((USERS - 100)) -f "bench/suite/sql/$(field "$e" 3)" "${DB[$s]}"
  cpu_diff "$before" >"$3.cpu"
}

# ---- --profile ENDPOINT: where its service's time goes under load, then stop ----
if [[ -n "$PROFILE" ]]; then
  [[ -n "${EP[$PROFILE]:-}" ]] || { echo "--profile: no endpoint '$PROFILE' (one of: $ENDPOINTS)" >&2; exit 2; }
  have_or_install perf "perf (profiles)" linux-perf || exit 1
  COLLAPSE=$(cargo_tool inferno-collapse-perf inferno 0.12.8)
  FLAMEGRAPH="$(dirname "$COLLAPSE")/inferno-flamegraph"
  s=$(field "$PROFILE" 1)
  say "profiling $PROFILE ($s, pid ${PID[$s]}) for ${DURATION}s under wrk at 16 connections"
  DURATION=2 wrk_run "$PROFILE" 16 "$RAW/profile-warmup.wrk"
  perf record -q -F 499 -e cpu-clock --call-graph dwarf,16384 -p "${PID[$s]}" -o "$RAW/perf-$PROFILE.data" \
    -- sleep "$DURATION" 2>"$RAW/perf-record.log" &
  perf_pid=$!
  wrk_run "$PROFILE" 16 "$RAW/profile-$PROFILE.wrk"
  wait "$perf_pid" || true
  perf report -i "$RAW/perf-$PROFILE.data" --stdio --no-children --sort symbol --percent-limit 0.7 \
    >"$RAW/profile-$PROFILE.txt" 2>/dev/null
  perf report -i "$RAW/perf-$PROFILE.data" --stdio --children --sort symbol --percent-limit 3 -g none \
    >"$RAW/profile-$PROFILE-inclusive.txt" 2>/dev/null
  perf script -i "$RAW/perf-$PROFILE.data" 2>/dev/null | "$COLLAPSE" >"$RAW/profile-$PROFILE.folded"
  "$FLAMEGRAPH" --title "$PROFILE under wrk, 16 connections" <"$RAW/profile-$PROFILE.folded" >"$RAW/profile-$PROFILE.svg"
  rm -f "$RAW/perf-$PROFILE.data"
  grep -E '^ +[0-9.]+%' "$RAW/profile-$PROFILE.txt" | head -25
  echo "wrk: $(grep -E 'Requests/sec' "$RAW/profile-$PROFILE.wrk")"
  echo "profile: $RAW/profile-$PROFILE.txt (self), $RAW/profile-$PROFILE-inclusive.txt, flamegraph $RAW/profile-$PROFILE.svg"
  exit 0
fi

# ---- each endpoint's own SQL, from pg_stat_statements (kept beside; the pgbench scripts mirror it) ----
if want P2 || want P3; then
  say "capturing each endpoint's statements (pg_stat_statements)"
  for e in $ENDPOINTS; do
    s=$(field "$e" 1)
    P -d postgres -c "SELECT pg_stat_statements_reset()" >/dev/null
    DURATION=1 wrk_run "$e" 2 "$RAW/capture-$e.wrk"
    req=$(grep -oP '^\s*\K\d+(?= requests in)' "$RAW/capture-$e.wrk" || echo 0)
    P -d postgres -F $'\t' -c "SELECT s.calls, round(s.calls::numeric / greatest($req, 1), 2), regexp_replace(s.query, '\s+', ' ', 'g')
      FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
      WHERE d.datname = '${DB[$s]}' AND s.query !~* '^\s*(BEGIN|COMMIT|ROLLBACK)'
        AND s.query !~ 'FROM \"outbox\" WHERE \\(+\"outbox\".\"delivered_at\" IS NULL\\)|SET \"delivered_at\"' ORDER BY s.calls DESC" >"$RAW/sql-$e.tsv"
    # Statements run about once per request or more (the relay's and the worker's polls run far less often).
    per=$(awk -F'\t' -v r="$req" 'r > 0 && $1 >= 0.5 * r {n += $1} END {printf "%.2f", (r > 0) ? n / r : 0}' "$RAW/sql-$e.tsv")
    script=$(grep -vE '^\s*(\\|--)' "bench/suite/sql/$(field "$e" 3)" | grep -E ';\s*$' | grep -cvE '^\s*(BEGIN|COMMIT);' || true)
    rec kind=sql endpoint="$e" requests="$req" statements_per_request="$per" pgbench_statements="$script"
  done
fi

# ---- the interleaved rounds: pgbench -S, then per endpoint its SQL and its HTTP load, then the wake-up pair ----
# A warm-up, not recorded: the pgbench database's pages into the caches (a cold first run reads far below its
# rate; the services' databases are warmed by the statement capture above).
pgbench_tps "$RAW/warmup-pgbench-S.txt" -n -S -M prepared -c 4 -j 2 -T "$DURATION" suite_pgbench >/dev/null
ROUNDS_WANTED=0
for m in P1 P2 P3 P5 P6 P8 P10 P11; do want $m && ROUNDS_WANTED=1; done
for r in $(seq 1 "$( ((ROUNDS_WANTED)) && echo "$ROUNDS" || echo 0)"); do
  for c in $CONCS; do
    targets=0
    [[ " $TARGET_CONCS " == *" $c "* ]] && targets=1
    say "round $r/$ROUNDS, $c connections"
    if want P1 || ((targets == 0)); then
      before=$(cpu_snap)
      tps=$(pgbench_tps "$RAW/r$r-c$c-pgbench-S.txt" -n -S -M prepared -c "$c" -j $((c < 2 ? c : 2)) -T "$DURATION" suite_pgbench)
      # shellcheck disable=SC2046
      rec kind=pgbench script=select-only conc="$c" round="$r" tps="${tps:-}" \
        transactions="$(grep -oP 'number of transactions actually processed: \K[0-9]+' "$RAW/r$r-c$c-pgbench-S.txt" || echo 0)" \
        $(cpu_diff "$before")
    fi
    for e in $ENDPOINTS; do
      if ((targets)) && { want P2 || want P3; }; then
        tps=$(pgb "$e" "$c" "$RAW/r$r-c$c-pgbench-$e.txt")
        # shellcheck disable=SC2046
        rec kind=pgbench script="$e" conc="$c" round="$r" tps="${tps:-}" \
          transactions="$(grep -oP 'number of transactions actually processed: \K[0-9]+' "$RAW/r$r-c$c-pgbench-$e.txt" || echo 0)" \
          $(cat "$RAW/r$r-c$c-pgbench-$e.txt.cpu")
      fi
      wrk_run "$e" "$c" "$RAW/r$r-c$c-$e.wrk"
      # shellcheck disable=SC2046
      rec kind=http tool=wrk endpoint="$e" service="$(field "$e" 1)" conc="$c" round="$r" \
        rss_max_kb="$(cat "$RAW/r$r-c$c-$e.wrk.rss")" $(cat "$RAW/r$r-c$c-$e.wrk.cpu") --wrk "$RAW/r$r-c$c-$e.wrk"
    done
    if want P11; then
      # notify: the former trigger; none: the write SQL alone (one process, whose relay is woken in memory);
      # forward: the same beside what a standby replica's relay sends the leader at most (bus::relay
      # forward_wakes: a lone NOTIFY with asynchronous commit from its own session, one per 20 ms, 50/s).
      for variant in notify none forward; do
        if [[ $variant == notify ]]; then
          P -d suite_wakeup -c "CREATE TRIGGER outbox_notify AFTER INSERT ON outbox FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify()"
        else
          P -d suite_wakeup -c "DROP TRIGGER IF EXISTS outbox_notify ON outbox"
        fi
        notifier=
        if [[ $variant == forward ]]; then
          pgbench -n -c 1 -R 50 -T "$DURATION" -f bench/suite/sql/wakeup-forward.sql suite_wakeup \
            >"$RAW/r$r-c$c-wakeup-forwarder.txt" 2>&1 &
          notifier=$!
        fi
        tps=$(pgbench_tps "$RAW/r$r-c$c-wakeup-$variant.txt" -n -M prepared -c "$c" -j $((c < 2 ? c : 2)) -T "$DURATION" \
          -f bench/suite/sql/wakeup.sql suite_wakeup)
        [[ -z $notifier ]] || wait "$notifier" || true
        rec kind=wakeup variant=$variant conc="$c" round="$r" tps="${tps:-}"
      done
    fi
  done
done
# The outbox triggers the migrations left on identity's outbox (P11: none means the write SQL is the SQL
# without any wake-up).
rec kind=outbox_triggers service=identity \
  count="$(P -d "${DB[identity]}" -c "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'outbox'::regclass AND NOT tgisinternal")"

# ---- P6 (and P7's lag): a fixed rate of half the maximum, oha with latency correction ----
# In each round and for each endpoint: oha's own maximum at 16 connections, then oha at half of it. The maximum
# is oha's, not wrk's: on 2 cores the generator's cost per request is part of what the machine can do, and
# oha spends more than wrk, so half of wrk's maximum was more than oha could send and measured queueing.
if want P6 || want P7; then
  for r in $(seq 1 "$ROUNDS"); do
    for e in $ENDPOINTS; do
      [[ $e == list_users_last ]] && continue
      want P6 || [[ $e == post_group ]] || continue
      s=$(field "$e" 1)
      base="http://127.0.0.1:${PORT[$s]}"
      oha_run() { # RATE OUT
        bash bench/suite/oha.sh "$OHA" "$e" "$1" "$DURATION" "$2" "$WORK" "$base" "$KEY" "$TYPEID" "$IDP_TOKEN" \
          "$PC_TOKEN" "$APP" "$PC_TENANTS" >"$2.log" 2>&1 || echo "oha failed for $e: $(tail -3 "$2.log")" >&2
      }
      est=$(python3 bench/suite/report.py --median-rps "$RES" "$e" 16)
      oha_run "max:$(python3 -c "print(max(1, int(float('${est:-1000}'))))")" "$RAW/r$r-max-$e.json"
      [[ -s "$RAW/r$r-max-$e.json" ]] || continue
      rec kind=rate_max tool=oha endpoint="$e" conc=16 round="$r" --oha "$RAW/r$r-max-$e.json"
      rate=$(python3 -c "import json; print(max(1, int(json.load(open('$RAW/r$r-max-$e.json'))['summary']['requestsPerSec'] / 2)))")
      since=$(P -d "${DB[$s]}" -c "SELECT coalesce(max(seq), 0) FROM outbox")
      before=$(cpu_snap "${PID[$s]}")
      oha_run "$rate" "$RAW/r$r-rate-$e.json"
      # shellcheck disable=SC2046
      [[ -s "$RAW/r$r-rate-$e.json" ]] && rec kind=rate tool=oha endpoint="$e" rate="$rate" conc=16 round="$r" \
        $(cpu_diff "$before" "${PID[$s]}") --oha "$RAW/r$r-rate-$e.json"
      if [[ $e == post_group ]]; then
        sleep 1 # the last events' confirms
        P -d "${DB[$s]}" -F ' ' -c "SELECT count(*), coalesce(count(*) FILTER (WHERE delivered_at IS NULL), 0),
            round((percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM delivered_at - created_at)) * 1000)::numeric, 2),
            round((percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM delivered_at - created_at)) * 1000)::numeric, 2)
          FROM outbox WHERE seq > $since" >"$RAW/r$r-lag.txt"
        read -r n pending p50 p99 <"$RAW/r$r-lag.txt"
        rec kind=lag endpoint=post_group rate="$rate" round="$r" events="$n" pending="$pending" p50_ms="${p50:-}" p99_ms="${p99:-}"
      fi
    done
  done
fi

# ---- P4: writes with the relay publishing / with the relay stopped (bus.relay_enabled = false) ----
if want P4; then
  for r in $(seq 1 "$ROUNDS"); do
    for variant in stopped publishing; do
      stop_svc identity
      if [[ $variant == stopped ]]; then start_svc identity IDENTITY__BUS__RELAY_ENABLED=false; else start_svc identity; fi
      wait_ready "${PORT[identity]}" "${PID[identity]}" "$RAW/identity.log"
      # The relay publishing starts from an empty backlog (the stopped run's events drained first).
      for _ in $(seq 1 300); do
        [[ $variant == stopped || "$(P -d "${DB[identity]}" -c "SELECT count(*) FROM outbox WHERE delivered_at IS NULL")" == 0 ]] && break
        sleep 0.2
      done
      wrk_run post_group 16 "$RAW/p4-r$r-$variant.wrk"
      # shellcheck disable=SC2046
      rec kind=relay_load variant=$variant endpoint=post_group conc=16 round="$r" \
        $(cat "$RAW/p4-r$r-$variant.wrk.cpu") --wrk "$RAW/p4-r$r-$variant.wrk"
    done
  done
fi

# ---- POOL: the request pool's size swept (identity: a read and a write, at the target concurrencies) ----
# database.pool_size per process; the services' default is the best point of this sweep (docs/PERFORMANCE.md).
if want POOL; then
  for r in $(seq 1 "$ROUNDS"); do
    for pool in $POOLS; do
      stop_svc identity
      start_svc identity IDENTITY__DATABASE__POOL_SIZE="$pool"
      wait_ready "${PORT[identity]}" "${PID[identity]}" "$RAW/identity.log"
      for e in get_group post_group; do
        for c in $TARGET_CONCS; do
          [[ " $CONCS " == *" $c "* ]] || continue
          wrk_run "$e" "$c" "$RAW/pool$pool-r$r-c$c-$e.wrk"
          # shellcheck disable=SC2046
          rec kind=pool pool="$pool" endpoint="$e" conc="$c" round="$r" \
            $(cat "$RAW/pool$pool-r$r-c$c-$e.wrk.cpu") --wrk "$RAW/pool$pool-r$r-c$c-$e.wrk"
        done
      done
    done
  done
  stop_svc identity
  start_svc identity
  wait_ready "${PORT[identity]}" "${PID[identity]}" "$RAW/identity.log"
fi

# ---- P5: the relay's drain rate beside a raw lapin publisher with confirms (and the max write rate) ----
if want P5; then
  stop_svc identity
  ENVELOPE=$(tr -d '\n' <bench/suite/envelope.json)
  for r in $(seq 1 "$ROUNDS"); do
    P -d "${DB[identity]}" -c "TRUNCATE outbox" -c "INSERT INTO outbox (event_id, event_type, subject, envelope)
      SELECT gen_random_uuid(), 'identity.group.created.v1', 'groups/' || g, '$ENVELOPE'::jsonb
      FROM generate_series(1, $EVENTS) g" -c "VACUUM ANALYZE outbox"
    start_svc identity
    for _ in $(seq 1 1500); do
      [[ "$(P -d "${DB[identity]}" -c "SELECT count(*) FROM outbox WHERE delivered_at IS NULL")" == 0 ]] && break
      sleep 0.2
    done
    stop_svc identity
    rate=$(P -d "${DB[identity]}" -c "WITH t AS (SELECT min(delivered_at) AS a, max(delivered_at) AS b FROM outbox)
      SELECT round((count(*) FILTER (WHERE delivered_at > t.a))::numeric
        / greatest(extract(epoch FROM (t.b - t.a)), 0.001)::numeric) FROM outbox, t
      WHERE (SELECT count(*) FROM outbox WHERE delivered_at IS NULL) = 0 GROUP BY t.a, t.b")
    rec kind=drain round="$r" events="$EVENTS" events_per_s="${rate:-}"
    "$RAW_PUBLISH" "$EVENTS" 200 >"$RAW/raw-publish-r$r.txt" 2>&1 || true
    rec kind=raw_publish round="$r" messages="$EVENTS" batch=200 \
      msgs_per_s="$(grep -oP 'msgs_per_s=\K[0-9.]+' "$RAW/raw-publish-r$r.txt" || true)"
  done
  P -d "${DB[identity]}" -c "TRUNCATE outbox"
  start_svc identity
  wait_ready "${PORT[identity]}" "${PID[identity]}" "$RAW/identity.log"
fi

# ---- P10's keyset variant: lights up once GET /users answers a Link header ----
if want P10; then
  link=$(curl -fsS -D - -o /dev/null -H "x-functions-key: $KEY" \
    "http://127.0.0.1:${PORT[identity]}/api/v1/users?limit=100&offset=$((USERS - 200))" |
    grep -i '^link:' | grep -oP '<\K[^>]+(?=>;\s*rel="?next)' || true)
  if [[ -n "$link" ]]; then
    first=$(curl -fsS -D - -o /dev/null -H "x-functions-key: $KEY" "http://127.0.0.1:${PORT[identity]}/api/v1/users?limit=100" |
      grep -i '^link:' | grep -oP '<\K[^>]+(?=>;\s*rel="?next)' || true)
    [[ $link == http* ]] || link="http://127.0.0.1:${PORT[identity]}$link"
    [[ $first == http* ]] || first="http://127.0.0.1:${PORT[identity]}$first"
    for r in $(seq 1 "$ROUNDS"); do
      for v in first last; do
        url=$([[ $v == first ]] && echo "$first" || echo "$link")
        sample_rss "${PID[identity]}" "$RAW/keyset-$v-r$r.wrk.rss" wrk -t2 -c16 -d"${DURATION}s" --latency \
          -H "x-functions-key: $KEY" "$url" >"$RAW/keyset-$v-r$r.wrk" 2>&1
        rec kind=http tool=wrk endpoint="list_users_keyset_$v" service=identity conc=16 round="$r" --wrk "$RAW/keyset-$v-r$r.wrk"
      done
    done
  elif curl -fsS -D - -o /dev/null -H "x-functions-key: $KEY" "http://127.0.0.1:${PORT[identity]}/api/v1/users?limit=100" |
    grep -qi '^link:'; then
    rec kind=note measure=P10 text="GET /users answers a Link header on its first page but not on an offset page, so the last page's cursor is not known without walking every page: keyset paging not measured"
  else
    rec kind=note measure=P10 text="GET /users answers no Link header: keyset paging not measured"
  fi
fi

rec kind=end seconds=$(($(date +%s) - T0)) load_after="$(cut -d' ' -f1-3 /proc/loadavg)"
say "measured in $(($(date +%s) - T0)) s; report:"
if ((SMOKE)); then
  python3 bench/suite/report.py --results "$RES" --out "$OUT" --smoke
elif [[ -n "$ONLY" ]]; then # a partial run: its report stays beside its results
  python3 bench/suite/report.py --results "$RES" --out "$OUT"
else
  python3 bench/suite/report.py --results "$RES" --out "$OUT" --docs docs/PERFORMANCE.md --charts docs/perf
fi
