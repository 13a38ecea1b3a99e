# Installing what a local script needs, the same way everywhere (sourced, not run):
#   source deploy/local/lib/packages.sh
#   have_or_install cc "a C compiler (ring, aws-lc-sys)" gcc libc6-dev || exit 1
#
# Debian/Ubuntu packages are installed when the script can: as root, or with passwordless sudo. Otherwise
# nothing is changed and the one command that would install them is printed, and the caller stops. The package
# lists are refreshed once per process before the first install (a fresh machine, or a debootstrap root, has none).

# The apt-get prefix this process may use: "" as root, "sudo -n" with passwordless sudo; fails when neither.
apt_prefix() {
  command -v apt-get >/dev/null || return 1
  if [[ $(id -u) -eq 0 ]]; then
    printf ''
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    printf 'sudo -n'
  else
    return 1
  fi
}

# Whether packages can be installed by this process (root or passwordless sudo, on a Debian/Ubuntu system).
can_install_packages() { apt_prefix >/dev/null; }

_packages_updated=""
# install_packages WHY PKG...: installs PKG... (non-interactively, without recommended extras), or prints the
# command that would and returns 1. WHY says on stderr what they are for.
install_packages() {
  local why=$1 prefix
  shift
  if ! prefix="$(apt_prefix)"; then
    if command -v apt-get >/dev/null; then
      echo "missing: $why. Install it with: sudo apt-get install -y $*" >&2
    else
      echo "missing: $why (Debian/Ubuntu packages: $*; install their equivalent on this system)" >&2
    fi
    return 1
  fi
  echo "installing $why: apt-get install $*" >&2
  if [[ -z "$_packages_updated" ]]; then
    $prefix env DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null || return 1
    _packages_updated=1
  fi
  $prefix env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" >/dev/null
}

# have_or_install COMMAND WHY PKG...: nothing when COMMAND is on PATH, else install_packages WHY PKG....
have_or_install() {
  local command=$1 why=$2
  shift 2
  command -v "$command" >/dev/null && return 0
  install_packages "$why" "$@"
}
