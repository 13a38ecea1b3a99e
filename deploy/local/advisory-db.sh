#!/usr/bin/env bash
# Prepares the RustSec advisory database where deny.toml's `[advisories] db-path` points, for cargo-deny run
# offline (`--offline`: this machine, and CI which runs on it, cannot reach the database's home on GitHub).
#
# Where it comes from: a git copy of github.com/rustsec/advisory-db, `ADVISORY_DB_GIT` (a bare or normal git
# dir), by default the snapshot the session tooling fetches to /work/.mirror/rustsec+advisory-db/repo. The
# checkout is re-created from that copy whenever the copy's `main` moved, and reused as it is when the copy is
# gone. With neither, this fails naming what is missing: advisories are then NOT checked, and CI says so.
#
# Its age: the checkout's FETCH_HEAD is dated to the database's last commit, so cargo-deny's staleness limit
# (`maximum-db-staleness` in deny.toml) measures how old the advisories are, not when they were copied here.
# Prints the checkout's path; says on stderr which commit, of when, how many days old.
set -euo pipefail
root="$HOME/.cache/identity-suite/advisory-dbs" # = deny.toml's db-path
# cargo-deny 0.20.2's directory for the default database URL (`advisory-db-` + the XXH64 of the URL).
db="$root/advisory-db-3157b0e258782691"
source="${ADVISORY_DB_GIT:-/work/.mirror/rustsec+advisory-db/repo}"

if git --git-dir="$source" rev-parse --verify --quiet refs/heads/main >/dev/null 2>&1; then
  wanted=$(git --git-dir="$source" rev-parse refs/heads/main)
  have=$(git -C "$db" rev-parse HEAD 2>/dev/null || true)
  if [[ "$have" != "$wanted" ]]; then
    echo "advisory-db: checking out $wanted from $source into $db" >&2
    mkdir -p "$root"
    rm -rf "$db.new"
    git clone --quiet --depth 1 --branch main --single-branch "file://$source" "$db.new" >&2
    rm -rf "$db"
    mv "$db.new" "$db"
  fi
elif [[ -d "$db/crates" ]]; then
  echo "advisory-db: no git copy at $source (set ADVISORY_DB_GIT); using the checkout already in $db" >&2
else
  cat >&2 <<MSG
advisory-db: MISSING. No RustSec advisory database at $db and no git copy of it to make one from at
  $source (set ADVISORY_DB_GIT to a clone of github.com/rustsec/advisory-db, or fetch
  github:rustsec/advisory-db with the session's fetch tool). Known vulnerabilities are NOT being checked.
MSG
  exit 1
fi

commit=$(git -C "$db" rev-parse HEAD)
epoch=$(git -C "$db" show -s --format=%ct HEAD)
printf '%s\t\tbranch %s of %s\n' "$commit" "'main'" "$source" >"$db/.git/FETCH_HEAD"
touch -d "@$epoch" "$db/.git/FETCH_HEAD"
age=$((($(date +%s) - epoch) / 86400))
echo "advisory-db: $commit of $(date -u -d "@$epoch" +%Y-%m-%d) ($age days old)" >&2
echo "$db"
