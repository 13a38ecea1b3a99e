#!/usr/bin/env bash
# Generates the secrets docker-compose.yml reads, into deploy/compose/secrets/ (git-ignored, directory mode 700):
# database and broker passwords, the connection URLs, identity's function key, HS256 JWT keys and AES-256-GCM
# sealing keys for idp-management and provider-connection, and README.txt with a demo token and curl per service.
# Existing files are kept (rotate by deleting them); --force regenerates everything.
set -euo pipefail
cd "$(dirname "$0")/../.."
dir=deploy/compose/secrets
mkdir -p "$dir" && chmod 700 "$dir"
if [[ "${1:-}" != "--force" && -f "$dir/postgres.env" ]]; then
  echo "make-secrets: $dir already populated (use --force to regenerate)" >&2
  exit 0
fi
random() { head -c 48 /dev/urandom | base64 | tr -d '\n/+=' | head -c "${1:-40}"; }
key32() { head -c 32 /dev/urandom | base64 | tr -d '\n'; }
pg="$(random)" mq="$(random)" fkey="$(random 32)" idp_jwt="$(random 48)" pc_jwt="$(random 48)"
# Files are 0644 so the container's non-root user can read its bind-mounted copy; the directory (0700) guards them
# on the host.
umask 022
db() { echo "postgres://postgres:$pg@postgres:5432/$1"; }
amqp="amqp://suite:$mq@rabbitmq:5672/%2f"

printf 'POSTGRES_PASSWORD=%s\n' "$pg" >"$dir/postgres.env"
printf 'RABBITMQ_DEFAULT_USER=suite\nRABBITMQ_DEFAULT_PASS=%s\n' "$mq" >"$dir/rabbitmq.env"

printf 'DATABASE_URL=%s\nAMQP_URL=%s\nIDENTITY__AUTH__FUNCTION_KEYS=%s\n' "$(db identity)" "$amqp" "$fkey" >"$dir/identity.env"

printf 'DATABASE_URL=%s\nAMQP_URL=%s\nIDP_MANAGEMENT__SECRETS__ACTIVE_KEY_ID=k1\nIDP_MANAGEMENT__SECRETS__KEYS__K1=%s\nIDP_MANAGEMENT__REGISTRY__APPLICATIONS=demo-app\n' \
  "$(db idp_management)" "$amqp" "$(key32)" >"$dir/idp-management.env"
cat >"$dir/idp-management.toml" <<TOML
[jwt]
keys = [{ kid = "k1", alg = "HS256", secret = "$idp_jwt" }]
TOML

printf 'DATABASE_URL=%s\nAMQP_URL=%s\nPROVIDER_CONNECTION__SECRETS__ACTIVE_KEY_ID=k1\nPROVIDER_CONNECTION__SECRETS__KEYS__K1=%s\nPROVIDER_CONNECTION__CONSENT__STATE_SECRET=%s\nPROVIDER_CONNECTION__PLATFORM__CLIENT_ID=%s\nPROVIDER_CONNECTION__PLATFORM__CLIENT_SECRET=%s\n' \
  "$(db provider_connection)" "$amqp" "$(key32)" "$(random 48)" \
  "${PLATFORM_CLIENT_ID:-00000000-0000-0000-0000-000000000000}" "${PLATFORM_CLIENT_SECRET:-$(random)}" \
  >"$dir/provider-connection.env"
cat >"$dir/provider-connection.toml" <<TOML
[auth]
keys = [{ kid = "k1", alg = "HS256", secret = "$pc_jwt" }]
TOML

mint() { cargo run -q --release -p security --bin mint-jwt -- "$@" 2>/dev/null || echo "(build crates/security to mint: see docs/OPERATIONS.md)"; }
idp_token="$(mint --secret "$idp_jwt" --kid k1 --iss iam --aud idp-management --ttl-secs 86400 \
  --claims '{"application":"demo-app","actor":"demo-admin","permissions":["idp:read","idp:write"]}')"
pc_token="$(mint --secret "$pc_jwt" --kid k1 --iss https://tenantpilot.local --aud provider-connection --ttl-secs 86400 \
  --claims '{"sub":"demo-member","workspace_id":"demo-workspace","tenants":["demo-tenant"],"capabilities":["provider_connections.view","provider_connections.manage"]}')"
umask 077
cat >"$dir/README.txt" <<TXT
Demo credentials for docker compose (tokens valid 24 h; re-run make-secrets.sh --force for new ones).

curl -s -H 'x-functions-key: $fkey' http://127.0.0.1:8081/api/v1/grouptypes
curl -s -H 'Authorization: Bearer $idp_token' http://127.0.0.1:8082/idp/v1/applications/demo-app/identity-providers
curl -s -H 'Authorization: Bearer $pc_token' http://127.0.0.1:8083/admin/tenants/demo-tenant/audit-records

RabbitMQ management UI: http://127.0.0.1:15672 (user suite, password in rabbitmq.env)
TXT
echo "make-secrets: wrote $dir (see $dir/README.txt)" >&2
