#!/usr/bin/env bash
# One run of an endpoint for bench/suite.sh (P6) with oha over 16 connections for DURATION s, JSON into OUT.
# RATE "max:EST" runs as fast as it goes: the maximum, measured by the same generator at the same concurrency
# as the fixed-rate run, so the generator's own cost is inside both (EST, the expected req/s, sizes the bodies'
# file). A number runs at that many requests/s, latency measured from each request's scheduled send time
# (--latency-correction: no coordinated omission). Requests vary as wrk's lua scripts vary them: ids from the
# suite's id files (--urls-from-file), bodies with unique names (-Z: one body per line, picked at random; with
# 100x more lines than requests a name repeats, a 409, in well under 1% of requests, counted in the result).
#
#   oha.sh OHA ENDPOINT RATE|max:EST DURATION OUT WORK BASE KEY TYPEID IDP_TOKEN PC_TOKEN APP PC_TENANTS
set -euo pipefail
oha=$1 e=$2 rate=$3 duration=$4 out=$5 work=$6 base=$7 key=$8 typeid=$9 idp_token=${10} pc_token=${11} app=${12}
tenants=${13}
if [[ $rate == max:* ]]; then
  n=$((${rate#max:} * duration)) # max:EST, EST the expected req/s (wrk's), sizes the bodies' file
  common=(-z "${duration}s" -c 16 --no-tui --output-format json -o "$out")
else
  n=$((rate * duration))
  common=(-q "$rate" -z "${duration}s" -c 16 --latency-correction --no-tui --output-format json -o "$out")
fi
lines=$((n * 100 < 20000 ? 20000 : (n * 100 > 2000000 ? 2000000 : n * 100)))
urls() { sed "s|^|$base$1|" "$work/$2" >"$work/oha-urls.txt"; }
bodies() { python3 - "$e" "$lines" "$typeid" "$work/oha-bodies.txt" "$work/b2c-users.txt" <<'PY'
import json, random, sys, uuid
e, n, typeid, out, users = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
run = uuid.uuid4().hex[:8]
with open(out, "w") as f:
    if e == "post_group":
        for i in range(n):
            f.write(json.dumps({"name": f"bench-rate-{run}-{i}", "typeid": int(typeid), "localid": f"L{i % 100}"}) + "\n")
    elif e == "b2c_token":
        for line in open(users):
            oid, email = line.strip().split("|", 1)
            f.write(json.dumps({"step": "PreTokenIssuance", "client_id": "3e945e86-81cb-4736-a81e-ee85cffdcdf6",
                                "objectId": oid, "email": email, "identities": [], "ui_locales": "en-US"}) + "\n")
    elif e == "idp_put":
        for i in range(n):
            f.write(json.dumps({"subjectPoolKey": "pool-1", "name": "IdP idp-00", "description": f"bench {run} change {i}",
                                "type": "OIDC", "status": "ENABLED", "visibility": "PUBLIC",
                                "oidcConfig": {"issuer": "https://login.idp-00.example.com", "audience": "console",
                                               "usernameMapping": {"attribute": "email"},
                                               "nameMapping": {"attribute": "name", "syncOption": "ONCE"}},
                                "additionalConfigEntries": [{"type": "button-color", "value": "blue"}]}) + "\n")
    elif e == "pc_create":
        for i in range(n):
            f.write(json.dumps({"provider": "microsoft", "entra_tenant_id": str(uuid.uuid4()),
                                "display_name": f"Bench rate {run} {i}"}) + "\n")
PY
}
case $e in
  get_user) urls /api/v1/users/ user-ids.txt
    "$oha" "${common[@]}" -H "x-functions-key: $key" --urls-from-file "$work/oha-urls.txt" ;;
  get_group) urls /api/v1/groups/ group-ids.txt
    "$oha" "${common[@]}" -H "x-functions-key: $key" --urls-from-file "$work/oha-urls.txt" ;;
  list_users) "$oha" "${common[@]}" -H "x-functions-key: $key" "$base/api/v1/users?limit=100&offset=0" ;;
  post_group) bodies
    "$oha" "${common[@]}" -H "x-functions-key: $key" -m POST -T application/json -Z "$work/oha-bodies.txt" "$base/api/v1/groups" ;;
  b2c_token) bodies
    "$oha" "${common[@]}" -H "x-functions-key: $key" -m POST -T application/json -Z "$work/oha-bodies.txt" "$base/api/v1/b2c/token" ;;
  idp_setup) sed "s|.*|$base/idp/v1/applications/&/public-identity-provider-setup|" "$work/apps.txt" >"$work/oha-urls.txt"
    "$oha" "${common[@]}" -H "accept: application/json" --urls-from-file "$work/oha-urls.txt" ;;
  idp_put) bodies
    "$oha" "${common[@]}" -H "authorization: Bearer $idp_token" -m PUT -T application/json -Z "$work/oha-bodies.txt" \
      "$base/idp/v1/applications/$app/identity-providers/idp-00" ;;
  pc_create) bodies
    # The tenants t-000001..t-000064 of the token, one picked at random per request.
    [[ $tenants == t-000001,*t-000064 ]] || { echo "unexpected tenants: $tenants" >&2; exit 1; }
    "$oha" "${common[@]}" -H "authorization: Bearer $pc_token" -m POST -T application/json -Z "$work/oha-bodies.txt" \
      --rand-regex-url "$base/admin/tenants/t-0000(0[1-9]|[1-5][0-9]|6[0-4])/provider-connections" ;;
  pc_get) urls /admin/provider-connections/ connection-ids.txt
    "$oha" "${common[@]}" -H "authorization: Bearer $pc_token" --urls-from-file "$work/oha-urls.txt" ;;
  *) echo "no fixed-rate run for $e" >&2; exit 1 ;;
esac
