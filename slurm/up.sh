#!/usr/bin/env bash
# up.sh — bring up neuroflow's local test cluster: a REAL single-host Slurm 22.05
# (Debian 12 packages) with slurmdbd accounting in MariaDB and two fake GPUs,
# started without systemd. Idempotent: when everything is already up it only
# checks health and runs one smoke job (~1-2 s).
#
# Run as root:  bash slurm/up.sh                  (22.05, the host's packages)
#               bash slurm/up.sh --release 24.11  (or 26.05: from a Debian root, beside
#                                                  22.05; see release.sh and README.md)
#
# What it does:
#   1. installs slurmctld slurmd slurmdbd slurm-client munge mariadb-server if any
#      is missing (apt, --no-install-recommends; a policy-rc.d keeps postinst
#      scripts from starting daemons);
#   2. writes /etc/slurm/{slurm,gres,cgroup,slurmdbd}.conf (only when the content
#      changed; a change restarts the affected daemons);
#   3. starts munged, mariadbd (only if no MariaDB answers already: a server run
#      as a machine service is reused and never stopped), slurmdbd, slurmctld and
#      slurmd, each one only if it is not already running;
#   4. records "<name> <pid> <pidfile>" lines in /run/neuroflow-slurm/pids for
#      down.sh (mariadbd is listed only if this script started it);
#   5. submits a smoke job and waits until sacct reports it COMPLETED;
#   6. prints "slurm up: ready in X s". Any failure exits non-zero with a message.
#
# The cluster: ClusterName=localcluster, one node "localhost" (CPUs=8,
# RealMemory=16000, Gres=gpu:2, overcommitting the real machine), partitions
# "debug" (default) and "gpu" over that same node, cgroup v1 memory limits when
# the v1 hierarchy is mounted (so OUT_OF_MEMORY works).
#
# Environment (all optional):
#   NEUROFLOW_SLURM_CGROUP  auto|1|0  proctrack/task cgroup (default auto: on if the
#                           cgroup v1 memory+freezer controllers are mounted)
#   NEUROFLOW_SLURM_EXTERN  1|0  PrologFlags=Contain, i.e. every job gets an
#                           ".extern" step as on most production clusters (default 1)
#   NEUROFLOW_SLURM_SMOKE   1|0  run the smoke job (default 1)
#   NEUROFLOW_SLURM_DBPASS  MariaDB password of user 'slurm' (default slurmdbpass)
#
# Files: configs in /etc/slurm; logs in /var/log/slurm/{slurmctld,slurmdbd,
# slurmd-localhost}.log, /var/log/mysql/mariadbd.out, /var/log/munge/munged.log;
# apt output in /tmp/neuroflow-slurm-apt.log.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
NF_TAG=slurm-up
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$HERE/lib.sh"
# shellcheck source-path=SCRIPTDIR source=conf.sh
. "$HERE/conf.sh"

CLUSTER=localcluster
NODE=localhost
CPUS=8
MEM_MB=16000
GPUS=2
CGROUP=${NEUROFLOW_SLURM_CGROUP:-auto}
EXTERN=${NEUROFLOW_SLURM_EXTERN:-1}
SMOKE=${NEUROFLOW_SLURM_SMOKE:-1}
DBPASS=${NEUROFLOW_SLURM_DBPASS:-slurmdbpass}
FAKEGPU_DIR=/var/lib/slurm/fakegpu
PKGS=(slurmctld slurmd slurmdbd slurm-client munge mariadb-server)
APT_LOG=/tmp/neuroflow-slurm-apt.log
CTLD_LOG=/var/log/slurm/slurmctld.log
DBD_LOG=/var/log/slurm/slurmdbd.log
SLURMD_LOG=/var/log/slurm/slurmd-$NODE.log
MARIADB_LOG=/var/log/mysql/mariadbd.out

