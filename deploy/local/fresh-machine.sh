#!/usr/bin/env bash
# The README's two commands on a fresh machine: a clean Debian root filesystem (debootstrap into a folder) with
# nothing added but the Rust toolchain and this checkout, in its own network namespace (its own loopback, so its
# PostgreSQL and RabbitMQ do not meet this machine's; the outside reached through NAT for the package mirror and
# crates.io). Inside, as root, it runs:
#   deploy/local/up.sh      through deploy/local/ci-up.sh, CI's check of it: until every service reports ready,
#                           each printed curl, the docs pages in a browser, then SIGINT as Ctrl-C does
#   deploy/local/test.sh    to the end; its exit status is this script's
# and everything those install (the C toolchain, PostgreSQL, RabbitMQ, Node.js...) they install themselves.
# The record of a run is in docs/DEVELOPING.md ("A fresh machine").
#
#   sudo deploy/local/fresh-machine.sh            # FRESH_ROOT (default /var/tmp/identity-suite-fresh), made anew
#   FRESH_PROFILE=release sudo deploy/local/fresh-machine.sh   # up.sh's own default (release) build; the
#                                                 # default here is dev, so both commands share one build
# Needs root, debootstrap, iproute2 and nftables (installed when missing), and about 12 GB of disk. Bounded:
# FRESH_TIMEOUT seconds (default 5400) for the commands inside. Loopback and the NAT rule only; all removed at exit.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo="$(pwd)"
# shellcheck source=lib/packages.sh
source deploy/local/lib/packages.sh
[[ $(id -u) -eq 0 ]] || { echo "fresh-machine: run as root (debootstrap, namespaces)" >&2; exit 2; }
have_or_install debootstrap "debootstrap" debootstrap
have_or_install nft "nftables (NAT for the fresh machine's namespace)" nftables
have_or_install ip "iproute2" iproute2

root="${FRESH_ROOT:-/var/tmp/identity-suite-fresh}"
suite="${FRESH_SUITE:-bookworm}"
mirror="${FRESH_MIRROR:-http://deb.debian.org/debian}"
profile="${FRESH_PROFILE:-dev}"
limit="${FRESH_TIMEOUT:-5400}"
ns=idsuite-fresh
uplink="$(ip route show default | awk '{print $5; exit}')"
log() { echo "fresh-machine: $(date -u +%H:%M:%S) $*" >&2; }

forward_was="$(sysctl -n net.ipv4.ip_forward)"
cleanup() {
  ip netns del "$ns" 2>/dev/null || true
  ip link del vidsuite0 2>/dev/null || true
  nft delete table ip idsuite_fresh 2>/dev/null || true
  sysctl -qw "net.ipv4.ip_forward=$forward_was" || true
}
trap cleanup EXIT
cleanup

log "debootstrap $suite from $mirror into $root"
rm -rf "$root"
mkdir -p "$root"
started=$(date +%s)
debootstrap --include=ca-certificates "$suite" "$root" "$mirror" >/dev/null
cat >"$root/etc/apt/sources.list" <<EOF
deb $mirror $suite main
deb $mirror $suite-updates main
deb ${mirror%/debian}/debian-security $suite-security main
EOF
log "debootstrap done in $(($(date +%s) - started)) s"

# The machine's identity: a host name that resolves (RabbitMQ's node name needs one), and a resolver.
echo fresh-machine >"$root/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\tfresh-machine\n::1\tlocalhost ip6-localhost\n' >"$root/etc/hosts"
cp /etc/resolv.conf "$root/etc/resolv.conf"
# And the network's own: certificate authorities this machine trusts beyond the distribution's (a network that
# inspects TLS, as this workplace's does, signs crates.io's certificate with one).
if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
  cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
  chroot "$root" update-ca-certificates >/dev/null 2>&1
  log "trusted this machine's local CAs: $(cd /usr/local/share/ca-certificates && echo *.crt)"
fi

