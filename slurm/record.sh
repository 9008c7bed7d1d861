#!/usr/bin/env bash
# record.sh — re-capture slurm/recorded/: real outputs of the exact sbatch / squeue /
# sacct / scancel command lines neuroflow's Slurm adapter runs, taken from the live
# local cluster (up.sh), for the parser unit tests. Never edit the recordings by hand;
# run this again instead:   bash slurm/record.sh [--release 24.11|26.05]   (as root, ~3 minutes)
# Each release's set goes to slurm/recorded/<release>/ (22.05 by default: up.sh's own;
# 24.11 and 26.05 from release.sh, whose client commands are put first on PATH).
#
# For every case NAME it writes, in slurm/recorded/:
#   NAME.stdout, NAME.stderr   what the command printed
#   NAME.rc                    its exit code (a number)
#   NAME.cmd                   the exact argv (one shell-quoted line), then a comment line
#                              with the date and `sbatch --version`
# plus jobs/*.sh (every job script submitted, as run) and README.md (one line per case).
# The new set replaces the old one only when every case was captured.
#
# It briefly stops slurmdbd and then slurmctld (via down.sh, by PID) for the
# "daemon down" cases and brings them back with up.sh. All jobs it submits are named
# nf-rec-<case>, carry --comment=neuroflow:run=<token>, and are cancelled at the end.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
NF_TAG=slurm-record
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$HERE/lib.sh"

[ "$(id -u)" = 0 ] || nf_die "must run as root"
nf_pick_release "$@"
export NEUROFLOW_SLURM_RELEASE=$NF_RELEASE
case $NF_RELEASE in
  22.05) export PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH DEBIAN="Debian 12 bookworm" ;;
  24.11) export PATH=/var/cache/neuroflow/slurm-24.11/bin:$PATH DEBIAN="Debian 13 trixie, in a debootstrap root (release.sh)" ;;
  26.05) export PATH=/var/cache/neuroflow/slurm-26.05/bin:$PATH DEBIAN="Debian sid, in a debootstrap root (release.sh)" ;;
esac
NF_TAG=slurm-record-$NF_RELEASE
# the user's environment must not change what the slurm commands print
while read -r v; do unset "$v"; done < <(compgen -e | grep -E '^(SLURM|SBATCH|SQUEUE|SACCT|SINFO|SCONTROL)_' || true)

OUT=$HERE/recorded/$NF_RELEASE
WORK=$(mktemp -d /tmp/nf-rec.XXXXXX)
STAGE=$WORK/recorded
J=$WORK/jobs
LOGS=$WORK/logs
mkdir -p "$STAGE/jobs" "$J" "$LOGS"
cd "$WORK" || exit 1
TOKEN=$(cat /proc/sys/kernel/random/uuid)
UNKNOWN=999999 # a job id that never existed on this cluster

# The adapter's command shapes (keep in sync with src/slurm).
SQUEUE=(squeue --noheader --array --states=all)
SQUEUE_FMT='--format=%A|%i|%T|%r|%j|%k'
SACCT=(sacct --noheader --parsable2)
SACCT_FMT='--format=JobID,JobIDRaw,JobName,State,ExitCode,Elapsed,Submit,Start,End,NodeList,MaxRSS,ReqMem,AllocTRES,TotalCPU,Comment'
TERMINAL='COMPLETED|FAILED|CANCELLED( by [0-9]+)?|TIMEOUT|OUT_OF_MEMORY|NODE_FAIL|PREEMPTED|BOOT_FAIL|DEADLINE'

OUR_JOBS=()   # every job id submitted, cancelled on exit
STOPPED=0     # 1 while a daemon is stopped on purpose
README=()     # "| case | rc | what |" lines
cleanup() {
  local rc=$?
  if [ "$STOPPED" = 1 ]; then
    nf_log "bringing the cluster back up after an interrupted 'daemon down' case"
    bash "$HERE/up.sh" >/dev/null || rc=1
  fi
  [ "${#OUR_JOBS[@]}" -gt 0 ] && scancel --quiet "${OUR_JOBS[@]}" 2>/dev/null
  if [ "$rc" = 0 ]; then rm -rf "$WORK"; else nf_log "kept the work dir $WORK (job scripts, job logs)"; fi
  exit "$rc"
}
trap cleanup EXIT

