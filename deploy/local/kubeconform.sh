#!/usr/bin/env bash
# Prints the path of a kubeconform binary at the pinned version, building it the first time into the user's cache
# (as deploy/local/cargo-deny.sh does for cargo-deny). kubeconform is a Go program published neither on PyPI nor
# on npm, so it is built from its source at the pinned tag (commit checked) with the Go toolchain on PATH (1.19
# or newer: Debian bookworm's golang-go builds it), offline: its dependencies are vendored in its repository
# (GOFLAGS=-mod=vendor, GOPROXY=off). The source comes from $KUBECONFORM_SRC (a checkout of the tag), else a local
# bare mirror ($MIRROR/yannh+kubeconform/repo), else a shallow clone from GitHub.
set -euo pipefail
version=v0.6.4
commit=817f5b4853dd7c45592cf3d52dc509328b999523
root="${XDG_CACHE_HOME:-$HOME/.cache}/identity-suite/tools"
bin="$root/bin/kubeconform"
if [[ -x "$bin" ]] && [[ "$("$bin" -v 2>/dev/null)" == "$version" ]]; then
  echo "$bin"
  exit 0
fi
# shellcheck source=lib/packages.sh
source "$(dirname "$0")/lib/packages.sh"
have_or_install go "Go (to build kubeconform from its source)" golang-go ca-certificates || exit 1
echo "kubeconform: building kubeconform $version into $root (once)" >&2
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
if [[ -n "${KUBECONFORM_SRC:-}" ]]; then
  cp -r "$KUBECONFORM_SRC/." "$work/"
else
  gitdir="${MIRROR:-/work/.mirror}/yannh+kubeconform/repo"
  if [[ ! -d "$gitdir" ]]; then
    gitdir="$work/kubeconform.git"
    git clone -q --bare --depth 1 --branch "$version" https://github.com/yannh/kubeconform.git "$gitdir"
  fi
  got="$(git --git-dir="$gitdir" rev-parse "$version^{commit}")"
  [[ "$got" == "$commit" ]] || { echo "kubeconform: $version is $got, pinned $commit" >&2; exit 1; }
  # Only what the build needs (the repository's large test fixtures may be absent from a partial mirror).
  git --git-dir="$gitdir" archive "$commit" go.mod go.sum cmd pkg vendor 2>/dev/null | tar -x -C "$work"
fi
[[ -f "$work/go.mod" && -d "$work/vendor" ]] || { echo "kubeconform: incomplete source in $work" >&2; exit 1; }
mkdir -p "$root/bin"
(cd "$work" && GOFLAGS=-mod=vendor GOPROXY=off GOTOOLCHAIN=local CGO_ENABLED=0 GOCACHE="$work/.gocache" \
  go build -trimpath -ldflags="-s -w -X main.version=$version" -o "$bin.tmp" ./cmd/kubeconform)
mv "$bin.tmp" "$bin"
echo "$bin"
