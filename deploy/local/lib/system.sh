# The README's first command (deploy/local/up.sh) run by another script, the same way everywhere (sourced):
#   source deploy/local/lib/system.sh
#   start_system OUT [NAME=VALUE...]     # up.sh in the background, its output in OUT; sets $up (its pid)
#   why="$(await_system OUT)" || fail "$why"
#   stop_system                          # stop it as Ctrl-C does; returns up.sh's exit code
# Job control gives up.sh its own process group, like a terminal's foreground job.
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

# Stops up.sh as Ctrl-C does (SIGINT) and returns its exit code. A shell cannot trap a signal it was started
# with ignored, and a script run with SIGINT ignored (`nohup ... &`, a background job of a non-interactive shell)
# passes that on to up.sh: then SIGTERM, which up.sh's same stop handler takes, and a line saying so.
stop_system() {
  local code=0
  if [[ "$(sigint_ignored "$up")" == yes ]]; then
    echo "up.sh runs with SIGINT ignored (inherited from whatever started this script): stopping it with SIGTERM" >&2
    kill -TERM "$up" 2>/dev/null || true
  else
    kill -INT "$up" 2>/dev/null || true
  fi
  wait "$up" || code=$?
  return "$code"
}

# yes when process $1 ignores SIGINT (bit 2 of SigIgn in /proc/PID/status), else no.
sigint_ignored() {
  local mask
  mask=$(awk '/^SigIgn:/ {print $2}' "/proc/$1/status" 2>/dev/null) || mask=0
  (((16#${mask:-0} & 2) != 0)) && echo yes || echo no
}
