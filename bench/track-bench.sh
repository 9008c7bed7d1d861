#!/usr/bin/env bash
# track-bench.sh [JOBS] [WORKDIR]: the cost of tracking JOBS (default 2,000) live
# jobs on the local Slurm (docs/benchmarks.md "Tracking"). One tick submits them into
# a future reservation (bench/hold.sh), then idle ticks poll them; each tick's Slurm
# calls are counted and the same squeue neuroflow runs is timed alone, so the figure beside it is
# neuroflow's own. Jobs are cancelled at the end. Needs what submit-bench.sh needs.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
JOBS=${1:-2000} W=${2:-/tmp/nf-track-bench}
# shellcheck source=bench/hold.sh
. "$HERE/bench/hold.sh"
db=$W/work/neuroflow.db
cancel() { sqlite3 "$db" "SELECT slurm_job_id FROM pipeline_runs WHERE slurm_job_id IS NOT NULL" | xargs -r -n 500 scancel; }
trap 'cancel; release_hold' EXIT
"$NF" --config "$W/neuroflow.yaml" workflow run >/dev/null 2>&1
ids=$(sqlite3 "$db" "SELECT group_concat(slurm_job_id) FROM pipeline_runs WHERE slurm_job_id IS NOT NULL")
live=$(sqlite3 "$db" "SELECT count(*) FROM pipeline_runs WHERE status IN ('queued', 'running')")
tick() { # label
  local t0 t1 calls
  t0=$EPOCHREALTIME
  calls=$("$NF" --config "$W/neuroflow.yaml" workflow run --format json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["slurm_calls"])')
  t1=$EPOCHREALTIME
  local q0 q1
  q0=$EPOCHREALTIME
  squeue --noheader --array --states=all --jobs="$ids" --format='%A|%i|%T|%r|%j|%k' >/dev/null
  q1=$EPOCHREALTIME
  awk -v l="$1" -v n="$live" -v c="$calls" -v a="$t0" -v b="$t1" -v q="$q0" -v r="$q1" 'BEGIN {
    printf "| %s, %d live jobs | %s Slurm calls | tick %.0f ms | squeue alone %.0f ms | beside it %.0f ms |\n", l, n, c, (b - a) * 1000, (r - q) * 1000, (b - a - (r - q)) * 1000 }'
}
tick "first poll (every pending reason recorded)"
for i in 1 2 3; do tick "steady poll $i"; done
if [ -n "${NF_BENCH_PERF:-}" ]; then # a profile of one more poll (perf record)
  perf record -F 5000 -g -o "$W/perf.data" "$NF" --config "$W/neuroflow.yaml" workflow run >/dev/null 2>&1
fi
