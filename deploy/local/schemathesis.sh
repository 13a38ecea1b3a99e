#!/usr/bin/env bash
# Schemathesis against each running service, from its specs/ file (docs/RELIABILITY.md, "Schemathesis").
#
# Starts the whole system with deploy/local/up.sh (fresh databases of this run, fresh demo keys; ports moved by
# IDENTITY_SUITE_PORT_OFFSET so it runs beside a system on the default ports), seeds a few resources through the
# API, then runs `st run` per service with valid credentials: every check, positive and negative data, every phase
# (examples, coverage, fuzzing, stateful, the last following the specs' OpenAPI links). What the tool cannot read
# from a spec (NDJSON, a filter for its mislabeled cases) is in deploy/local/schemathesis-hooks.py. Exits non-zero
# on any failure or error. Stops the system with SIGINT and drops its databases whatever happens.
#
#   deploy/local/schemathesis.sh                 # the CI run: bounded example budget (ST_MAX_EXAMPLES, default 12)
#   FULL=1 deploy/local/schemathesis.sh          # the documented longer run: 300 examples per operation
#   ST_SERVICES="identity" deploy/local/schemathesis.sh   # one service
#
# The pinned schemathesis is installed once into ~/.cache/identity-suite/tools/schemathesis (a venv) and reused.
# Reports (JUnit, NDJSON) land in $ST_REPORT_DIR (default: a temporary directory, kept and printed on failure).
set -euo pipefail
cd "$(dirname "$0")/../.."

SCHEMATHESIS_VERSION=4.32.5
tools="${IDENTITY_SUITE_TOOLS:-$HOME/.cache/identity-suite/tools}"
venv="$tools/schemathesis"
st="$venv/bin/st"
if [[ ! -x "$st" ]] || [[ "$("$st" --version 2>/dev/null)" != "st, version $SCHEMATHESIS_VERSION" ]]; then
  echo "schemathesis: installing schemathesis $SCHEMATHESIS_VERSION into $venv" >&2
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION" >&2
fi

if [[ -n "${FULL:-}" ]]; then
  max_examples="${ST_MAX_EXAMPLES:-300}"
else
  max_examples="${ST_MAX_EXAMPLES:-12}"
fi
seed="${ST_SEED:-$RANDOM}"
# One worker: with two threads, Hypothesis' lambda descriptions (its `ast` parsing, which CPython 3.11 does not
# make thread-safe) now and then crash the coverage phase ("AST constructor recursion depth mismatch", a
# KeyError in its source cache), a tool error that would make CI red at random.
workers="${ST_WORKERS:-1}"
offset="${IDENTITY_SUITE_PORT_OFFSET:-10000}"
export IDENTITY_SUITE_PORT_OFFSET="$offset"
port_identity=$((8081 + offset)) port_idp=$((8082 + offset)) port_pc=$((8083 + offset))
selected="${ST_SERVICES:-identity idp-management provider-connection}"

work="$(mktemp -d)"
report_dir="${ST_REPORT_DIR:-$work/reports}"
mkdir -p "$report_dir"
out="$work/up.out"
export IDENTITY_SUITE_RUN_DIR="$work/run"
# Not `_test_<hex>`: deploy/local/test.sh sweeps those (a test run starting beside this one would drop them).
suffix="_st_$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export IDENTITY_SUITE_DATABASE_SUFFIX="$suffix"
up=""
cleanup() {
  if [[ -n "$up" ]] && kill -0 "$up" 2>/dev/null; then
    stop_system 2>/dev/null || true
  fi
  for name in identity idp-management provider-connection; do
    psql -h 127.0.0.1 -U postgres -d postgres -qc "DROP DATABASE IF EXISTS \"${name//-/_}$suffix\" WITH (FORCE)" >/dev/null 2>&1 || true
  done
}
trap cleanup EXIT
fail() {
  echo "schemathesis: $*" >&2
  tail -n 40 "$out" >&2 || true
  exit 1
}

