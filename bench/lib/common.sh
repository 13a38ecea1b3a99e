# Shared parts of the benchmark scripts (sourced, not run): starting a service and waiting for /readyz, sampling
# resident memory, pgbench and wrk runs, and the suite's own PostgreSQL cluster.
#
#   source bench/lib/common.sh
#
# Every function is plain bash; none changes the caller's options.

# The median of the numbers given as arguments (the mean of the middle two for an even count).
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {if (NR == 0) exit 1; print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

# Whether nothing listens on 127.0.0.1:PORT.
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# wait_ready PORT PID LOG [TRIES=600]: polls http://127.0.0.1:PORT/readyz every 50 ms until it answers 200;
# fails (printing LOG's tail) if PID exits or TRIES polls pass.
wait_ready() {
  local port=$1 pid=$2 log=$3 tries=${4:-600}
  for _ in $(seq 1 "$tries"); do
    curl -fs -o /dev/null "http://127.0.0.1:$port/readyz" && return 0
    kill -0 "$pid" 2>/dev/null || { echo "the service on port $port exited; $log:" >&2; tail -20 "$log" >&2; return 1; }
    sleep 0.05
  done
  echo "the service on port $port was not ready in time; $log:" >&2
  tail -20 "$log" >&2
  return 1
}

# Resident memory of PID in kB (0 when it is gone).
rss_kb() { awk '/^VmRSS/ {print $2; f=1} END {if (!f) print 0}' "/proc/$1/status" 2>/dev/null || echo 0; }

# sample_rss PID OUTFILE COMMAND...: runs COMMAND (its output to the caller), sampling PID's RSS every 0.25 s,
# and writes the maximum (kB) to OUTFILE. Returns COMMAND's status.
sample_rss() {
  local pid=$1 out=$2 max=0 r job rc
  shift 2
  "$@" &
  job=$!
  while kill -0 "$job" 2>/dev/null; do
    r=$(rss_kb "$pid")
    ((r > max)) && max=$r
    sleep 0.25
  done
  wait "$job" && rc=0 || rc=$?
  echo "$max" >"$out"
  return "$rc"
}

# pgbench_tps OUTFILE PGBENCH-ARGS...: runs pgbench (output kept in OUTFILE) and prints its tps ("" if none).
pgbench_tps() {
  local out=$1
  shift
  pgbench "$@" >"$out" 2>&1 || true
  grep -oP '^tps = \K[0-9.]+' "$out" | head -1 || true
}

# The suite's own PostgreSQL 15 cluster, with pg_stat_statements preloaded: isolated from the machine's cluster
# (its databases, its statistics), on its own port. Data under BENCH_PGDATA; kept between runs (seeded databases
# are reused when their marker matches). initdb refuses root: the cluster runs as the postgres user.
BENCH_PGBIN=${BENCH_PGBIN:-/usr/lib/postgresql/15/bin}
BENCH_PGDATA=${BENCH_PGDATA:-/var/tmp/identity-suite-bench/pg15}
BENCH_PGPORT=${BENCH_PGPORT:-18240}

# Runs a PostgreSQL binary as the cluster's owner (postgres when we are root).
_bench_pg_as_owner() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# Whether the suite's cluster is running.
bench_pg_running() { [[ -s "$BENCH_PGDATA/PG_VERSION" ]] && _bench_pg_as_owner "$BENCH_PGBIN/pg_ctl" -D "$BENCH_PGDATA" status >/dev/null 2>&1; }

# bench_pg_up: creates (once) and starts the suite's cluster; exports PGHOST, PGPORT, PGUSER for psql/pgbench.
bench_pg_up() {
  [[ -x "$BENCH_PGBIN/initdb" ]] || { echo "PostgreSQL 15 server binaries not found in $BENCH_PGBIN" >&2; return 1; }
  if [[ ! -s "$BENCH_PGDATA/PG_VERSION" ]]; then
    mkdir -p "$BENCH_PGDATA"
    [[ $(id -u) -eq 0 ]] && chown -R postgres: "$(dirname "$BENCH_PGDATA")"
    chmod 700 "$BENCH_PGDATA"
    _bench_pg_as_owner "$BENCH_PGBIN/initdb" -D "$BENCH_PGDATA" -U postgres --auth=trust -E UTF8 >/dev/null
    # The machine cluster's settings that shape these measurements (Debian defaults), plus the statement
    # statistics the SQL baselines are taken from. max_connections covers 64 pgbench clients + 3 pools.
    cat >>"$BENCH_PGDATA/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $BENCH_PGPORT
unix_socket_directories = '/tmp'
max_connections = 200
shared_buffers = 128MB
shared_preload_libraries = 'pg_stat_statements'
pg_stat_statements.max = 5000
pg_stat_statements.track = top
logging_collector = off
CONF
  fi
  if ! _bench_pg_as_owner "$BENCH_PGBIN/pg_ctl" -D "$BENCH_PGDATA" status >/dev/null 2>&1; then
    _bench_pg_as_owner "$BENCH_PGBIN/pg_ctl" -D "$BENCH_PGDATA" -l "$BENCH_PGDATA/server.log" -w -t 60 start >/dev/null
  fi
  export PGHOST=127.0.0.1 PGPORT=$BENCH_PGPORT PGUSER=postgres
  # Top-level statements only: what a client sends (not the foreign keys' internal checks).
  psql -X -qAt -d postgres -c "ALTER SYSTEM SET pg_stat_statements.track = 'top'" -c "SELECT pg_reload_conf()" >/dev/null
}

# bench_pg_down: stops the suite's cluster (its data stays).
bench_pg_down() { _bench_pg_as_owner "$BENCH_PGBIN/pg_ctl" -D "$BENCH_PGDATA" -m fast -w stop >/dev/null 2>&1 || true; }
