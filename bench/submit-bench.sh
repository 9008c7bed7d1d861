#!/usr/bin/env bash
# submit-bench.sh [JOBS] [WORKDIR]: one tick that submits JOBS (default 1,000) BIDS
# conversions one sbatch each, against `sbatch` alone on the very scripts that tick
# wrote, on the local Slurm (docs/benchmarks.md "Submitting"). Jobs wait in a
# reservation that starts in a week (bench/hold.sh) and are cancelled afterwards, so
# nothing runs. ARRAYS=1 submits them with `slurm.arrays: true` instead (one sbatch
# per MaxArraySize tasks). Needs `cargo build --release`, the local cluster (slurm/up.sh) and heudiconv
# on PATH (scripts/python-env.sh).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
JOBS=${1:-1000} W=${2:-/tmp/nf-submit-bench}
# shellcheck source=bench/hold.sh
. "$HERE/bench/hold.sh"
ids=()
cancel() { # the tick's jobs (from its store) and the bare ones
  { sqlite3 "$W/work/neuroflow.db" "SELECT DISTINCT slurm_job_id FROM pipeline_runs WHERE slurm_job_id IS NOT NULL" 2>/dev/null
    ((${#ids[@]} == 0)) || printf '%s\n' "${ids[@]}"; } | xargs -r -n 500 scancel
  ids=()
}
trap 'cancel; release_hold' EXIT
[ -z "${ARRAYS:-}" ] || sed -i 's/^slurm: {/slurm: {arrays: true, /' "$W/neuroflow.yaml"
t0=$EPOCHREALTIME
"$NF" --config "$W/neuroflow.yaml" workflow run --format json > "$W/tick.json" 2>"$W/tick.log"
t1=$EPOCHREALTIME
submitted=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(len(d["submit"]["submitted"]), d["slurm_calls"])' "$W/tick.json")
mapfile -t scripts < <(sqlite3 "$W/work/neuroflow.db" "SELECT script_path FROM pipeline_runs WHERE slurm_job_id IS NOT NULL ORDER BY id")
cancel
t2=$EPOCHREALTIME
for s in "${scripts[@]}"; do out=$(sbatch --parsable "$s"); ids+=("${out%%;*}"); done
t3=$EPOCHREALTIME
cancel
awk -v a="$t0" -v b="$t1" -v c="$t2" -v d="$t3" -v n="${#scripts[@]}" -v s="$submitted" 'BEGIN {
  nf = b - a; bare = d - c
  printf "| %d jobs (submitted, Slurm calls: %s) | neuroflow tick %.2f s (%.0f jobs/s) | bare sbatch %.1f s (%.0f jobs/s) | %.2fx the time, %.1fx the rate |\n", n, s, nf, n / nf, bare, n / bare, nf / bare, bare / nf
}'
