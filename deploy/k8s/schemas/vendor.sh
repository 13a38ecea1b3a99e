#!/usr/bin/env bash
# Regenerates the vendored JSON schemas of the custom resources the overlays use, from the operators' own CRDs at
# pinned release tags, with kubeconform's scripts/openapi2jsonschema.py (at the kubeconform tag
# deploy/local/kubeconform.sh pins). Each tag's commit is checked, so a moved tag fails instead of changing a schema.
# Sources come from a local mirror of bare repositories ($MIRROR/<owner>+<name>/repo) when there is one, else a
# shallow clone from GitHub. Needs git and python3 with PyYAML. Run it after changing a pin; commit the result.
#   deploy/k8s/schemas/vendor.sh
set -euo pipefail
cd "$(dirname "$0")"
MIRROR="${MIRROR:-/work/.mirror}"
# repository tag commit group crd-path...
SOURCES=(
  "cloudnative-pg/cloudnative-pg v1.30.0 4b5e244a7d031f67e025c83c1555e7726ecbbfa1 postgresql.cnpg.io
    config/crd/bases/postgresql.cnpg.io_clusters.yaml config/crd/bases/postgresql.cnpg.io_scheduledbackups.yaml"
  "cloudnative-pg/plugin-barman-cloud v0.14.0 1e13020fe5f09fd8fc29ea03828f7b61375b3721 barmancloud.cnpg.io
    config/crd/bases/barmancloud.cnpg.io_objectstores.yaml"
  "rabbitmq/cluster-operator v2.22.3 03e0b49c077a9c8d926fb4c8cbe2dd0bbdffd539 rabbitmq.com
    config/crd/bases/rabbitmq.com_rabbitmqclusters.yaml"
  "rabbitmq/messaging-topology-operator v1.20.1 bf34d8456e5c44e861d40e265085fe2e9b8d1976 rabbitmq.com
    config/crd/bases/rabbitmq.com_policies.yaml"
)
CONVERTER="yannh/kubeconform v0.6.4 817f5b4853dd7c45592cf3d52dc509328b999523 - scripts/openapi2jsonschema.py"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# gitdir REPO TAG COMMIT: prints a git dir holding TAG at COMMIT.
gitdir() {
  local repo=$1 tag=$2 commit=$3 dir
  dir="$MIRROR/${repo/\//+}/repo"
  if [[ ! -d "$dir" ]]; then
    dir="$tmp/${repo/\//+}.git"
    git clone -q --bare --depth 1 --branch "$tag" "https://github.com/$repo.git" "$dir"
  fi
  local got
  got="$(git --git-dir="$dir" rev-parse "$tag^{commit}")"
  if [[ "$got" != "$commit" ]]; then
    echo "vendor.sh: $repo $tag is $got, pinned $commit" >&2
    exit 1
  fi
  echo "$dir"
}

# shellcheck disable=SC2086
set -- $CONVERTER
git --git-dir="$(gitdir "$1" "$2" "$3")" show "$3:$5" >"$tmp/openapi2jsonschema.py"

for source in "${SOURCES[@]}"; do
  # shellcheck disable=SC2086
  set -- $source
  repo=$1 tag=$2 commit=$3 group=$4
  shift 4
  dir="$(gitdir "$repo" "$tag" "$commit")"
  mkdir -p "$group"
  for crd in "$@"; do
    git --git-dir="$dir" show "$commit:$crd" >"$tmp/crd.yaml"
    # {kind}_{version}.json, lower case, as kubeconform's -schema-location template in deploy/validate.sh expects;
    # every object, the root included, refuses properties its CRD does not declare.
    (cd "$group" && FILENAME_FORMAT='{kind}_{version}' DENY_ROOT_ADDITIONAL_PROPERTIES=1 \
      python3 "$tmp/openapi2jsonschema.py" "$tmp/crd.yaml" | sed "s|^|$repo $tag: |")
  done
done
