#!/usr/bin/env bash
# The write path's commit ceiling with and without a NOTIFY trigger on the outbox (what the relay's wake-up used
# to be), and with the wake-up it has now across replicas: no trigger, and beside the writers a session sending
# lone NOTIFYs with asynchronous commit at a fixed rate (one standby replica's forwarder sends at most 50/s; 500/s
# is ten of them under full load). Measured with pgbench in one run, interleaved: a group insert + an outbox
# insert per transaction, 16 clients, 8 s, 3 rounds. Prints each round and the medians; the ratios are what
# counts (machines differ).
#   bench/outbox-wakeup.sh [clients] [seconds]
set -euo pipefail
clients=${1:-16}
seconds=${2:-8}
P=(psql -h 127.0.0.1 -U postgres -qAt)
db=bench_outbox_wakeup
"${P[@]}" -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1
"${P[@]}" -d postgres -c "CREATE DATABASE $db" >/dev/null
trap '"${P[@]}" -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null' EXIT
"${P[@]}" -d "$db" >/dev/null <<'SQL'
CREATE TABLE groups (id uuid PRIMARY KEY, name text UNIQUE NOT NULL, created timestamptz NOT NULL DEFAULT now());
-- The outbox as crates/persistence/migrations/outbox creates it.
CREATE TABLE outbox (seq BIGSERIAL PRIMARY KEY, event_id UUID NOT NULL UNIQUE, event_type TEXT NOT NULL,
  subject TEXT NOT NULL, envelope JSONB NOT NULL, created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  delivered_at TIMESTAMPTZ);
CREATE INDEX outbox_pending ON outbox (seq) WHERE delivered_at IS NULL;
CREATE INDEX outbox_delivered_at ON outbox (delivered_at) WHERE delivered_at IS NOT NULL;
-- The wake-up the relay no longer uses.
CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN PERFORM pg_notify('outbox', ''); RETURN NULL; END $$;
SQL
script=$(mktemp --suffix .sql)
trap 'rm -f "$script"; "${P[@]}" -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null' EXIT
cat >"$script" <<'SQL'
\set n random(1, 1000000000)
BEGIN;
INSERT INTO groups (id, name) VALUES (gen_random_uuid(), 'g' || :n || '-' || gen_random_uuid());
INSERT INTO outbox (event_id, event_type, subject, envelope)
  VALUES (gen_random_uuid(), 'identity.group.created.v1', 'x', '{"specversion":"1.0","data":{"name":"g"}}');
COMMIT;
SQL
forward=$(mktemp --suffix .sql)
trap 'rm -f "$script" "$forward"; "${P[@]}" -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null' EXIT
# What bus::relay's forwarder sends (persistence::outbox::notify_leader on a prepare_notifier session).
cat >"$forward" <<'SQL'
BEGIN;
SET LOCAL synchronous_commit = off;
NOTIFY outbox_wake;
COMMIT;
SQL
declare -a with without fwd50 fwd500
for round in 1 2 3; do
  for variant in notify none forward50 forward500; do
    if [[ $variant == notify ]]; then
      "${P[@]}" -d "$db" -c "CREATE TRIGGER outbox_notify AFTER INSERT ON outbox FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify()"
    else
      "${P[@]}" -d "$db" -c "DROP TRIGGER IF EXISTS outbox_notify ON outbox"
    fi
    notifier=
    case $variant in
      forward50) rate=50 ;;
      forward500) rate=500 ;;
      *) rate= ;;
    esac
    if [[ -n $rate ]]; then
      pgbench -h 127.0.0.1 -U postgres -n -c 1 -R "$rate" -T "$seconds" -f "$forward" "$db" >/dev/null 2>&1 &
      notifier=$!
    fi
    tps=$(pgbench -h 127.0.0.1 -U postgres -n -c "$clients" -j 2 -T "$seconds" -M prepared -f "$script" "$db" 2>/dev/null |
      grep -oP 'tps = \K[0-9.]+' | head -1)
    [[ -z $notifier ]] || wait "$notifier"
    echo "round $round  $variant  $tps tps"
    case $variant in
      notify) with+=("$tps") ;;
      none) without+=("$tps") ;;
      forward50) fwd50+=("$tps") ;;
      forward500) fwd500+=("$tps") ;;
    esac
  done
done
# shellcheck source=lib/common.sh
source "$(dirname "$0")/lib/common.sh" # median
m_with=$(median "${with[@]}")
m_without=$(median "${without[@]}")
m_fwd50=$(median "${fwd50[@]}")
m_fwd500=$(median "${fwd500[@]}")
ratio() { echo "scale=2; $1 / $2" | bc; }
echo "median with NOTIFY trigger: $m_with tps; without: $m_without tps; without / with = $(ratio "$m_without" "$m_with")"
echo "median beside forwarded NOTIFYs at 50/s: $m_fwd50 tps (/ without = $(ratio "$m_fwd50" "$m_without")); at 500/s: $m_fwd500 tps (/ without = $(ratio "$m_fwd500" "$m_without"))"
