#!/usr/bin/env bash
# down.sh — stop the local test cluster started by up.sh, by PID only.
#
#   bash slurm/down.sh              stop every daemon recorded by up.sh
#   bash slurm/down.sh slurmctld    stop only the named daemon(s) (used by record.sh to
#                                   capture "controller down"/"slurmdbd down" outputs;
#                                   up.sh brings them back)
#   bash slurm/down.sh --release 24.11 [DAEMON...]   the same for a release of release.sh
#
# Reads /run/neuroflow-slurm/pids ("<name> <pid> <pidfile>" lines written by up.sh) and
# signals a pid only if /proc/<pid>/comm still equals <name>; it never matches processes
# by name. Order: slurmd -> slurmctld -> slurmdbd -> mariadbd (listed only if up.sh
# started it) -> munged. SIGTERM is a clean shutdown for all of them (slurmctld saves its
# state, mariadbd flushes InnoDB); SIGKILL only if a daemon is still alive after 30 s.
#
#   NEUROFLOW_SLURM_CANCEL=1  scancel all jobs first. By default jobs are kept: slurmctld
#                             saves them, and the slurmstepd of a running job keeps running
#                             while slurmd is down; they resume after up.sh.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
NF_TAG=slurm-down
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$HERE/lib.sh"

[ "$(id -u)" = 0 ] || nf_die "must run as root"
# `--release 24.11|26.05` (or $NEUROFLOW_SLURM_RELEASE): what release.sh started.
nf_pick_release "$@"
if [ "$NF_RELEASE" != 22.05 ]; then exec bash "$HERE/release.sh" down "$NF_RELEASE" "${NF_ARGS[@]}"; fi
set -- "${NF_ARGS[@]}"
# 22.05's own client commands, whatever release's wrappers a caller put first on PATH.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH
# One up.sh/down.sh at a time (test binaries may call up.sh concurrently).
nf_serialize "$@"
ORDER=(slurmd slurmctld slurmdbd mariadbd munged)
if [ $# -gt 0 ]; then
  for a in "$@"; do
    [[ " ${ORDER[*]} " == *" $a "* ]] || nf_die "unknown daemon '$a' (one of: ${ORDER[*]})"
  done
  WANT=" $* "
else
  WANT=" ${ORDER[*]} "
fi

if [ ! -s "$NF_REG" ]; then
  nf_log "no registry $NF_REG: nothing recorded by up.sh, nothing stopped"
  exit 0
fi

if [ "${NEUROFLOW_SLURM_CANCEL:-0}" = 1 ] && [[ "$WANT" == *" slurmctld "* ]]; then
  mapfile -t jobs < <(squeue -h -o %A 2>/dev/null)
  if [ "${#jobs[@]}" -gt 0 ]; then
    nf_log "cancelling ${#jobs[@]} job(s)"
    scancel --full --quiet "${jobs[@]}" || true
    # give slurmd a moment to kill the job steps before it goes away
    end=$(($(date +%s) + 15))
    while [ -n "$(squeue -h -t RUNNING,COMPLETING 2>/dev/null)" ] && [ "$(date +%s)" -lt "$end" ]; do sleep 0.2; done
  fi
fi

rc=0
for name in "${ORDER[@]}"; do
  [[ "$WANT" == *" $name "* ]] || continue
  while read -r n pid pidfile; do
    [ "$n" = "$name" ] || continue
    nf_stop "$n" "$pid" || { nf_log "WARNING: $n pid $pid survived SIGKILL"; rc=1; continue; }
    # the daemons remove their own pid file on a clean exit; drop a stale one
    if [ -n "${pidfile:-}" ] && [ -e "$pidfile" ] && ! nf_alive "$n" "$(tr -dc 0-9 <"$pidfile")"; then
      rm -f "$pidfile"
    fi
    [ "$n" = mariadbd ] && rm -f "$NF_MARIADB_OURS"
  done <"$NF_REG"
done

# keep the registry lines of daemons that are still alive (not asked to stop, or failed to)
awk 'NF >= 2' "$NF_REG" | while read -r n pid pidfile; do
  if nf_alive "$n" "$pid"; then echo "$n $pid $pidfile"; fi
done >"$NF_REG.tmp"
if [ -s "$NF_REG.tmp" ]; then mv "$NF_REG.tmp" "$NF_REG"; else rm -f "$NF_REG.tmp" "$NF_REG"; fi

steps=$(for p in /proc/[0-9]*; do [ "$(cat "$p/comm" 2>/dev/null)" = slurmstepd ] && echo "${p#/proc/}"; done | paste -sd' ')
[ -n "$steps" ] && nf_log "note: slurmstepd of still-running jobs left alone: pids $steps"
nf_log "done"
exit "$rc"
