#!/usr/bin/env bash
# Makes sure PostgreSQL (127.0.0.1:5432) and RabbitMQ (127.0.0.1:5672) answer, starting the machine's own
# instances if they are down. Used by the local start command, the test command and CI.
set -euo pipefail

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_for() { # name port seconds
  for _ in $(seq 1 "$3"); do port_open "$2" && return 0; sleep 1; done
  echo "ensure-infra: $1 did not come up on 127.0.0.1:$2" >&2
  return 1
}

if ! port_open 5432; then
  echo "ensure-infra: starting PostgreSQL" >&2
  if command -v pg_ctlcluster >/dev/null; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start
  else
    echo "ensure-infra: PostgreSQL is down and pg_ctlcluster is not installed" >&2; exit 1
  fi
  wait_for PostgreSQL 5432 30
fi

if ! port_open 5672; then
  echo "ensure-infra: starting RabbitMQ" >&2
  if command -v rabbitmq-server >/dev/null; then
    rabbitmq-server -detached
    timeout 60 rabbitmqctl await_startup >/dev/null 2>&1 || true
  else
    echo "ensure-infra: RabbitMQ is down and rabbitmq-server is not installed" >&2; exit 1
  fi
  wait_for RabbitMQ 5672 60
fi