# ------------------------------------------------------------------ helpers
# quote_argv ARG...: one line, each argument single-quoted unless it is shell-safe
quote_argv() {
  local a out=()
  for a in "$@"; do
    if [[ "$a" =~ ^[A-Za-z0-9_./=:,+@%-]+$ ]]; then out+=("$a"); else out+=("'${a//\'/\'\\\'\'}'"); fi
  done
  echo "${out[*]}"
}

# rec NAME DESCRIPTION CMD...: run CMD (stdin /dev/null) and store the four files of case NAME
rec() {
  local name=$1 desc=$2 rc t0 secs
  shift 2
  t0=$EPOCHREALTIME
  "$@" >"$STAGE/$name.stdout" 2>"$STAGE/$name.stderr" </dev/null
  rc=$?
  secs=$(awk -v a="$EPOCHREALTIME" -v b="$t0" 'BEGIN { printf "%.1f", a - b }')
  echo "$rc" >"$STAGE/$name.rc"
  {
    quote_argv "$@"
    echo "# recorded $(date -Iseconds) on $(hostname); sbatch --version: $(sbatch --version); took $secs s"
  } >"$STAGE/$name.cmd"
  README+=("| \`$name\` | $rc | $desc |")
  nf_log "recorded $name: rc=$rc stdout=$(wc -l <"$STAGE/$name.stdout") lines, stderr=$(wc -l <"$STAGE/$name.stderr") lines"
}

# mkjob NAME [SBATCH-OPTION...] <BODY: write the job script $J/NAME.sh (also kept in recorded/jobs/)
mkjob() {
  local name=$1 f=$J/$1.sh o pat="%x-%j"
  shift
  for o in "$@"; do [[ "$o" == --array=* ]] && pat="%x-%A_%a"; done
  {
    echo '#!/bin/bash'
    echo "#SBATCH --job-name=nf-rec-$name"
    echo "#SBATCH --comment=neuroflow:run=$TOKEN"
    echo "#SBATCH --output=$LOGS/$pat.out"
    echo "#SBATCH --error=$LOGS/$pat.err"
    for o in "$@"; do echo "#SBATCH $o"; done
    cat
  } >"$f"
  cp "$f" "$STAGE/jobs/"
}

# submit VAR NAME: sbatch --parsable $J/NAME.sh (not a recorded case); job id -> VAR
submit() {
  local out
  out=$(sbatch --parsable "$J/$2.sh" 2>&1) || nf_die "submitting $2 failed: $out"
  [[ "$out" =~ ^[0-9]+$ ]] || nf_die "submitting $2: unexpected output '$out'"
  OUR_JOBS+=("$out")
  printf -v "$1" %s "$out"
}

# case_id VAR NAME: the job id printed by the recorded sbatch case NAME -> VAR
case_id() {
  local id
  id=$(tail -n 1 "$STAGE/$2.stdout")
  id=${id%%;*}
  [[ "$id" =~ ^[0-9]+$ ]] || nf_die "case $2 printed no job id (rc $(cat "$STAGE/$2.rc"): $(cat "$STAGE/$2.stderr"))"
  OUR_JOBS+=("$id")
  printf -v "$1" %s "$id"
}

# wait_until SECONDS DESCRIPTION CMD...: poll CMD every 0.5 s, die on timeout
wait_until() {
  local end=$(($(date +%s) + $1)) what=$2
  shift 2
  until "$@"; do
    if [ "$(date +%s)" -ge "$end" ]; then
      squeue -t all -o '%A|%i|%T|%r|%j' >&2
      nf_die "timed out waiting for: $what"
    fi
    sleep 0.5
  done
}

squeue_now() { "${SQUEUE[@]}" --jobs="$1" "$SQUEUE_FMT" 2>/dev/null; }
sacct_now() { "${SACCT[@]}" --jobs="$1" "$SACCT_FMT" 2>/dev/null; }
# job_state ID: slurmctld's view (%T) of a non-array job
job_state() { squeue_now "$1" | awk -F'|' -v id="$1" '$1 == id {print $3}'; }
is_state() { [ "$(job_state "$1")" = "$2" ]; }
# gone_from_queue IDS: no job of IDS is PENDING/RUNNING/COMPLETING/... any more
gone_from_queue() { squeue_now "$1" | awk -F'|' -v term="^($TERMINAL)$" '$3 !~ term { bad = 1 } END { exit bad }'; }

