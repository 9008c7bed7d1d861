#!/usr/bin/env bash
# tick-bench.sh [WORKDIR]: the figures of docs/benchmarks.md "Ticks at 30,000 sessions".
# Builds stores with bench/make-store.sh (SQLite, and PostgreSQL when NF_BENCH_PG_URL
# names an empty-able database, e.g. postgres://postgres@localhost/nf_bench) and times
# the release binary: idle ticks at 1,000 and 30,000 sessions, a discovery re-scan of
# 30,000 registered folders, and a dry-run tick that plans and renders the chain of
# 1,000 new sessions (sbatch excluded). bench/submit-bench.sh and track-bench.sh
# measure submitting and tracking on the local Slurm. Needs `cargo build --release` first.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
W=${1:-/tmp/nf-tick-bench}
NF=${NEUROFLOW_BIN:-$HERE/target/release/neuroflow}
[ -x "$NF" ] || { echo "build neuroflow first (cargo build --release) or set NEUROFLOW_BIN" >&2; exit 1; }
export NEUROFLOW_BIN=$NF
M() { python3 "$HERE/bench/measure.py" "$@"; }
calls() { "$NF" --config "$1" workflow run --format json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["slurm_calls"])'; }
row() { printf '| %s | %s |\n' "$1" "$2"; }
reset_pg() { psql -q "$NF_BENCH_PG_URL" -c "SET client_min_messages = warning;" -c "DROP SCHEMA public CASCADE; CREATE SCHEMA public;" >/dev/null; }

echo "| measure | figure |"
echo "|---|---|"
for subjects in 334 10000; do
  rm -rf "$W/sq$subjects" && bash "$HERE/bench/make-store.sh" "$W/sq$subjects" "$subjects" 3 >/dev/null
  cfg=$W/sq$subjects/neuroflow.yaml
  row "idle tick, SQLite, $((subjects * 3)) sessions ($(calls "$cfg") Slurm calls)" "$(M 7 "$NF" --config "$cfg" workflow run)"
  if [ -n "${NF_BENCH_PG_URL:-}" ]; then
    reset_pg
    rm -rf "$W/pg$subjects" && bash "$HERE/bench/make-store.sh" "$W/pg$subjects" "$subjects" 3 "$NF_BENCH_PG_URL" >/dev/null
    cfg=$W/pg$subjects/neuroflow.yaml
    row "idle tick, PostgreSQL, $((subjects * 3)) sessions ($(calls "$cfg") Slurm calls)" "$(M 7 "$NF" --config "$cfg" workflow run)"
  fi
done
row "discovery re-scan, 30,000 registered folders (\`discover\`, whole process)" "$(M 7 "$NF" --config "$W/sq10000/neuroflow.yaml" discover)"
rm -rf "$W/fresh" && FRESH=334 bash "$HERE/bench/make-store.sh" "$W/fresh" 10000 3 >/dev/null
# As after the discovery that registered them (a tick discovers, then plans).
"$NF" --config "$W/fresh/neuroflow.yaml" discover >/dev/null 2>&1
row "plan + render the chain of 1,002 new sessions, 3,340 scripts (\`workflow run --dry-run\`, 30,000-session store)" \
  "$(M 3 "$NF" --config "$W/fresh/neuroflow.yaml" workflow run --dry-run)"
