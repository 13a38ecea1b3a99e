#!/usr/bin/env bash
# Makes this machine able to build and run the suite, installing what is missing where it can; used by the
# local start command, the test command, the benchmarks and CI. On a machine with only Rust it brings:
#   - the build's C toolchain (rustc links with `cc`; ring and aws-lc-sys compile C) and CA certificates (cargo
#     fetches crates over HTTPS);
#   - the PostgreSQL client (`psql`: the scripts create and sweep databases with it) and curl;
#   - PostgreSQL answering on 127.0.0.1:5432 to user `postgres` without a password, and RabbitMQ on
#     127.0.0.1:5672 with guest/guest: the machine's own instances started if they are down; else installed from
#     the distribution's packages; else, when a Docker engine answers, run from deploy/local/infra.compose.yml.
# Packages are installed only as root or with passwordless sudo (deploy/local/lib/packages.sh); otherwise the
# script stops and prints the one command that would install them. It changes nothing on a machine that already
# has all of it running.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=lib/packages.sh
source "$here/lib/packages.sh"

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_for() { # name port seconds
  for _ in $(seq 1 "$3"); do port_open "$2" && return 0; sleep 1; done
  echo "ensure-infra: $1 did not come up on 127.0.0.1:$2" >&2
  return 1
}

have_or_install cc "a C compiler and linker for the build" gcc libc6-dev
[[ -s /etc/ssl/certs/ca-certificates.crt ]] ||
  install_packages "CA certificates (cargo downloads crates over HTTPS)" ca-certificates
have_or_install psql "the PostgreSQL client (the scripts create and sweep databases with psql)" postgresql-client
have_or_install curl "curl (up.sh waits on each service's /readyz with it, and prints curl calls to try)" curl

compose() { # the Compose command of a running Docker engine, if there is one
  command -v docker >/dev/null && docker info >/dev/null 2>&1 || return 1
  if docker compose version >/dev/null 2>&1; then echo "docker compose"; elif command -v docker-compose >/dev/null; then echo docker-compose; else return 1; fi
}

compose_up() { # service...: PostgreSQL and/or RabbitMQ in containers, on the same loopback ports
  local cmd
  cmd="$(compose)" || return 1
  echo "ensure-infra: starting $* with $cmd (deploy/local/infra.compose.yml)" >&2
  $cmd -f "$here/infra.compose.yml" up -d --wait "$@" >&2
}

pg_version() { ls /etc/postgresql 2>/dev/null | sort -V | tail -n1; }

# A cluster this script just installed: loopback connections as any user without a password (the suite's local
# defaults; a development machine). Never done to a PostgreSQL the machine already had.
trust_loopback() {
  local hba
  hba="/etc/postgresql/$(pg_version)/main/pg_hba.conf"
  echo "ensure-infra: $hba: trust for 127.0.0.1 and ::1 (local development only)" >&2
  sed -i -E 's#^(host[[:space:]]+all[[:space:]]+all[[:space:]]+(127\.0\.0\.1/32|::1/128)[[:space:]]+)[^[:space:]]+#\1trust#' "$hba"
}

if ! port_open 5432; then
  if command -v pg_ctlcluster >/dev/null && [[ -n "$(pg_version)" ]]; then
    echo "ensure-infra: starting PostgreSQL" >&2
    pg_ctlcluster --skip-systemctl-redirect "$(pg_version)" main start
  elif can_install_packages; then
    install_packages "PostgreSQL" postgresql
    trust_loopback
    # The package may have started the cluster before its pg_hba.conf changed.
    pg_ctlcluster --skip-systemctl-redirect "$(pg_version)" main stop >/dev/null 2>&1 || true
    pg_ctlcluster --skip-systemctl-redirect "$(pg_version)" main start
  elif ! compose_up postgres; then
    install_packages "PostgreSQL (or a running Docker engine, for deploy/local/infra.compose.yml)" postgresql
    exit 1
  fi
  wait_for PostgreSQL 5432 60
fi
if ! psql -h 127.0.0.1 -U postgres -d postgres -Atqc 'SELECT 1' >/dev/null 2>&1; then
  sleep 2 # a cluster that has just opened its port may still be starting up
  psql -h 127.0.0.1 -U postgres -d postgres -Atqc 'SELECT 1' >/dev/null || {
    echo "ensure-infra: PostgreSQL on 127.0.0.1:5432 does not let user postgres in without a password, as the" \
      "suite's local defaults need (trust on loopback: a line 'host all all 127.0.0.1/32 trust' in pg_hba.conf)" >&2
    exit 1
  }
fi

if ! port_open 5672; then
  if ! command -v rabbitmq-server >/dev/null && can_install_packages; then
    install_packages "RabbitMQ" rabbitmq-server
  fi
  if command -v rabbitmq-server >/dev/null; then
    if ! port_open 5672; then # the package may have started it
      echo "ensure-infra: starting RabbitMQ" >&2
      rabbitmq-server -detached
      timeout 60 rabbitmqctl await_startup >/dev/null 2>&1 || true
    fi
  elif ! compose_up rabbitmq; then
    install_packages "RabbitMQ (or a running Docker engine, for deploy/local/infra.compose.yml)" rabbitmq-server
    exit 1
  fi
  wait_for RabbitMQ 5672 90
fi