# sacct_settled IDS NJOBS: sacct shows NJOBS job rows, all terminal and named nf-rec-*,
# every job that got a node has a terminal .batch row, and the output did not change
# over the last poll (sacct lags slurmctld: names/states/MaxRSS settle within ~5 s).
SACCT_PREV=""
sacct_settled() {
  local cur
  cur=$(sacct_now "$1")
  if ! awk -F'|' -v n="$2" -v term="^($TERMINAL)$" '
      $1 !~ /\./ { jobs++; if ($4 !~ term || $3 !~ /^nf-rec-/) bad = 1
                   if ($10 != "None assigned") need[$2 ".batch"] = 1 }
      $1 ~ /\./  { if ($4 !~ term) bad = 1; have[$2] = 1 }
      END { for (b in need) if (!(b in have)) bad = 1; exit (bad || jobs != n) }' <<<"$cur"; then
    SACCT_PREV=""
    return 1
  fi
  [ "$cur" = "$SACCT_PREV" ] && return 0
  SACCT_PREV=$cur
  sleep 2
  return 1
}

# ------------------------------------------------------------------ 0. cluster up, old jobs gone
bash "$HERE/up.sh" || nf_die "up.sh failed"
CLUSTER=$(scontrol show config | awk '$1 == "ClusterName" {print $3}')
mapfile -t old < <(squeue -h -o '%A %j' | awk '$2 ~ /^nf-rec-/ {print $1}')
if [ "${#old[@]}" -gt 0 ]; then
  nf_log "cancelling ${#old[@]} leftover nf-rec job(s)"
  scancel "${old[@]}"
  leftovers_gone() { squeue -h -t RUNNING,COMPLETING -o %j | awk '/^nf-rec-/ { f = 1 } END { exit f }'; }
  wait_until 30 "leftover jobs gone" leftovers_gone
fi
nf_log "work dir $WORK, comment token neuroflow:run=$TOKEN"

# ------------------------------------------------------------------ 1. TIMEOUT job (runs ~80-90 s meanwhile)
mkjob timeout --time=1 <<'EOF'
echo "started $(date -Iseconds); sleeping 300 s under --time=1"
sleep 300
EOF
submit T_TIMEOUT timeout

# ------------------------------------------------------------------ 2. sbatch cases
mkjob ok <<'EOF'
echo "hello from job $SLURM_JOB_ID on $(hostname)"
EOF
rec sbatch_ok "plain submission: stdout is the bare job id" sbatch --parsable "$J/ok.sh"
case_id ignored sbatch_ok

mkjob gpu-partition --partition=gpu --gres=gpu:1 <<'EOF'
echo "CUDA_VISIBLE_DEVICES=$CUDA_VISIBLE_DEVICES"
EOF
rec sbatch_partition_gpu "#SBATCH --partition=gpu --gres=gpu:1: accepted, bare job id" sbatch --parsable "$J/gpu-partition.sh"
case_id ignored sbatch_partition_gpu

mkjob clusters <<'EOF'
echo "hello from job $SLURM_JOB_ID"
EOF
rec sbatch_clusters "--clusters=$CLUSTER: stdout is 'ID;$CLUSTER'" \
  sbatch --parsable --clusters="$CLUSTER" "$J/clusters.sh"
case_id ignored sbatch_clusters

# this array is also the running+throttled array of squeue_mixed
mkjob array --array=0-3%2 <<'EOF'
echo "task $SLURM_ARRAY_TASK_ID of array $SLURM_ARRAY_JOB_ID"
sleep 600
EOF
rec sbatch_array "#SBATCH --array=0-3%2: stdout is the base (array) job id only" sbatch --parsable "$J/array.sh"
case_id A sbatch_array

mkjob test-only <<'EOF'
echo never runs
EOF
rec sbatch_test_only "sbatch --parsable --test-only: rc 0, stdout EMPTY, the estimate ('Job N to start at ...') is on stderr; no job is created" \
  sbatch --parsable --test-only "$J/test-only.sh"