# The system, as the README's first command starts it (the debug build CI already compiled, unless told).
# Schemathesis sends requests without credentials on purpose, all from 127.0.0.1: the authentication-failure
# limit (http.auth_failure_limit) would soon answer every case 429, so it is off for this run only.
export IDENTITY__HTTP__AUTH_FAILURE_LIMIT=0 IDP_MANAGEMENT__HTTP__AUTH_FAILURE_LIMIT=0 PROVIDER_CONNECTION__HTTP__AUTH_FAILURE_LIMIT=0
# shellcheck source=lib/system.sh
source deploy/local/lib/system.sh
start_system "$out" IDENTITY_SUITE_PROFILE="${IDENTITY_SUITE_PROFILE:-dev}" LOG_FORMAT=json
why="$(await_system "$out")" || fail "$why"

# The credentials up.sh printed; the bearer tokens are minted again from the keys up.sh wrote, the way it does,
# with every permission the specs name (idp-management's admin paths need idp:admin).
while IFS= read -r line; do eval "$line"; done < <(grep -E '^  export [A-Z_]+=' "$out")
bin="${CARGO_TARGET_DIR:-target}/debug"
[[ "${IDENTITY_SUITE_PROFILE:-dev}" == release ]] && bin="${CARGO_TARGET_DIR:-target}/release"
secret_of() { grep -oE 'secret = "[^"]+"' "$IDENTITY_SUITE_RUN_DIR/$1.toml" | head -n 1 | sed -E 's/secret = "(.*)"/\1/'; }
IDP_MANAGEMENT_TOKEN="$("$bin/mint-jwt" --secret "$(secret_of idp-management)" --kid local-1 --iss iam \
  --aud idp-management --ttl-secs 86400 \
  --claims '{"application":"demo-app","actor":"schemathesis","permissions":["idp:read","idp:write","idp:admin"]}')"
export IDENTITY_KEY IDP_MANAGEMENT_TOKEN PROVIDER_CONNECTION_TOKEN

# Seeded resources: the fuzzing and coverage phases reach existing rows through these values (besides random
# ones); the stateful phase creates its own through the specs' links.
call() { # expected-status method url [curl args...]
  local expected=$1 method=$2 url=$3 body code
  shift 3
  body="$work/call.out"
  code="$(curl -sS -o "$body" -w '%{http_code}' -X "$method" "$@" "$url")" || fail "seed: curl $method $url"
  [[ "$code" == "$expected" ]] || fail "seed: $method $url answered $code, not $expected: $(head -c 400 "$body")"
  cat "$body"
}
json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
id_api="http://127.0.0.1:$port_identity/api/v1"
idk=(-H "x-functions-key: $IDENTITY_KEY" -H 'content-type: application/json')
grouptype="$(call 201 POST "$id_api/grouptypes" "${idk[@]}" -d '{"name":"CUSTOMER"}' | json '["id"]')"
group="$(call 201 POST "$id_api/groups" "${idk[@]}" -d "{\"name\":\"Customer Account 12\",\"typeid\":$grouptype,\"localid\":\"123456789AB\"}" | json '["id"]')"
permission="$(call 201 POST "$id_api/permissions" "${idk[@]}" -d '{"name":"Act on behalf of"}' | json '["id"]')"
user="398d87be-0741-48ec-a8ab-dcffa48acc21"
call 200 POST "$id_api/b2c/token" "${idk[@]}" -d "{\"objectId\":\"$user\",\"email\":\"test.user@cfsbrands.dev\",\"identities\":[{\"signInType\":\"federated\",\"issuer\":\"google.com\",\"issuerAssignedId\":\"123456789\"}],\"givenName\":\"Test\",\"surname\":\"User\",\"country\":\"US\",\"step\":\"PreTokenIssuance\",\"client_id\":\"3e945e86-81cb-4736-a81e-ee85cffdcdf6\"}" >/dev/null
call 201 POST "$id_api/users/$user/groups/$group/permissions/$permission" "${idk[@]}" >/dev/null

