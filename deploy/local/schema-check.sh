#!/usr/bin/env bash
# Fails when a service's committed `src/db/schema.rs` differs from what `diesel print-schema` prints for a
# database migrated from scratch with the shared outbox migration and the service's own migrations.
#   deploy/local/schema-check.sh            check every service (CI)
#   deploy/local/schema-check.sh --write    regenerate the files instead
# Needs the diesel CLI (`diesel` on PATH, or DIESEL=path): `cargo install diesel_cli --no-default-features
# --features postgres`.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
diesel=${DIESEL:-diesel}
write=false
[[ "${1:-}" == "--write" ]] && write=true
server=${TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432}
psql_admin() { psql "$server/postgres" -v ON_ERROR_STOP=1 -qAtc "$1"; }
# A config with no print_schema section, so `migration run` does not rewrite any schema file itself.
plain=$(mktemp --suffix .toml)
trap 'rm -f "$plain"' EXIT
failed=0
for dir in services/*/; do
  service=$(basename "$dir")
  [[ -f "$dir/diesel.toml" ]] || { echo "schema-check: $service has no diesel.toml" >&2; failed=1; continue; }
  db="schema_check_${service//-/_}_$$"
  url="$server/$db"
  psql_admin "DROP DATABASE IF EXISTS \"$db\""
  psql_admin "CREATE DATABASE \"$db\""
  (
    cd /tmp
    "$diesel" migration run --config-file "$plain" --database-url "$url" \
      --migration-dir "$root/crates/persistence/migrations/outbox" >/dev/null
    "$diesel" migration run --config-file "$plain" --database-url "$url" \
      --migration-dir "$root/$dir/migrations" >/dev/null
  )
  generated=$(cd "$dir" && "$diesel" print-schema --config-file diesel.toml --database-url "$url")
  psql_admin "DROP DATABASE \"$db\""
  committed="$dir/src/db/schema.rs"
  if $write; then
    printf '%s\n' "$generated" >"$committed"
    echo "schema-check: wrote $committed"
  elif diff -u "$committed" <(printf '%s\n' "$generated") >/tmp/schema-diff.$$; then
    echo "schema-check: $service schema.rs matches print-schema"
  else
    echo "schema-check: $committed differs from diesel print-schema:" >&2
    cat /tmp/schema-diff.$$ >&2
    failed=1
  fi
  rm -f /tmp/schema-diff.$$
done
exit "$failed"