mkjob warning --nodes=2 --ntasks=1 <<'EOF'
echo "nodes: $SLURM_JOB_NODELIST"
EOF
rec sbatch_with_warning "#SBATCH --nodes=2 --ntasks=1: accepted (rc 0, id on stdout) with a 'sbatch: Warning: ...' line on stderr" \
  sbatch --parsable "$J/warning.sh"
case_id ignored sbatch_with_warning

mkjob bad-partition --partition=nosuch <<'EOF'
true
EOF
rec sbatch_bad_partition "#SBATCH --partition=nosuch: rejected, rc 1, 'invalid partition specified'" \
  sbatch --parsable "$J/bad-partition.sh"

mkjob mem-too-big --mem=20000 <<'EOF'
true
EOF
rec sbatch_mem_too_big "#SBATCH --mem=20000 (node has 16000 MB): rejected, rc 1, two error lines" \
  sbatch --parsable "$J/mem-too-big.sh"

mkjob too-many-cpus --cpus-per-task=9 <<'EOF'
true
EOF
rec sbatch_too_many_cpus "#SBATCH --cpus-per-task=9 (node has 8): rejected, rc 1" \
  sbatch --parsable "$J/too-many-cpus.sh"

mkjob too-many-gpus --gres=gpu:3 <<'EOF'
true
EOF
rec sbatch_too_many_gpus "#SBATCH --gres=gpu:3 (node has 2): rejected, rc 1" \
  sbatch --parsable "$J/too-many-gpus.sh"

# afterok on an id that never existed: 22.05 does NOT reject it (slurmctld drops the
# dependency and the job runs at once: its row is in sacct_terminal/squeue_terminal);
# 24.11 and 26.05 reject it ("Job dependency problem")
mkjob dependency-unknown --dependency=afterok:$UNKNOWN <<'EOF'
echo "ran although afterok:999999 never existed"
EOF
rec sbatch_dependency_unknown "#SBATCH --dependency=afterok:$UNKNOWN (an id that never existed): 22.05 ACCEPTS it (rc 0, bare id; the dependency is dropped, the job runs: COMPLETED in sacct_terminal); 24.11 and 26.05 REJECT it (rc 1, 'Job dependency problem')" \
  sbatch --parsable "$J/dependency-unknown.sh"
T_DEPUNKNOWN=""
if [ "$(cat "$STAGE/sbatch_dependency_unknown.rc")" = 0 ]; then case_id T_DEPUNKNOWN sbatch_dependency_unknown; fi
# only a malformed dependency is rejected at submit time
mkjob dependency-rejected --dependency=afterok: <<'EOF'
true
EOF
rec sbatch_dependency_rejected "#SBATCH --dependency=afterok: (empty id list): rejected, rc 1, 'Job dependency problem' (same for afterok:abc or an unknown type)" \
  sbatch --parsable "$J/dependency-rejected.sh"

mkjob bad-directive --no-such-option <<'EOF'
true
EOF
rec sbatch_bad_directive "#SBATCH --no-such-option: rejected by sbatch itself with rc 255 (not 1), no 'error:' prefix" \
  sbatch --parsable "$J/bad-directive.sh"