idp_api="http://127.0.0.1:$port_idp/idp/v1"
idpk=(-H "Authorization: Bearer $IDP_MANAGEMENT_TOKEN" -H 'content-type: application/json')
call 204 PUT "$idp_api/applications/demo-app/identity-providers/idp-1" "${idpk[@]}" \
  -d '{"subjectPoolKey":"cognito-pool-1","name":"Demo OIDC","type":"OIDC","status":"ENABLED","visibility":"PUBLIC","oidcConfig":{"issuer":"https://issuer.example.com","audience":"demo-app"}}' >/dev/null

pc_api="http://127.0.0.1:$port_pc/admin"
pck=(-H "Authorization: Bearer $PROVIDER_CONNECTION_TOKEN" -H 'content-type: application/json')
connection="$(call 201 POST "$pc_api/tenants/demo-tenant/provider-connections" "${pck[@]}" \
  -d '{"provider":"microsoft","entra_tenant_id":"11111111-2222-3333-4444-555555555555","display_name":"Demo tenant"}' | json '["id"]')"
dedicated="$(call 201 POST "$pc_api/tenants/demo-tenant/provider-connections" "${pck[@]}" \
  -d '{"provider":"microsoft","entra_tenant_id":"22222222-3333-4444-5555-666666666666","display_name":"Dedicated tenant","is_default":false,"connection_type":"dedicated","dedicated_credential":{"credential_kind":"client_secret","client_id":"33333333-4444-5555-6666-777777777777","client_secret":"demo-secret"}}' | json '["id"]')"
run="$(call 202 POST "$pc_api/provider-connections/$connection/verification" "${pck[@]}" | json '["operation_run_id"]')"
echo "schemathesis: seeded identity (group type $grouptype, group $group, permission $permission, user $user)," \
  "idp-management (demo-app/idp-1), provider-connection (connections $connection, $dedicated; run $run)" >&2

# One config per service: the credentials (by security scheme, so ignored_auth knows which one is ours) and the
# seeded values, offered beside generated ones.
config() { # service
  case "$1" in
    identity) cat <<TOML
[auth.openapi.FunctionKeyHeader]
api_key = "\${IDENTITY_KEY}"

[dictionaries]
useroid = { values = ["$user"] }
groupid = { values = ["$group"] }
permissionid = { values = ["$permission"] }
grouptypeid = { values = [$grouptype] }
localid = { values = ["123456789AB"] }
name = { values = ["Customer Account 12"] }

[parameters]
"path.useroid" = { dictionary = "useroid", probability = 0.5 }
"path.groupid" = { dictionary = "groupid", probability = 0.5 }
"path.permissionid" = { dictionary = "permissionid", probability = 0.5 }
"path.grouptypeid" = { dictionary = "grouptypeid", probability = 0.5 }
"path.localid" = { dictionary = "localid", probability = 0.5 }
"path.name" = { dictionary = "name", probability = 0.5 }

# The Microsoft Graph operations: no Graph is configured here (nor reachable), so every request the server
# accepts is the documented 503 "Microsoft Graph is not configured". Only that status is allowed besides the
# defaults, only for these three operations; every other check applies (docs/RELIABILITY.md, "Schemathesis").
[[operations]]
include-operation-id = ["B2CGetUserDetails", "AADGetUserDetails", "GetOrCreateUserByEmail"]
checks.not_a_server_error.expected-statuses = ["2xx", "3xx", "4xx", "503"]
TOML
    ;;
    idp-management) cat <<TOML
[auth.openapi.iam-console-token]
bearer = "\${IDP_MANAGEMENT_TOKEN}"

[dictionaries]
application = { values = ["demo-app"] }
key = { values = ["idp-1"] }

[parameters]
"path.application-expression" = { dictionary = "application", probability = 0.8 }
"path.identity-provider-key" = { dictionary = "key", probability = 0.5 }
TOML
    ;;
    provider-connection) cat <<TOML
