# shellcheck shell=bash
# lib.sh — helpers shared by up.sh, down.sh and record.sh. Sourced, never run.
#
# The pid registry (/run/neuroflow-slurm/pids) has one line per daemon this
# tooling is responsible for:   <name> <pid> <pidfile>
# <name> is the process's comm (/proc/PID/comm), so a pid that was reused by
# another program is never signalled.

# (the NF_* variables are used by the scripts that source this file)
# shellcheck disable=SC2034
NF_RUN_DIR=/run/neuroflow-slurm
NF_REG=$NF_RUN_DIR/pids
# pid of the MariaDB server up.sh started itself (absent when a service one is reused)
NF_MARIADB_OURS=$NF_RUN_DIR/mariadbd.ours
NF_T0=$(date +%s.%N)
NF_TAG=${NF_TAG:-slurm}

# nf_pick_release "$@": the Slurm release to act on: `--release R` (the first two
# arguments), else $NEUROFLOW_SLURM_RELEASE, else 22.05 (the host's packages). Sets
# NF_RELEASE and NF_ARGS (the other arguments). 24.11 and 26.05 run from Debian roots
# (release.sh).
nf_pick_release() {
  NF_RELEASE=${NEUROFLOW_SLURM_RELEASE:-22.05}
  NF_ARGS=("$@")
  if [ "${1:-}" = --release ]; then
    NF_RELEASE=${2:-}
    NF_ARGS=("${@:3}")
  fi
  case $NF_RELEASE in
    22.05 | 24.11 | 26.05) ;;
    *) nf_die "unknown Slurm release '$NF_RELEASE' (the scripts run 22.05, 24.11 and 26.05)" ;;
  esac
}

nf_elapsed() { awk -v a="$(date +%s.%N)" -v b="$NF_T0" 'BEGIN { printf "%.1f", a - b }'; }
nf_log() { printf '[%s %5ss] %s\n' "$NF_TAG" "$(nf_elapsed)" "$*"; }
nf_die() { printf '[%s %5ss] ERROR: %s\n' "$NF_TAG" "$(nf_elapsed)" "$*" >&2; exit 1; }
# nf_die_log LOGFILE MESSAGE: die, showing the last lines of LOGFILE
nf_die_log() {
  if [ -r "$1" ]; then
    printf -- '--- last lines of %s ---\n' "$1" >&2
    tail -n 15 "$1" >&2
  fi
  nf_die "$2 (see $1)"
}

# nf_alive NAME PID: true if PID is a live process whose comm is NAME.
# A zombie whose threads are all gone counts as dead: PID 1 on these VMs reaps
# orphans only every ~2 s, so an exited daemon lingers as "Z" for a while.
nf_alive() {
  [ -n "${2:-}" ] || return 1
  [ "$(cat "/proc/$2/comm" 2>/dev/null)" = "$1" ] || return 1
  local st th
  st=$(awk '/^State:/ {print $2}' "/proc/$2/status" 2>/dev/null)
  th=$(awk '/^Threads:/ {print $2}' "/proc/$2/status" 2>/dev/null)
  case "$st" in
    "") return 1 ;;
    Z | X) [ "${th:-1}" -gt 1 ] ;;
    *) return 0 ;;
  esac
}

# nf_pid_of NAME PIDFILE: print the pid in PIDFILE if it is a live NAME process
nf_pid_of() {
  local p
  [ -s "$2" ] || return 1
  p=$(tr -dc '0-9' <"$2")
  nf_alive "$1" "$p" || return 1
  echo "$p"
}

# nf_wait_for SECONDS CMD...: run CMD every 0.1 s until it succeeds; false on timeout
nf_wait_for() {
  local end=$(($(date +%s) + $1))
  shift
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$end" ] || return 1
    sleep 0.1
  done
}

# nf_stop NAME PID: SIGTERM PID if it is a live NAME process; SIGKILL after 30 s.
# Returns non-zero only if the process survives SIGKILL too.
nf_stop() {
  local name=$1 pid=$2
  if ! nf_alive "$name" "$pid"; then
    nf_log "$name pid $pid: not running (or the pid now belongs to another program), skipped"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 300); do
    nf_alive "$name" "$pid" || { nf_log "$name pid $pid stopped"; return 0; }
    sleep 0.1
  done
  nf_log "$name pid $pid still alive after 30 s, sending SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do
    nf_alive "$name" "$pid" || return 0
    sleep 0.1
  done
  return 1
}

# nf_serialize "$@": re-runs the calling script under flock (one up.sh/down.sh at a
# time) and exits with its status; inside the lock it returns at once.
# -o keeps the lock's fd out of the daemons the script starts.
nf_serialize() {
  [ "${NF_SLURM_LOCKED:-}" = 1 ] && return 0
  mkdir -p "$NF_RUN_DIR"
  local rc=0
  NF_SLURM_LOCKED=1 flock -o -w 600 -E 75 "$NF_RUN_DIR/lock" bash "${BASH_SOURCE[1]}" "$@" || rc=$?
  [ "$rc" = 75 ] && nf_die "another up.sh/down.sh held $NF_RUN_DIR/lock for 600 s"
  exit "$rc"
}