# ------------------------------------------------------------------ 3. squeue_mixed + sacct_running
mkjob running <<'EOF'
sleep 600
EOF
submit R running
mkjob dep-pending --dependency=afterok:"$R" <<'EOF'
true
EOF
submit D dep-pending
mkjob failed <<'EOF'
echo "exiting 1" >&2
exit 1
EOF
submit F failed
mkjob dep-never --dependency=afterok:"$F" <<'EOF'
true
EOF
submit N dep-never
mkjob completed <<'EOF'
echo done
EOF
submit C completed
mkjob held --hold <<'EOF'
true
EOF
submit H held
MIXED="$R,$D,$N,$C,$F,$H,$A"
mixed_ready() {
  squeue_now "$MIXED" | awk -F'|' -v R="$R" -v D="$D" -v N="$N" -v C="$C" -v F="$F" -v H="$H" -v A="$A" '
    $1 == R && $3 == "RUNNING" { r = 1 }
    $1 == D && $3 == "PENDING" && $4 == "Dependency" { d = 1 }
    $1 == N && $3 == "PENDING" && $4 == "DependencyNeverSatisfied" { n = 1 }
    $1 == C && $3 == "COMPLETED" { c = 1 }
    $1 == F && $3 == "FAILED" { f = 1 }
    $1 == H && $3 == "PENDING" && $4 == "JobHeldUser" { h = 1 }
    index($2, A "_") == 1 && $3 == "RUNNING" { ar++ }
    index($2, A "_") == 1 && $3 == "PENDING" && $4 == "JobArrayTaskLimit" { ap++ }
    END { exit !(r && d && n && c && f && h && ar == 2 && ap == 2) }'
}
wait_until 60 "squeue_mixed states (running, Dependency, DependencyNeverSatisfied, COMPLETED, FAILED, held, array 2 running + 2 throttled)" mixed_ready
# sacct: C/F must have their final rows and names (sacct lags slurmctld)
mixed_sacct_ready() {
  sacct_now "$MIXED" | awk -F'|' -v C="$C" -v F="$F" '
    $3 == "allocation" { bad = 1 }
    $2 == C && $4 == "COMPLETED" { c = 1 }  $2 == F && $4 == "FAILED" { f = 1 }
    $2 == F ".batch" { fb = 1 }  $2 == C ".batch" { cb = 1 }
    END { exit (bad || !c || !f || !fb || !cb) }'
}
wait_until 30 "sacct rows of the completed/failed jobs" mixed_sacct_ready
rec squeue_mixed "one squeue call: RUNNING; PENDING/Dependency; PENDING/DependencyNeverSatisfied; COMPLETED; FAILED (exit 1); PENDING/JobHeldUser (--hold); array 0-3%2 with 2 tasks RUNNING and 2 PENDING/JobArrayTaskLimit" \
  "${SQUEUE[@]}" --jobs="$MIXED" "$SQUEUE_FMT"
rec sacct_running "sacct on the same jobs as squeue_mixed: RUNNING job and its .batch/.extern steps (End Unknown); PENDING jobs (Start/End Unknown, NodeList 'None assigned', empty AllocTRES, no steps); running array tasks as BASE_TASK rows and the throttled rest as one BASE_[2-3%2] row; COMPLETED and FAILED. Comment is empty until a job has ended" \
  "${SACCT[@]}" --jobs="$MIXED" "$SACCT_FMT"

# ------------------------------------------------------------------ 4. unknown ids
rec squeue_unknown_id "ONE id that never existed (squeue asks for that single job): rc 1, 'slurm_load_jobs error: Invalid job id specified' on stderr" \
  "${SQUEUE[@]}" --jobs="$UNKNOWN" "$SQUEUE_FMT"
rec squeue_unknown_ids "TWO ids that never existed (squeue loads all jobs and filters): rc 0, empty output, no error" \
  "${SQUEUE[@]}" --jobs="$((UNKNOWN - 1)),$UNKNOWN" "$SQUEUE_FMT"
rec squeue_some_unknown "one running job + one id that never existed: rc 0, only the known job is listed" \
  "${SQUEUE[@]}" --jobs="$R,$UNKNOWN" "$SQUEUE_FMT"
rec sacct_unknown_id "an id that never existed: rc 0, empty output" \
  "${SACCT[@]}" --jobs="$UNKNOWN" "$SACCT_FMT"
rec scancel_unknown "scancel of an id that never existed: rc 0, no output (no error!)" scancel "$UNKNOWN"

# the squeue_mixed jobs are not needed any more: free their CPUs
scancel "$R" "$D" "$N" "$H" "$A"
wait_until 30 "squeue_mixed jobs cancelled" gone_from_queue "$R,$D,$N,$H,$A"

# ------------------------------------------------------------------ 5. sacct_terminal
mkjob t-completed <<'EOF'
echo "all good"
EOF
submit T_OK t-completed
mkjob t-exit3 <<'EOF'
echo "failing with exit 3" >&2
exit 3
EOF
submit T_EXIT3 t-exit3
mkjob t-killdep --kill-on-invalid-dep=yes --dependency=afterok:"$T_EXIT3" <<'EOF'
echo never runs
EOF
submit T_KILLDEP t-killdep
mkjob t-cancel-running <<'EOF'
sleep 600
EOF
submit T_CANCEL t-cancel-running
mkjob t-cancel-pending --begin=now+3600 <<'EOF'
echo never runs
EOF
submit T_CANCELP t-cancel-pending
mkjob t-oom --mem=100M <<'EOF'
/usr/bin/python3 - <<'PY'
import time
a = bytearray(400 << 20)          # 400 MB, well over --mem=100M
for i in range(0, len(a), 4096):
    a[i] = 1
