#!/usr/bin/env bash
# Builds the fuzz targets (fuzz/, cargo-fuzz layout) and runs each for a bounded time, printing per target the
# executions, seconds, coverage (libFuzzer's `cov` edges and `ft` features), corpus size and crashes.
#
#   deploy/local/fuzz.sh [--seconds N] [TARGET...]   fuzz each target (default: all) for N seconds (default 90)
#   deploy/local/fuzz.sh --replay [TARGET...]         run each target once over its committed seeds and
#                                                     regressions, no fuzzing (-runs=0): the CI check
#
# The toolchain is stable: cargo-fuzz passes nightly-only flags (-Zsanitizer=address and the sanitizer-coverage
# options), which stable rustc takes under RUSTC_BOOTSTRAP=1 (set here only, for this build). AddressSanitizer
# works this way (the stable toolchain ships its runtime), so the targets are built with it: a Rust parser has no
# unsafe code of its own, but the C underneath (aws-lc behind jsonwebtoken) and any unsafe in dependencies is
# checked too. `--codegen-units 16` keeps the build of the three services' dependencies within minutes, for a
# slightly slower fuzzer. The build has its own target dir (FUZZ_TARGET_DIR), never the workspace's: its flags
# differ, so sharing one would rebuild both every time.
#
# Inputs: fuzz/seeds/<target> (committed, from the tests' real examples) and fuzz/regressions/<target> (every
# crash found, kept), read-only; the corpus libFuzzer grows goes to fuzz/corpus/<target> (ignored by git) and a
# crash to fuzz/artifacts/<target>. Exit status 1 when any target crashed or failed to run.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=90
replay=false
targets=()
while (($#)); do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --replay) replay=true; shift ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) targets+=("$1"); shift ;;
  esac
done
fuzz="${CARGO_FUZZ:-$(deploy/local/cargo-fuzz.sh)}"
export RUSTC_BOOTSTRAP=1
export CARGO_TARGET_DIR="${FUZZ_TARGET_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/identity-suite/target-fuzz}"
# Leaks are not failures here: the targets keep their verifiers in statics, which LeakSanitizer would report.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0}"
build=(-s address --codegen-units 16)
cd fuzz
if ((${#targets[@]} == 0)); then
  mapfile -t targets < <("$fuzz" list)
fi
"$fuzz" build "${build[@]}" >&2
failed=0
printf '%-14s %10s %8s %7s %7s %6s %8s %s\n' target execs seconds cov ft corpus rss_mb crashes
for t in "${targets[@]}"; do
  dirs=()
  for d in seeds/"$t" regressions/"$t"; do
    [[ -d "$d" ]] && dirs+=("$d")
  done
  log="$(mktemp)"
  start=$(date +%s%N)
  if $replay; then
    # A scratch first directory: libFuzzer writes what it keeps into the first one, never into the seeds.
    scratch="$(mktemp -d)"
    status=0
    "$fuzz" run "${build[@]}" "$t" "$scratch" "${dirs[@]}" -- -runs=0 -print_final_stats=1 >"$log" 2>&1 || status=$?
    rm -rf "$scratch"
  else
    mkdir -p corpus/"$t"
    status=0
    "$fuzz" run "${build[@]}" "$t" corpus/"$t" "${dirs[@]}" -- \
      -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 >"$log" 2>&1 || status=$?
  fi
  elapsed=$(awk -v a="$start" -v b="$(date +%s%N)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }')
  stat() { sed -n "s/^stat::$1: *//p" "$log" | tail -1; }
  last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
  field() { sed -n "s/.* $1: \([0-9]*\).*/\1/p" <<<"$last"; }
  crashes=0
  if ((status != 0)); then
    crashes=1
    failed=1
    grep -E -A1 'panicked at|ERROR: AddressSanitizer|ERROR: libFuzzer|Test unit written to|^error(\[|:)' "$log" | head -8 >&2 || true
  fi
  printf '%-14s %10s %8s %7s %7s %6s %8s %s\n' "$t" "$(stat number_of_executed_units)" "$elapsed" \
    "$(field cov)" "$(field ft)" "$(field corp | cut -d/ -f1)" "$(stat peak_rss_mb)" "$crashes"
  rm -f "$log"
done
exit "$failed"