[ "$(id -u)" = 0 ] || nf_die "must run as root"
# Another release beside this one: `--release 24.11|26.05` (or $NEUROFLOW_SLURM_RELEASE).
nf_pick_release "$@"
if [ "$NF_RELEASE" != 22.05 ]; then exec bash "$HERE/release.sh" up "$NF_RELEASE"; fi
set -- "${NF_ARGS[@]}"
# 22.05's own client commands, whatever release's wrappers a caller put first on PATH.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH
# One up.sh/down.sh at a time (test binaries may call up.sh concurrently).
nf_serialize "$@"
# the user's environment must not change what the slurm clients below do
while read -r v; do unset "$v"; done < <(compgen -e | grep -E '^(SLURM|SBATCH|SQUEUE|SACCT|SINFO|SCONTROL)_' || true)

# ------------------------------------------------------------------ 1. packages
pkgs_missing() {
  local p
  for p in "${PKGS[@]}" slurm-wlm-mysql-plugin; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' || return 0
  done
  return 1
}
if pkgs_missing; then
  nf_log "installing ${PKGS[*]} (apt, --no-install-recommends; log $APT_LOG)"
  tmp_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    # "exit 101" = "don't start services": postinst scripts must not start daemons
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    tmp_policy=1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt_ok=1
  {
    apt-cache show slurmctld >/dev/null 2>&1 || apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${PKGS[@]}" ||
      { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${PKGS[@]}"; }
  } >"$APT_LOG" 2>&1 || apt_ok=0
  [ "$tmp_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d
  [ "$apt_ok" = 1 ] || nf_die_log "$APT_LOG" "apt-get install failed"
  nf_log "packages installed ($(slurmctld -V))"
fi

# ------------------------------------------------------------------ 2. dirs, key, configs
mkdir -p "$NF_RUN_DIR" /run/munge /run/mysqld /run/slurm /var/log/mysql /var/log/slurm \
  /var/lib/slurm/slurmctld "/var/lib/slurm/slurmd/$NODE" "$FAKEGPU_DIR"
chown munge:munge /run/munge
chown mysql:root /run/mysqld
chown mysql:adm /var/log/mysql
chown slurm:slurm /run/slurm /var/log/slurm /var/lib/slurm /var/lib/slurm/slurmctld
if [ ! -s /etc/munge/munge.key ]; then
  nf_log "creating munge key"
  mungekey --create --keyfile=/etc/munge/munge.key
fi
chown munge:munge /etc/munge/munge.key
chmod 0400 /etc/munge/munge.key

# Fake GPUs: gres/gpu needs File= to name character devices; clones of /dev/null
# (char 1,3) register cleanly. Without File= slurmd drops the GPUs and the node drains.
gpu_files=""
for ((g = 0; g < GPUS; g++)); do
  [ -c "$FAKEGPU_DIR/gpu$g" ] || { rm -f "$FAKEGPU_DIR/gpu$g"; mknod -m 666 "$FAKEGPU_DIR/gpu$g" c 1 3; }
  gpu_files+="${gpu_files:+,}$FAKEGPU_DIR/gpu$g"
done

if [ "$CGROUP" = auto ]; then
  if [ -f /sys/fs/cgroup/memory/memory.limit_in_bytes ] && [ -d /sys/fs/cgroup/freezer ]; then CGROUP=1; else CGROUP=0; fi
fi
if [ "$CGROUP" = 1 ]; then
  # real memory limits: a job over --mem ends OUT_OF_MEMORY (ExitCode 0:125)
  PROCTRACK=proctrack/cgroup TASKPLUGIN=task/cgroup ACCTPARAMS=NoOverMemoryKill
else
  # no cgroup v1: the accounting poller kills jobs over --mem (FAILED, 0:9)
  PROCTRACK=proctrack/linuxproc TASKPLUGIN=task/none ACCTPARAMS=OverMemoryKill
fi
PROLOGFLAGS=""
[ "$EXTERN" = 1 ] && PROLOGFLAGS="PrologFlags=Contain"

ETC=/etc/slurm PORT_CTLD=6817 PORT_SLURMD=6818 PORT_DBD=6819 FIRST_JOB_ID="" DB_NAME=slurm_acct_db
SLURM_IDS="$(id -u slurm):$(id -g slurm)"
nf_write_confs "$ETC"

# stop_for_restart NAME PIDFILE: stop a running daemon so that it rereads a changed config
stop_for_restart() {
  local p
  p=$(nf_pid_of "$1" "$2") || return 0
  nf_log "config changed: stopping $1 (pid $p) to restart it"
  nf_stop "$1" "$p" || nf_die "$1 (pid $p) did not stop"
}

# ------------------------------------------------------------------ 3. munged
if ! nf_pid_of munged /run/munge/munged.pid >/dev/null; then
  nf_log "starting munged"
  runuser -u munge -- /usr/sbin/munged || nf_die_log /var/log/munge/munged.log "munged failed to start"
fi
nf_wait_for 10 sh -c 'munge -n | unmunge' || nf_die_log /var/log/munge/munged.log "munged is not answering"

# ------------------------------------------------------------------ 4. MariaDB
mariadb_ours=""
if [ -s "$NF_MARIADB_OURS" ] && nf_alive mariadbd "$(cat "$NF_MARIADB_OURS")"; then
  mariadb_ours=$(cat "$NF_MARIADB_OURS")
elif mariadb-admin ping >/dev/null 2>&1; then
  : # a MariaDB run by the machine (e.g. as a service): reuse it, never stop or reconfigure it
else
  rm -f "$NF_MARIADB_OURS"
  [ -d /var/lib/mysql/mysql ] || {
    nf_log "initialising the MariaDB datadir"
    mariadb-install-db --user=mysql --datadir=/var/lib/mysql >/var/log/mysql/install-db.log 2>&1 ||
      nf_die_log /var/log/mysql/install-db.log "mariadb-install-db failed"
  }
  nf_log "starting mariadbd"
  # mariadbd does not daemonize itself; setsid + redirections detach it from our caller.
  # The innodb settings silence slurmdbd's "Database settings not recommended" error.
  setsid /usr/sbin/mariadbd --user=mysql --pid-file=/run/mysqld/mysqld.pid \
    --innodb-buffer-pool-size=512M --innodb-log-file-size=64M --innodb-lock-wait-timeout=900 \
    >>"$MARIADB_LOG" 2>&1 </dev/null &
  nf_wait_for 30 test -s /run/mysqld/mysqld.pid || nf_die_log "$MARIADB_LOG" "mariadbd wrote no pid file"
  mariadb_ours=$(nf_pid_of mariadbd /run/mysqld/mysqld.pid) || nf_die_log "$MARIADB_LOG" "mariadbd exited"
  echo "$mariadb_ours" >"$NF_MARIADB_OURS"
fi
nf_wait_for 60 mariadb-admin ping || nf_die_log "$MARIADB_LOG" "MariaDB is not answering"
# root connects through the unix socket (no password); slurmdbd needs one database and one user
mariadb -e "CREATE DATABASE IF NOT EXISTS slurm_acct_db;
  CREATE USER IF NOT EXISTS 'slurm'@'localhost' IDENTIFIED BY '$DBPASS';
  ALTER USER 'slurm'@'localhost' IDENTIFIED BY '$DBPASS';
  GRANT ALL ON slurm_acct_db.* TO 'slurm'@'localhost';" || nf_die "cannot create the slurm database/user in MariaDB"

# ------------------------------------------------------------------ 5. slurmdbd
[ "$CHANGED_DBD" = 1 ] && stop_for_restart slurmdbd /run/slurm/slurmdbd.pid
if ! nf_pid_of slurmdbd /run/slurm/slurmdbd.pid >/dev/null; then
  nf_log "starting slurmdbd"
  /usr/sbin/slurmdbd || nf_die_log "$DBD_LOG" "slurmdbd failed to start"
fi
clusters=""
dbd_answers() { clusters=$(timeout 5 sacctmgr -n -P list cluster format=cluster); }
nf_wait_for 60 dbd_answers || nf_die_log "$DBD_LOG" "slurmdbd is not answering"
if ! grep -qx "$CLUSTER" <<<"$clusters"; then
  nf_log "registering cluster $CLUSTER in slurmdbd"
  sacctmgr -i add cluster "$CLUSTER" >/dev/null || nf_die "sacctmgr add cluster $CLUSTER failed"
fi

# ------------------------------------------------------------------ 6. slurmctld, slurmd
if [ "$CHANGED_SLURM" = 1 ]; then
  stop_for_restart slurmd "/run/slurm/slurmd-$NODE.pid"
  stop_for_restart slurmctld /run/slurm/slurmctld.pid
fi
if ! nf_pid_of slurmctld /run/slurm/slurmctld.pid >/dev/null; then
  nf_log "starting slurmctld"
  /usr/sbin/slurmctld || nf_die_log "$CTLD_LOG" "slurmctld failed to start"
fi
nf_wait_for 60 sh -c 'scontrol ping | grep -q "is UP"' || nf_die_log "$CTLD_LOG" "slurmctld is not answering"
if ! nf_pid_of slurmd "/run/slurm/slurmd-$NODE.pid" >/dev/null; then
  nf_log "starting slurmd -N $NODE"
  /usr/sbin/slurmd -N "$NODE" || nf_die_log "$SLURMD_LOG" "slurmd failed to start"
fi

# ------------------------------------------------------------------ 7. node ready
node_state() { sinfo -h -N -n "$NODE" -o %T 2>/dev/null | head -n 1; }
resumed=0
end=$(($(date +%s) + 60))
until [[ "$(node_state)" =~ ^(idle|mixed|allocated|completing)$ ]]; do
  # a drain/down is kept in slurmctld's state across restarts: resume once
  if [ "$resumed" = 0 ] && [[ "$(node_state)" =~ ^(drain|drained|draining|down) ]]; then
    nf_log "node $NODE is $(node_state), resuming it"
    scontrol update nodename="$NODE" state=resume || true
    resumed=1
  fi
  [ "$(date +%s)" -lt "$end" ] || nf_die_log "$SLURMD_LOG" "node $NODE is '$(node_state)' after 60 s, not idle"
  sleep 0.2
done

# ------------------------------------------------------------------ 8. pid registry
nf_wait_for 10 test -s "/run/slurm/slurmd-$NODE.pid" || true
{
  for d in "munged /run/munge/munged.pid" "slurmdbd /run/slurm/slurmdbd.pid" \
    "slurmctld /run/slurm/slurmctld.pid" "slurmd /run/slurm/slurmd-$NODE.pid"; do
    read -r name pidfile <<<"$d"
    p=$(nf_pid_of "$name" "$pidfile") || nf_die "$name is not running (pid file $pidfile)"
    echo "$name $p $pidfile"
  done
  # MariaDB only if this script started it: a server run by the machine is never stopped
  if [ -n "$mariadb_ours" ]; then echo "mariadbd $mariadb_ours /run/mysqld/mysqld.pid"; fi
} >"$NF_REG.tmp"
mv "$NF_REG.tmp" "$NF_REG"

# ------------------------------------------------------------------ 9. smoke job
if [ "$SMOKE" = 1 ]; then
  jid=$(sbatch --parsable -J nf-slurm-smoke -o /dev/null -e /dev/null --wrap true 2>&1) ||
    nf_die "smoke job submission failed: $jid"
  smoke_done() { [ "$(sacct -n -P -X -j "$jid" -o State 2>/dev/null)" = COMPLETED ]; }
  nf_wait_for 60 smoke_done ||
    nf_die "smoke job $jid not COMPLETED in sacct after 60 s (squeue: $(squeue -h -j "$jid" -o '%T %r' 2>&1); sacct: $(sacct -n -P -X -j "$jid" -o State 2>&1))"
fi

nf_log "cluster $CLUSTER: $(sinfo -h -o '%P=%a/%T' | paste -sd' '); $(awk '{printf "%s=%s ", $1, $2}' "$NF_REG")"
echo "slurm up: ready in $(nf_elapsed) s"