time.sleep(3)
PY
EOF
submit T_OOM t-oom
mkjob t-kill9 <<'EOF'
echo "killing myself with SIGKILL"
kill -9 $$
EOF
submit T_KILL9 t-kill9
mkjob t-maxrss --mem=1G <<'EOF'
/usr/bin/python3 - <<'PY'
import time
a = bytearray(300 << 20)          # touch 300 MB and hold it ~3 s
for i in range(0, len(a), 4096):
    a[i] = 1
time.sleep(3)
PY
EOF
submit T_RSS t-maxrss
mkjob t-array --array=0-3 <<'EOF'
echo "task $SLURM_ARRAY_TASK_ID"
[ "$SLURM_ARRAY_TASK_ID" -ne 2 ]   # task 2 fails with exit 1
EOF
submit T_ARRAY t-array
mkjob t-gpu --partition=gpu --gres=gpu:1 <<'EOF'
echo "CUDA_VISIBLE_DEVICES=$CUDA_VISIBLE_DEVICES"
EOF
submit T_GPU t-gpu
TERM_IDS="${T_DEPUNKNOWN:+$T_DEPUNKNOWN,}$T_OK,$T_EXIT3,$T_KILLDEP,$T_CANCEL,$T_CANCELP,$T_OOM,$T_KILL9,$T_RSS,$T_ARRAY,$T_GPU"

wait_until 60 "t-cancel-running RUNNING" is_state "$T_CANCEL" RUNNING
rec scancel_ok "scancel of a RUNNING and a PENDING (--begin) job: rc 0, no output" scancel "$T_CANCEL" "$T_CANCELP"
wait_until 60 "t-completed COMPLETED" is_state "$T_OK" COMPLETED
rec scancel_finished "scancel of a job that already COMPLETED (still within MinJobAge): rc 0, no output" scancel "$T_OK"

wait_until 120 "all sacct_terminal jobs finished in squeue" gone_from_queue "$TERM_IDS"
SACCT_PREV=""
N_TERM=14 # job rows of TERM_IDS (array tasks each; 13 where afterok:$UNKNOWN was rejected)
[ -n "$T_DEPUNKNOWN" ] || N_TERM=13
wait_until 120 "sacct_terminal rows terminal and settled" sacct_settled "$TERM_IDS" "$N_TERM"
rec sacct_terminal "one sacct call, job rows + .batch/.extern step rows: COMPLETED (afterok:$UNKNOWN, see sbatch_dependency_unknown); COMPLETED; FAILED 3:0; --kill-on-invalid-dep=yes job cancelled by its failed dependency: plain CANCELLED, Start=End, NodeList 'None assigned', no steps; scancel of a RUNNING job: 'CANCELLED by 0' (.batch CANCELLED 0:15); scancel of a PENDING (--begin) job: 'CANCELLED by 0', no steps; OUT_OF_MEMORY 0:125 (--mem=100M, 400 MB); kill -9 \$\$: FAILED 0:9 (.batch CANCELLED 0:9); ~300 MB MaxRSS on .batch (--mem=1G, ReqMem 1G); array 0-3 with task 2 FAILED 1:0 (last task reuses the base id as JobIDRaw); partition gpu with gres/gpu=1 in AllocTRES" \
  "${SACCT[@]}" --jobs="$TERM_IDS" "$SACCT_FMT"

# ------------------------------------------------------------------ 6. TIMEOUT (+ squeue of all terminal states)
nf_log "waiting for the --time=1 job $T_TIMEOUT to time out (80-90 s after it started)"
wait_until 180 "timeout job TIMEOUT in squeue" is_state "$T_TIMEOUT" TIMEOUT
SACCT_PREV=""
wait_until 60 "timeout job settled in sacct" sacct_settled "$T_TIMEOUT" 1
rec sacct_timeout "--time=1 job sleeping 300 s, killed by the time limit ~90 s after it started: job row TIMEOUT 0:0, .batch CANCELLED 0:15" \
  "${SACCT[@]}" --jobs="$T_TIMEOUT" "$SACCT_FMT"
