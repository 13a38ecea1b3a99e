# The README's first command (deploy/local/up.sh) run by another script, the same way everywhere (sourced):
#   source deploy/local/lib/system.sh
#   start_system OUT [NAME=VALUE...]     # up.sh in the background, its output in OUT; sets $up (its pid)
#   why="$(await_system OUT)" || fail "$why"
#   kill -INT "$up"; wait "$up"          # stop it as Ctrl-C does
# Job control gives up.sh its own process group with SIGINT not ignored, like a terminal's foreground job.
start_system() {
  local out=$1
  shift
  set -m
  env "$@" deploy/local/up.sh >"$out" 2>&1 &
  up=$!
  set +m
}

# Waits (up to 15 minutes) until up.sh says every service is ready; otherwise prints why and fails.
await_system() {
  local out=$1
  for _ in $(seq 1 1800); do
    grep -q '^Press Ctrl-C to stop.' "$out" && return 0
    kill -0 "$up" 2>/dev/null || { echo "up.sh exited before it was ready"; return 1; }
    sleep 0.5
  done
  echo "up.sh not ready within 15 minutes"
  return 1
}
