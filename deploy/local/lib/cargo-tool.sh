# A pinned tool from crates.io, installed once into the user's cache (sourced, not run):
#   source deploy/local/lib/cargo-tool.sh
#   cargo_tool BINARY CRATE VERSION [cargo install options...]   # prints the binary's path
# Reused while `BINARY --version` names VERSION; otherwise `cargo install --locked` builds it (minutes, once).
cargo_tool() {
  local name=$1 crate=$2 version=$3 root bin
  shift 3
  root="${XDG_CACHE_HOME:-$HOME/.cache}/identity-suite/tools"
  bin="$root/bin/$name"
  if ! { [[ -x "$bin" ]] && "$bin" --version 2>/dev/null | grep -q "$version"; }; then
    echo "$name: installing $crate $version into $root (once)" >&2
    cargo install "$crate" --version "$version" --locked --root "$root" "$@" >&2
  fi
  echo "$bin"
}
