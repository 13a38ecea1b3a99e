#!/usr/bin/env bash
# Benchmark: idp-management GET .../public-identity-provider-setup (public discovery, no token) and the
# single-provider PUT .../identity-providers/{key} at 16 connections (wrk), beside raw PostgreSQL
# (pgbench -S -M prepared, 16 clients over TCP) and the raw SQL of that PUT (pgbench -f) in the same run, plus
# the service's resident memory idle and under load. Repeats RUNS times and prints medians and ratios. Not a test:
# run it by hand, record in docs/PERFORMANCE.md.
#
#   bench/idp-management.sh [DURATION_SECS=15] [RUNS=3]
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-15}
RUNS=${2:-3}
CONNS=16
PORT=18183
APP=bench-app
DB=idp_management_bench
PG="-h 127.0.0.1 -U postgres"
OUT=bench/results/idp-management-$(date -u +%Y%m%dT%H%M%SZ).txt
mkdir -p bench/results
command -v wrk >/dev/null || { echo "wrk is required: apt-get install wrk" >&2; exit 1; }
deploy/local/ensure-infra.sh

cargo build --release --locked -p idp-management -p security >&2
BIN="${CARGO_TARGET_DIR:-target}/release"

psql $PG -d postgres -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)"
psql $PG -d postgres -qc "DROP DATABASE IF EXISTS pgbench_bench WITH (FORCE)"
psql $PG -d postgres -qc "CREATE DATABASE pgbench_bench"
pgbench $PG -i -s 10 -q pgbench_bench >/dev/null 2>&1

WORK=$(mktemp -d)
SECRET=$(head -c 48 /dev/urandom | base64 | tr -d '\n/+=' | head -c 48)
cat >"$WORK/config.toml" <<TOML
[database]
url = "postgres://postgres@127.0.0.1:5432/$DB"
[bus]
exchange = "bench.idp-management"
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
# A console token as a deployment would issue it: with a jti, so every authenticated request also makes the
# revocation-list lookup.
TOKEN=$("$BIN/mint-jwt" --secret "$SECRET" --kid bench-1 --iss iam --aud idp-management --ttl-secs 7200 \
  --claims "{\"application\":\"$APP\",\"actor\":\"bench-console\",\"permissions\":[\"idp:read\",\"idp:write\"],\"jti\":\"bench-$(date +%s)\"}")

BIND_ADDR=127.0.0.1:$PORT "$BIN/idp-management" --config "$WORK/config.toml" >/tmp/idp-management-bench.log 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true; wait $PID 2>/dev/null || true; rm -rf "$WORK"' EXIT
for _ in $(seq 1 60); do curl -fsS http://127.0.0.1:$PORT/readyz >/dev/null 2>&1 && break; sleep 0.5; done

# Seed 20 providers through the API (one list PUT): 8 ENABLED+PUBLIC (4 OIDC, 4 OAuth2 with a sealed secret),
# 4 ENABLED+APPLICATION, 4 DISABLED+PUBLIC, 4 ENABLED+HIDDEN. The public setup lists the 8.
python3 - "$WORK/providers.txt" >"$WORK/seed.json" <<'PY'
import json, sys
states = [("ENABLED", "PUBLIC")] * 8 + [("ENABLED", "APPLICATION")] * 4 \
    + [("DISABLED", "PUBLIC")] * 4 + [("ENABLED", "HIDDEN")] * 4
rows = [(f"idp-{i:02d}", "OIDC" if i % 2 == 0 else "OAUTH2_AUTH_CODE", *states[i]) for i in range(20)]
body = []
for key, kind, status, visibility in rows:
    p = {"key": key, "subjectPoolKey": "pool-1", "name": f"IdP {key}", "description": f"seeded provider {key}",
         "type": kind, "status": status, "visibility": visibility,
         "additionalConfigEntries": [{"type": "button-color", "value": "blue"}]}
    if kind == "OIDC":
        p["oidcConfig"] = {"issuer": f"https://login.{key}.example.com", "audience": "console",
                           "usernameMapping": {"attribute": "email"},
                           "nameMapping": {"attribute": "name", "syncOption": "ONCE"}}
    else:
        p["oauth2Config"] = {"clientId": f"client-{key}", "clientSecret": f"secret-of-{key}-0123456789",
                             "authorizeUrl": "https://accounts.example.com/auth",
                             "tokenUrl": "https://oauth.example.com/token",
                             "userInfoUrl": "https://oauth.example.com/userinfo",
                             "subjectMapping": {"attribute": "sub"}, "clientIdMapping": {"attribute": "aud"}}
    body.append(p)