# Rust, as rustup installs it: the default toolchain and the cargo/rustup proxies, nothing else of this machine.
rustup_home="${RUSTUP_HOME:-$HOME/.rustup}" cargo_home="${CARGO_HOME:-$HOME/.cargo}"
toolchain="$(rustup default | awk '{print $1}')"
log "adding Rust ($toolchain, from $rustup_home)"
mkdir -p "$root/root/.rustup/toolchains" "$root/root/.cargo/bin"
cp -a "$rustup_home/toolchains/$toolchain" "$root/root/.rustup/toolchains/"
cp -a "$rustup_home/settings.toml" "$root/root/.rustup/"
for link in "$rustup_home"/toolchains/*; do # aliases of it (a pinned version's name)
  [[ -L "$link" && "$(readlink -f "$link")" == "$(readlink -f "$rustup_home/toolchains/$toolchain")" ]] &&
    ln -s "/root/.rustup/toolchains/$toolchain" "$root/root/.rustup/toolchains/$(basename "$link")"
done
cp -a "$cargo_home"/bin/{rustup,cargo,rustc,rustdoc,cargo-clippy,cargo-fmt,rustfmt,clippy-driver} "$root/root/.cargo/bin/" 2>/dev/null || true
echo '. "$HOME/.cargo/env"' >>"$root/root/.profile"
printf 'export PATH="$HOME/.cargo/bin:$PATH"\n' >"$root/root/.cargo/env"

log "copying the checkout (committed files of $(git rev-parse --short HEAD))"
git clone -q --no-hardlinks "$repo" "$root/root/identity-suite"

log "network namespace $ns, NAT through $uplink"
ip netns add "$ns"
ip link add vidsuite0 type veth peer name vidsuite1
ip link set vidsuite1 netns "$ns"
ip addr add 10.213.7.1/30 dev vidsuite0
ip link set vidsuite0 up
ip -n "$ns" addr add 10.213.7.2/30 dev vidsuite1
ip -n "$ns" link set vidsuite1 up
ip -n "$ns" link set lo up
ip -n "$ns" route add default via 10.213.7.1
sysctl -qw net.ipv4.ip_forward=1
nft add table ip idsuite_fresh
nft 'add chain ip idsuite_fresh post { type nat hook postrouting priority 100; }'
nft add rule ip idsuite_fresh post ip saddr 10.213.7.0/30 oifname "$uplink" masquerade

# Inside: the two commands, as a newcomer types them; the first as CI runs it (deploy/local/ci-up.sh: up.sh until
# every service is ready, each printed curl, the docs pages in headless Chromium, then SIGINT and a clean stop).
inner=$(cat <<'INNER'
set -euo pipefail
. "$HOME/.profile"
cd "$HOME/identity-suite"
echo "== the machine: $(. /etc/os-release; echo "$PRETTY_NAME"), $(rustc --version)"
for c in cc psql pg_ctlcluster rabbitmq-server node npm; do
  printf '   %-16s %s\n' "$c" "$(command -v "$c" || echo 'not installed')"
done
echo "== deploy/local/up.sh, as CI runs it (deploy/local/ci-up.sh, IDENTITY_SUITE_PROFILE=$FRESH_PROFILE)"
t0=$(date +%s)
set +e
IDENTITY_SUITE_PROFILE="$FRESH_PROFILE" deploy/local/ci-up.sh >/tmp/up.out 2>&1
rc=$?
set -e
grep -E '^(installing|node.sh|ensure-infra|ci-up|docs-browser)|^[a-z-]+ ready on|stopped cleanly' /tmp/up.out |
  sed -E 's/  API docs.*//; s/^/   /'
echo "   ci-up.sh exit $rc after $(($(date +%s) - t0)) s"
[[ $rc -eq 0 ]] || { tail -n 60 /tmp/up.out; exit 1; }
echo "== deploy/local/test.sh"
t0=$(date +%s)
set +e
deploy/local/test.sh >/tmp/test.out 2>&1
rc=$?
set -e
grep -E '^installing|^node.sh' /tmp/test.out | sed 's/^/   /' || true
grep -E '^test result:' /tmp/test.out | awk '{p+=$4; f+=$6; i+=$8} END {printf "   %d test binaries: %d passed, %d failed, %d ignored\n", NR, p, f, i}'
echo "   test.sh exit $rc after $(($(date +%s) - t0)) s"
[[ $rc -eq 0 ]] || tail -n 60 /tmp/test.out
echo "== afterwards"
for c in cc psql pg_ctlcluster rabbitmq-server node npm; do
  printf '   %-16s %s\n' "$c" "$(command -v "$c" || echo 'not installed')"
done
exit $rc
INNER
)
log "running the two commands inside (timeout ${limit}s)"
set +e
ip netns exec "$ns" unshare --mount --uts --pid --fork --kill-child bash -c '
  set -e
  root=$1
  hostname fresh-machine
  mount -t proc proc "$root/proc"
  mount -t sysfs sys "$root/sys"
  mount --rbind /dev "$root/dev"
  mount -t tmpfs tmpfs "$root/run"
  exec timeout "$2" chroot "$root" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 FRESH_PROFILE="$3" \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin /bin/bash -c "$4"
' fresh "$root" "$limit" "$profile" "$inner"
rc=$?
set -e
log "exit $rc after $(($(date +%s) - started)) s in all"
exit $rc
