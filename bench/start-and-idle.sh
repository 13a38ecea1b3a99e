#!/usr/bin/env bash
# Benchmark of what a service costs before any load (issue targets P7b, P8 idle, P9): for each service's release
# binary, with its database already migrated,
#   - start to ready: from exec to the first 200 of /readyz (polled every 5 ms), RUNS times, median/min/max;
#   - idle: resident memory (VmRSS) and the transactions/s its database sees (pg_stat_database xact_commit +
#     xact_rollback of its own database; every statement outside a transaction is one) over IDLE_SECS,
#     with all three services running and nothing calling them: the relay's adaptive poll, the
#     verification worker's, pool upkeep.
# Uses up.sh's own configuration (IDENTITY_SUITE_RUN_DIR) and databases of its own (suffix _bench_idle), on ports
# +20000. Not a test: run by hand on a quiet machine, record in docs/PERFORMANCE.md.
#
#   bench/start-and-idle.sh [RUNS=7] [IDLE_SECS=60]
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-7}
IDLE_SECS=${2:-60}
services=(identity idp-management provider-connection)
export IDENTITY_SUITE_PORT_OFFSET=20000 IDENTITY_SUITE_DATABASE_SUFFIX=_bench_idle
export IDENTITY_SUITE_RUN_DIR="${TMPDIR:-/tmp}/identity-suite-bench-idle"
declare -A ports=([identity]=28081 [idp-management]=28082 [provider-connection]=28083)
bin="${CARGO_TARGET_DIR:-target}/release"
out="bench/results/start-and-idle-$(date -u +%Y%m%dT%H%M%SZ).txt"
mkdir -p bench/results
psql_() { psql -h 127.0.0.1 -U postgres -d postgres -Atqc "$1"; }
drop() { for s in "${services[@]}"; do psql_ "DROP DATABASE IF EXISTS \"${s//-/_}$IDENTITY_SUITE_DATABASE_SUFFIX\" WITH (FORCE)" || true; done; }
pids=()
stop_all() { for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done; for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done; pids=(); }
trap 'stop_all; drop' EXIT
drop

# Configurations, databases created and migrated: up.sh once (release), stopped as Ctrl-C does.
log="$(mktemp)"
# shellcheck source=../deploy/local/lib/system.sh
source deploy/local/lib/system.sh
start_system "$log" IDENTITY_SUITE_PROFILE=release
await_system "$log" >&2 || { cat "$log"; exit 1; }
stop_system || true

# shellcheck source=lib/common.sh
source bench/lib/common.sh # port_free, rss_kb
start() { # name: starts the binary in the background, sets $pid (its port must be free: no stray service answers)
  local prefix
  port_free "${ports[$1]}" || { echo "port ${ports[$1]} is taken; stop what listens there" >&2; exit 1; }
  prefix="$(tr 'a-z-' 'A-Z_' <<<"$1")"
  env BIND_ADDR="127.0.0.1:${ports[$1]}" "${prefix}__LOG__LEVEL=warn" "$bin/$1" \
    --config "$IDENTITY_SUITE_RUN_DIR/$1.toml" >>"$IDENTITY_SUITE_RUN_DIR/$1.bench.log" 2>&1 &
  pid=$!
}
ready_ms() { # name: start, wait for /readyz 200, print milliseconds, stop
  local t0 t1
  t0=$(date +%s%N)
  start "$1"
  until curl -fs -o /dev/null "http://127.0.0.1:${ports[$1]}/readyz"; do
    kill -0 "$pid" 2>/dev/null || { echo "$1 exited; see $IDENTITY_SUITE_RUN_DIR/$1.bench.log" >&2; exit 1; }
    sleep 0.005
  done
  t1=$(date +%s%N)
  kill -TERM "$pid"; wait "$pid" || true
  echo $(((t1 - t0) / 1000000))
}
stats() { sort -n | awk '{v[NR]=$1} END {m=(NR%2)?v[(NR+1)/2]:(v[NR/2]+v[NR/2+1])/2; printf "%s %s %s", m, v[1], v[NR]}'; }

# The report goes to the terminal and $out; no pipeline, so the services started below stay this shell's
# children (and the EXIT trap stops them).
exec > >(tee "$out")
{
  echo "# bench/start-and-idle.sh $RUNS $IDLE_SECS, $(date -u +%FT%TZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "# start to ready (ms): service median min max (runs)"
  for s in "${services[@]}"; do
    runs=()
    for _ in $(seq 1 "$RUNS"); do runs+=("$(ready_ms "$s")"); done
    echo "start $s $(printf '%s\n' "${runs[@]}" | stats) (${runs[*]})"
  done
  echo "# idle over ${IDLE_SECS}s, all three running: service rss_mib db_transactions_per_s"
  declare -A before=() pid_of=()
  for s in "${services[@]}"; do start "$s"; pids+=("$pid"); pid_of[$s]=$pid; done
  for s in "${services[@]}"; do
    until curl -fs -o /dev/null "http://127.0.0.1:${ports[$s]}/readyz"; do sleep 0.05; done
  done
  sleep 5 # past start-up's own statements
  xacts() { psql_ "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = '${1//-/_}$IDENTITY_SUITE_DATABASE_SUFFIX'"; }
  psql_ "SELECT pg_stat_clear_snapshot()" >/dev/null
  for s in "${services[@]}"; do before[$s]=$(xacts "$s"); done
  sleep "$IDLE_SECS"
  sleep 1 # the statistics collector's flush (PostgreSQL 15 flushes pending counters at most once a second)
  for s in "${services[@]}"; do
    after=$(xacts "$s")
    rss=$(awk -v kb="$(rss_kb "${pid_of[$s]}")" 'BEGIN {printf "%.1f", kb / 1024}')
    echo "idle $s $rss $(awk -v a="$after" -v b="${before[$s]}" -v t="$IDLE_SECS" 'BEGIN {printf "%.2f", (a - b) / t}')"
  done
}
echo "results: $out" >&2