[auth.openapi.memberToken]
bearer = "\${PROVIDER_CONNECTION_TOKEN}"

[dictionaries]
tenant = { values = ["demo-tenant"] }
connection = { values = [$connection, $dedicated] }
run = { values = [$run] }

[parameters]
"path.tenant" = { dictionary = "tenant", probability = 0.8 }
"path.connection" = { dictionary = "connection", probability = 0.6 }
"path.run" = { dictionary = "run", probability = 0.6 }

# The confirmation header must name the path's connection, which no schema can say; a value naming another
# connection, or none, is the documented 428 (x-extension-notes.confirmation). So for these two operations only,
# 428 is an accepted answer to schema-valid data and the expected answer to a missing header.
[[operations]]
include-name = ["PUT /provider-connections/{connection}/connection-type", "DELETE /provider-connections/{connection}/dedicated-credential"]
checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", "401", "403", "404", "409", "428", "429", "5xx"]
checks.missing_required_header.expected-statuses = [428]
TOML
    ;;
  esac
}

# Each service's API operations from its base URL; identity's and provider-connection's operational paths are at
# the root (their path-level `servers: [{url: /}]`), which --url would override, so they run from the root.
declare -A base=(
  [identity]="http://127.0.0.1:$port_identity/api/v1"
  [idp-management]="http://127.0.0.1:$port_idp"
  [provider-connection]="http://127.0.0.1:$port_pc/admin"
)
declare -A root=(
  [identity]="http://127.0.0.1:$port_identity"
  [idp-management]=""
  [provider-connection]="http://127.0.0.1:$port_pc"
)
operational='^/(healthz|readyz|metrics|openapi\.yaml|openapi\.json|docs)$'

failed=()
run_st() { # label config base-url filter-args...
  local label=$1 cfg=$2 url=$3 started code=0 phases=examples,coverage,fuzzing,stateful
  # No operational path links to another, so their run has no stateful phase (schemathesis calls that an error).
  [[ "$label" == *:operational ]] && phases=examples,coverage,fuzzing
  shift 3
  started=$(date +%s)
  echo "== schemathesis $label (max-examples $max_examples, seed $seed)"
  SCHEMATHESIS_HOOKS=deploy/local/schemathesis-hooks.py "$st" --config-file "$cfg" run "specs/${label%%:*}.yaml" --url "$url" \
    --checks all --mode all --phases "$phases" \
    --max-examples "$max_examples" --seed "$seed" --workers "$workers" --no-color \
    --generation-database none --request-timeout 10 \
    --report junit,ndjson --report-dir "$report_dir" \
    --report-junit-path "$report_dir/${label//:/-}.junit.xml" \
    --report-ndjson-path "$report_dir/${label//:/-}.ndjson" \
    "$@" || code=$?
  echo "== schemathesis $label: exit $code in $(($(date +%s) - started)) s"
  [[ $code -eq 0 ]] || failed+=("$label")
}

for name in $selected; do
  cfg="$work/$name.toml"
  config "$name" >"$cfg"
  if [[ -n "${root[$name]}" ]]; then
    run_st "$name" "$cfg" "${base[$name]}" --exclude-path-regex "$operational"
    run_st "$name:operational" "$cfg" "${root[$name]}" --include-path-regex "$operational"
  else
    run_st "$name" "$cfg" "${base[$name]}"
  fi
done

if [[ ${#failed[@]} -gt 0 ]]; then
  echo "schemathesis: failures in ${failed[*]} (seed $seed; reports in $report_dir; service logs below)" >&2
  for log in "$IDENTITY_SUITE_RUN_DIR"/*.log; do
    [[ -f "$log" ]] && { echo "---- $log (last 20 lines) ----" >&2; tail -n 20 "$log" >&2; }
  done
  trap - EXIT
  cleanup
  exit 1
fi
echo "schemathesis: every service passed (seed $seed)"
trap - EXIT
cleanup
[[ -n "${ST_REPORT_DIR:-}" ]] || rm -rf "$work"