open(sys.argv[1], "w").write("".join(f"{k}|{t}|{s}|{v}\n" for k, t, s, v in rows))
print(json.dumps(body))
PY
SEED_STATUS=$(curl -sS -o /dev/null -w '%{http_code}' -X PUT -H "authorization: Bearer $TOKEN" \
  -H 'content-type: application/json' --data-binary @"$WORK/seed.json" \
  http://127.0.0.1:$PORT/idp/v1/applications/$APP/identity-providers)
[ "$SEED_STATUS" = 204 ] || { echo "seeding answered $SEED_STATUS" >&2; tail -20 /tmp/idp-management-bench.log >&2; exit 1; }
# One PUT without If-Match, checked before the load: it must be accepted (204, unconditional write).
PROBE=$(curl -sS -o /dev/null -w '%{http_code}' -X PUT -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' \
  -d '{"subjectPoolKey":"pool-1","type":"OIDC","status":"ENABLED","visibility":"PUBLIC","oidcConfig":{"issuer":"https://login.idp-00.example.com","audience":"console"}}' \
  http://127.0.0.1:$PORT/idp/v1/applications/$APP/identity-providers/idp-00)
[ "$PROBE" = 204 ] || { echo "PUT without If-Match answered $PROBE" >&2; exit 1; }
SETUP_COUNT=$(curl -fsS http://127.0.0.1:$PORT/idp/v1/applications/$APP/public-identity-provider-setup |
  python3 -c 'import json,sys; print(len(json.load(sys.stdin)["identityProviders"]))')

# Write floor: the statements one single-provider PUT of an existing provider commits, as raw SQL (bump the
# application's change id under its row lock, read the provider, upsert it, read the public set, two outbox rows).
WRITE_SQL="$WORK/put.sql"
cat >"$WRITE_SQL" <<SQL
\set k random(0, 19)
BEGIN;
UPDATE applications SET change_id = change_id + 1 WHERE application_id = '$APP' RETURNING change_id;
SELECT * FROM identity_providers WHERE application_id = '$APP' AND key = 'idp-' || lpad(:k::text, 2, '0');
UPDATE identity_providers SET config = jsonb_set(config, '{description}', to_jsonb('raw ' || random())),
  last_modified_at = now(), change_id = change_id + 1
  WHERE application_id = '$APP' AND key = 'idp-' || lpad(:k::text, 2, '0') RETURNING *;
SELECT * FROM identity_providers WHERE application_id = '$APP' AND status = 'ENABLED' AND visibility = 'PUBLIC' ORDER BY key;
INSERT INTO outbox (event_id, event_type, subject, envelope) VALUES (gen_random_uuid(), 'bench.raw', 'x', '{"data":{}}'),
  (gen_random_uuid(), 'bench.raw', 'y', '{"data":{}}');
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
  echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "PROVIDERS 20 PUBLIC_SETUP_ENTRIES $SETUP_COUNT SEED_STATUS $SEED_STATUS PUT_WITHOUT_IF_MATCH $PROBE"
  echo "RSS_IDLE $RSS_IDLE"
  for run in $(seq 1 "$RUNS"); do
    echo "== run $run"
    rm -f /tmp/pgbench_log.*
    (cd /tmp && pgbench $PG -S -M prepared -c $CONNS -j 2 -T "$DURATION" -l --log-prefix=/tmp/pgbench_log pgbench_bench 2>&1) |
      grep -E '^tps|latency average' | sed 's/^/PGBENCH /'
    echo "PGBENCH_P99_MS $(cat /tmp/pgbench_log.* | awk '{print $3}' | sort -n | awk '{a[NR]=$1} END {print a[int(NR*0.99)]/1000}')"
    (cd /tmp && pgbench $PG -n -M prepared -c $CONNS -j 2 -T "$DURATION" -f "$WRITE_SQL" $DB 2>&1) |
      grep -E '^tps' | sed 's/^/PGWRITE /'
    APP=$APP sample_rss wrk -t2 -c$CONNS -d"${DURATION}s" --latency -s bench/lua/get_public_setup.lua \
      http://127.0.0.1:$PORT | sed 's/^/GET /'
    BEFORE=$(psql $PG -d $DB -Atc "SELECT change_id FROM applications WHERE application_id = '$APP'")
    RUN=$run-$RANDOM APP=$APP TOKEN=$TOKEN PROVIDERS_FILE="$WORK/providers.txt" sample_rss wrk -t2 -c$CONNS -d"${DURATION}s" \
      --latency -s bench/lua/put_idp.lua http://127.0.0.1:$PORT | sed 's/^/PUT /'
    AFTER=$(psql $PG -d $DB -Atc "SELECT change_id FROM applications WHERE application_id = '$APP'")
    echo "PUT_CHANGE_IDS_CONSUMED $((AFTER - BEFORE))"
  done
  echo "PROVIDERS_AT_END $(psql $PG -d $DB -Atc "SELECT count(*) FROM identity_providers WHERE application_id = '$APP'")"
  echo "OUTBOX_PENDING_AT_END $(psql $PG -d $DB -Atc 'SELECT count(*) FROM outbox WHERE delivered_at IS NULL')"
  echo "OUTBOX_TOTAL $(psql $PG -d $DB -Atc 'SELECT count(*) FROM outbox')"
  echo "SERVICE_LOG_ERRORS $(grep -ci 'error' /tmp/idp-management-bench.log || true)"
} | tee "$OUT"
python3 bench/summarize_kinds.py "$OUT" \
  "GET=GET .../public-identity-provider-setup (8 of 20 providers public)" \
  "PUT=PUT .../identity-providers/{key} (replace, 20 keys round-robin)" \
  --write-label "raw SQL of that PUT (pgbench -f)" --floor PUT
