#!/usr/bin/env bash
# release.sh — another Slurm release beside the default 22.05 cluster: Debian trixie's
# slurm-wlm 24.11 or Debian sid's 26.05, installed once into a debootstrap root (cached)
# and run from it with bubblewrap, with its own ports, cluster name, job ids, state and
# accounting database (on the same MariaDB, authenticated by the same munged).
# Called by up.sh/down.sh with --release (or $NEUROFLOW_SLURM_RELEASE); see README.md.
#
#   bash slurm/release.sh up 24.11              build the root if needed, start, smoke job
#   bash slurm/release.sh down 24.11 [DAEMON…]  stop what `up` started, by PID
#
# Client commands: /var/cache/neuroflow/slurm-<R>/bin holds sbatch, squeue, sacct,
# scancel, scontrol, sinfo, sacctmgr, sdiag and srun wrappers that run the release's own
# commands in its root; put that folder first on PATH and everything (neuroflow, the
# tests) talks to that release. Jobs run in the root too: the folders they read and
# write (/tmp, /work, /opt, /root, /var/tmp and this checkout) are bound at the same paths.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
NF_TAG=slurm-release
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$HERE/lib.sh"
# shellcheck source-path=SCRIPTDIR source=conf.sh
. "$HERE/conf.sh"

[ "$(id -u)" = 0 ] || nf_die "must run as root"
ACTION=${1:-} R=${2:-}
shift 2 || nf_die "usage: release.sh up|down RELEASE [DAEMON...]"
case $R in
  24.11) DIST=trixie PORT_CTLD=6917 FIRST_JOB_ID=2000000 ;;
  26.05) DIST=sid PORT_CTLD=7017 FIRST_JOB_ID=3000000 ;;
  *) nf_die "release.sh runs 24.11 and 26.05 (22.05 is up.sh's own)" ;;