rec squeue_terminal "squeue of the sacct_terminal + sacct_timeout jobs within MinJobAge=300: every terminal state as slurmctld reports it (CANCELLED, OUT_OF_MEMORY, TIMEOUT, ...), array tasks one per line" \
  "${SQUEUE[@]}" --jobs="$TERM_IDS,$T_TIMEOUT" "$SQUEUE_FMT"

# ------------------------------------------------------------------ 7. daemons down
nf_log "stopping slurmdbd for sacct_dbd_down"
STOPPED=1
bash "$HERE/down.sh" slurmdbd || nf_die "down.sh slurmdbd failed"
rec sacct_dbd_down "slurmdbd stopped: sacct fails at once, rc 1, three error lines (Connection refused)" "${SACCT[@]}" --jobs="$T_OK" "$SACCT_FMT"
bash "$HERE/up.sh" || nf_die "up.sh failed after sacct_dbd_down"
STOPPED=0

nf_log "stopping slurmctld for the controller-down cases (each command takes ~9 s to give up)"
STOPPED=1
bash "$HERE/down.sh" slurmctld || nf_die "down.sh slurmctld failed"
rec squeue_controller_down "slurmctld stopped: squeue gives up after ~9 s (18 s when --jobs has a single id; same output)" \
  "${SQUEUE[@]}" --jobs="$T_OK,$T_EXIT3" "$SQUEUE_FMT"
mkjob controller-down <<'EOF'
echo never runs
EOF
rec sbatch_controller_down "slurmctld stopped: sbatch gives up after ~9 s, rc 1" sbatch --parsable "$J/controller-down.sh"
rec scancel_controller_down "slurmctld stopped: scancel gives up after ~9 s with rc 8 (not 1), one error line per job id" scancel "$T_OK"
bash "$HERE/up.sh" || nf_die "up.sh failed after the controller-down cases"
STOPPED=0

# ------------------------------------------------------------------ 8. README, swap into place
{
  cat <<EOF
# Recorded Slurm outputs (generated by \`slurm/record.sh\` — do not edit)

Real outputs of the exact command lines neuroflow's Slurm adapter runs, captured from the
local test cluster of \`slurm/up.sh --release $NF_RELEASE\` ($(sbatch --version), $DEBIAN; cluster \`$CLUSTER\`, one node \`localhost\`
CPUs=8 RealMemory=16000 Gres=gpu:2, partitions \`debug\` (default) and \`gpu\`,
slurmdbd accounting, cgroup v1 memory limits, PrologFlags=Contain so jobs have an
\`.extern\` step, MinJobAge=300). Re-capture this set with \`bash slurm/record.sh --release $NF_RELEASE\`.

Per case: \`NAME.stdout\`, \`NAME.stderr\`, \`NAME.rc\` (exit code), \`NAME.cmd\` (the exact
argv, shell-quoted, then a comment line with the date and \`sbatch --version\`).
\`jobs/\` holds every job script submitted (the \`#SBATCH\` lines carry all options; job
names \`nf-rec-<case>\`, comment \`neuroflow:run=<uuid>\`). Job ids are real and differ
between recordings; ${UNKNOWN} is an id that never existed.

Command shapes:
- submit: \`sbatch --parsable SCRIPT\` (and \`sbatch --parsable --clusters=$CLUSTER SCRIPT\`)
- queue: \`$(quote_argv "${SQUEUE[@]}") --jobs=ID,... $(quote_argv "$SQUEUE_FMT")\`
- accounting: \`$(quote_argv "${SACCT[@]}") --jobs=ID,... $SACCT_FMT\`
- cancel: \`scancel ID ...\`

| case | rc | how it was captured / what it shows |
|---|---|---|
EOF
  printf '%s\n' "${README[@]}"
} >"$STAGE/README.md"

rm -rf "$OUT/jobs"
mkdir -p "$OUT"
rm -f "$OUT"/*.stdout "$OUT"/*.stderr "$OUT"/*.rc "$OUT"/*.cmd "$OUT/README.md"
cp -r "$STAGE"/. "$OUT"/
nf_log "wrote ${#README[@]} cases to $OUT"
