#!/usr/bin/env bash
# The write path's commit ceiling with and without a NOTIFY trigger on the outbox (what the relay's wake-up used
# to be), measured with pgbench in one run, interleaved: a group insert + an outbox insert per transaction,
# 16 clients, 8 s, 3 rounds. Prints each round and the medians; the ratio is what counts (machines differ).
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
declare -a with without
for round in 1 2 3; do
  for variant in notify none; do
    if [[ $variant == notify ]]; then
      "${P[@]}" -d "$db" -c "CREATE TRIGGER outbox_notify AFTER INSERT ON outbox FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify()"
    else
      "${P[@]}" -d "$db" -c "DROP TRIGGER IF EXISTS outbox_notify ON outbox"
    fi
    tps=$(pgbench -h 127.0.0.1 -U postgres -n -c "$clients" -j 2 -T "$seconds" -M prepared -f "$script" "$db" 2>/dev/null |
      grep -oP 'tps = \K[0-9.]+' | head -1)
    echo "round $round  $variant  $tps tps"
    if [[ $variant == notify ]]; then with+=("$tps"); else without+=("$tps"); fi
  done
done
# shellcheck source=lib/common.sh
source "$(dirname "$0")/lib/common.sh" # median
m_with=$(median "${with[@]}")
m_without=$(median "${without[@]}")
echo "median with NOTIFY trigger: $m_with tps; without: $m_without tps; without / with = $(echo "scale=2; $m_without / $m_with" | bc)"