esac
NF_TAG=slurm-$R
NF_RELEASE=$R
PORT_SLURMD=$((PORT_CTLD + 1)) PORT_DBD=$((PORT_CTLD + 2))
CLUSTER=nf${R/./} NODE=localhost CPUS=8 MEM_MB=16000 GPUS=2
DB_NAME=slurm_acct_db_${R/./} DBPASS=${NEUROFLOW_SLURM_DBPASS:-slurmdbpass}
ROOT=${NEUROFLOW_ROOTS:-/var/cache/neuroflow/roots}/$DIST-slurm
BIN=/var/cache/neuroflow/slurm-$R/bin
REG=$NF_RUN_DIR/$R/pids
CTLD_LOG=/var/log/slurm/slurmctld.log DBD_LOG=/var/log/slurm/slurmdbd.log
MIRROR=${NEUROFLOW_DEBIAN_MIRROR:-http://deb.debian.org/debian}
REPO=$(cd "$HERE/.." && pwd)
# What the daemons, the jobs and the client commands see of the host (MariaDB's socket
# at both the old path and sid's /run/mariadbd).
BINDS=(--bind "$ROOT" / --proc /proc --dev-bind /dev /dev --bind /sys /sys
  --ro-bind /etc/hosts /etc/hosts --ro-bind /etc/resolv.conf /etc/resolv.conf
  --bind /run/munge /run/munge --bind /run/mysqld /run/mysqld --bind /run/mysqld /run/mariadbd)
for d in /tmp /var/tmp /work /opt /root "$REPO"; do
  [ -d "$d" ] && BINDS+=(--bind "$d" "$d")
done
in_root() { bwrap "${BINDS[@]}" --setenv SLURM_CONF /etc/slurm/slurm.conf --chdir / "$@"; }

# ------------------------------------------------------------------ down
if [ "$ACTION" = down ]; then
  nf_serialize down "$R" "$@"
  ORDER=(slurmd slurmctld slurmdbd)
  WANT=" ${*:-${ORDER[*]}} "
  [ -s "$REG" ] || { nf_log "no registry $REG: nothing recorded by up, nothing stopped"; exit 0; }
  rc=0
  for name in "${ORDER[@]}"; do
    [[ "$WANT" == *" $name "* ]] || continue
    while read -r n pid pidfile; do
      [ "$n" = "$name" ] || continue
      nf_stop "$n" "$pid" || { nf_log "WARNING: $n pid $pid survived SIGKILL"; rc=1; }
      if [ -e "$pidfile" ] && ! nf_alive "$n" "$(tr -dc 0-9 <"$pidfile")"; then rm -f "$pidfile"; fi
    done <"$REG"
  done
  while read -r n pid pidfile; do if nf_alive "$n" "$pid"; then echo "$n $pid $pidfile"; fi; done <"$REG" >"$REG.tmp"
  if [ -s "$REG.tmp" ]; then mv "$REG.tmp" "$REG"; else rm -f "$REG.tmp" "$REG"; fi
  nf_log "done"
  exit "$rc"
fi
[ "$ACTION" = up ] || nf_die "usage: release.sh up|down RELEASE [DAEMON...]"
nf_serialize up "$R"
while read -r v; do unset "$v"; done < <(compgen -e | grep -E '^(SLURM|SBATCH|SQUEUE|SACCT|SINFO|SCONTROL)_' || true)

# ------------------------------------------------------------------ 1. the default cluster: munged, MariaDB
NEUROFLOW_SLURM_RELEASE=22.05 NEUROFLOW_SLURM_SMOKE=0 bash "$HERE/up.sh" >/dev/null ||
  nf_die "the default cluster (munged, MariaDB) did not come up: bash slurm/up.sh"

# ------------------------------------------------------------------ 2. the root (once)
if [ ! -f "$ROOT/.neuroflow-complete" ]; then
  command -v debootstrap >/dev/null || apt-get install -y -qq debootstrap >/dev/null
  rm -rf "$ROOT" && mkdir -p "$(dirname "$ROOT")"
  nf_log "debootstrap $DIST with slurm-wlm into $ROOT (about a minute; log /tmp/neuroflow-$DIST-slurm.log)"
  debootstrap --variant=minbase \
    --include=slurmctld,slurmd,slurmdbd,slurm-client,slurm-wlm-mysql-plugin,munge,python3,bubblewrap,procps \
    "$DIST" "$ROOT" "$MIRROR" >"/tmp/neuroflow-$DIST-slurm.log" 2>&1 ||
    nf_die_log "/tmp/neuroflow-$DIST-slurm.log" "debootstrap $DIST failed"
  touch "$ROOT/.neuroflow-complete"
fi
# shellcheck disable=SC2016 # dpkg-query's own ${Version}
have=$(chroot "$ROOT" dpkg-query -W -f='${Version}' slurmctld)
[[ $have == "$R".* ]] || nf_die "$ROOT holds slurm-wlm $have, not $R (Debian $DIST moved on): remove it to build again, or pin another mirror"

# ------------------------------------------------------------------ 3. configuration, fake GPUs
mkdir -p "$ROOT/etc/slurm" "$ROOT/run/slurm" "$ROOT/run/munge" "$ROOT/run/mysqld" "$ROOT/run/mariadbd" "$ROOT/var/log/slurm" \
  "$ROOT/var/lib/slurm/slurmctld" "$ROOT/var/lib/slurm/slurmd/$NODE" "$ROOT/var/lib/slurm/fakegpu" "$NF_RUN_DIR/$R"
SLURM_IDS="$(chroot "$ROOT" id -u slurm):$(chroot "$ROOT" id -g slurm)"
chown "$SLURM_IDS" "$ROOT/run/slurm" "$ROOT/var/log/slurm" "$ROOT/var/lib/slurm" "$ROOT/var/lib/slurm/slurmctld"
gpu_files=""
for ((g = 0; g < GPUS; g++)); do
  f=$ROOT/var/lib/slurm/fakegpu/gpu$g
  [ -c "$f" ] || { rm -f "$f"; mknod -m 666 "$f" c 1 3; }
  gpu_files+="${gpu_files:+,}/var/lib/slurm/fakegpu/gpu$g"
done
if [ -f /sys/fs/cgroup/memory/memory.limit_in_bytes ] && [ -d /sys/fs/cgroup/freezer ]; then
  PROCTRACK=proctrack/cgroup TASKPLUGIN=task/cgroup ACCTPARAMS=NoOverMemoryKill
else
  PROCTRACK=proctrack/linuxproc TASKPLUGIN=task/none ACCTPARAMS=OverMemoryKill
fi
PROLOGFLAGS=""
[ "${NEUROFLOW_SLURM_EXTERN:-1}" = 1 ] && PROLOGFLAGS="PrologFlags=Contain"
nf_write_confs "$ROOT/etc/slurm"

# ------------------------------------------------------------------ 4. client wrappers
mkdir -p "$BIN"
for cmd in sbatch squeue sacct scancel scontrol sinfo sacctmgr sdiag srun; do
  # shellcheck disable=SC2016 # the wrapper's own $PWD, $cwd and $@
  {
    echo '#!/bin/bash'
    echo "# Slurm $R's $cmd, run in its root $ROOT (slurm/release.sh; generated, do not edit)."
    printf 'cwd=/; case $PWD/ in'
    for d in /tmp /var/tmp /work /opt /root "$REPO"; do printf ' %q/*|' "$d"; done
    printf ' "") cwd=$PWD ;; esac\n'
    printf 'exec bwrap'
    printf ' %q' "${BINDS[@]}"
    printf ' --setenv SLURM_CONF /etc/slurm/slurm.conf --chdir "$cwd" /usr/bin/%s "$@"\n' "$cmd"
  } >"$BIN/$cmd.tmp"
  chmod 755 "$BIN/$cmd.tmp"
  mv "$BIN/$cmd.tmp" "$BIN/$cmd"
done

# ------------------------------------------------------------------ 5. slurmdbd, its database
mariadb -e "CREATE DATABASE IF NOT EXISTS $DB_NAME; GRANT ALL ON $DB_NAME.* TO 'slurm'@'localhost';" ||
  nf_die "cannot create the database $DB_NAME in MariaDB"
# start NAME PIDFILE(inside) CMD...: start a daemon in the root unless it runs
start() {
  local name=$1 pidfile=$ROOT$2 log=$ROOT$3
  shift 3
  nf_pid_of "$name" "$pidfile" >/dev/null && return 0
  nf_log "starting $name ($R)"
  in_root "$@" || nf_die_log "$log" "$name $R failed to start"
  nf_wait_for 30 nf_pid_of "$name" "$pidfile" || nf_die_log "$log" "$name $R wrote no pid file"
}
restart_if_changed() { # FLAG NAME PIDFILE
  local p
  [ "$1" = 1 ] || return 0
  p=$(nf_pid_of "$2" "$ROOT$3") || return 0
  nf_log "config changed: restarting $2 ($R)"
  nf_stop "$2" "$p"
}
# Daemons started with other binds (from another checkout) do not see this one's
# folders: restart them all.
BINDS_NOW=$(printf '%s\n' "${BINDS[@]}")
if [ -s "$NF_RUN_DIR/$R/binds" ] && [ "$(cat "$NF_RUN_DIR/$R/binds")" != "$BINDS_NOW" ]; then
  nf_log "the folders bound for jobs changed: restarting the $R daemons"
  CHANGED_DBD=1 CHANGED_SLURM=1
fi
printf '%s\n' "$BINDS_NOW" >"$NF_RUN_DIR/$R/binds"
restart_if_changed "$CHANGED_DBD" slurmdbd /run/slurm/slurmdbd.pid
start slurmdbd /run/slurm/slurmdbd.pid "$DBD_LOG" /usr/sbin/slurmdbd
clusters=""
dbd_answers() { clusters=$("$BIN/sacctmgr" -n -P list cluster format=cluster 2>/dev/null); }
nf_wait_for 60 dbd_answers || nf_die_log "$ROOT$DBD_LOG" "slurmdbd $R is not answering"
if ! grep -qx "$CLUSTER" <<<"$clusters"; then
  nf_log "registering cluster $CLUSTER in slurmdbd $R"
  "$BIN/sacctmgr" -i add cluster "$CLUSTER" >/dev/null || nf_die "sacctmgr add cluster $CLUSTER failed"
fi

# ------------------------------------------------------------------ 6. slurmctld, slurmd
restart_if_changed "$CHANGED_SLURM" slurmd "/run/slurm/slurmd-$NODE.pid"
restart_if_changed "$CHANGED_SLURM" slurmctld /run/slurm/slurmctld.pid
start slurmctld /run/slurm/slurmctld.pid "$CTLD_LOG" /usr/sbin/slurmctld
nf_wait_for 60 sh -c "'$BIN/scontrol' ping | grep -q 'is UP'" || nf_die_log "$ROOT$CTLD_LOG" "slurmctld $R is not answering"
start slurmd "/run/slurm/slurmd-$NODE.pid" "/var/log/slurm/slurmd-$NODE.log" /usr/sbin/slurmd -N "$NODE"
node_state() { "$BIN/sinfo" -h -N -n "$NODE" -o %T 2>/dev/null | head -n 1; }
end=$(($(date +%s) + 60)) resumed=0
until [[ "$(node_state)" =~ ^(idle|mixed|allocated|completing)$ ]]; do
  if [ "$resumed" = 0 ] && [[ "$(node_state)" =~ ^(drain|drained|draining|down) ]]; then
    "$BIN/scontrol" update nodename="$NODE" state=resume || true
    resumed=1
  fi
  [ "$(date +%s)" -lt "$end" ] || nf_die_log "$ROOT/var/log/slurm/slurmd-$NODE.log" "node $NODE ($R) is '$(node_state)' after 60 s"
  sleep 0.2
done

# ------------------------------------------------------------------ 7. pid registry, smoke job
for d in "slurmdbd /run/slurm/slurmdbd.pid" "slurmctld /run/slurm/slurmctld.pid" "slurmd /run/slurm/slurmd-$NODE.pid"; do
  read -r name pidfile <<<"$d"
  p=$(nf_pid_of "$name" "$ROOT$pidfile") || nf_die "$name ($R) is not running"
  echo "$name $p $ROOT$pidfile"
done >"$REG.tmp"
mv "$REG.tmp" "$REG"
if [ "${NEUROFLOW_SLURM_SMOKE:-1}" = 1 ]; then
  jid=$("$BIN/sbatch" --parsable -J nf-slurm-smoke -o /dev/null -e /dev/null --wrap true 2>&1) ||
    nf_die "smoke job submission failed on $R: $jid"
  smoke_done() { [ "$("$BIN/sacct" -n -P -X -j "$jid" -o State 2>/dev/null)" = COMPLETED ]; }
  nf_wait_for 60 smoke_done || nf_die "smoke job $jid not COMPLETED in sacct ($R) after 60 s"
fi
nf_log "cluster $CLUSTER: $("$BIN/sbatch" --version); client commands in $BIN (first on PATH)"
echo "slurm up ($R): ready in $(nf_elapsed) s"
