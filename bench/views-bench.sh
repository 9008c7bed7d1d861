#!/usr/bin/env bash
# views-bench.sh [WORKDIR]: the figures of docs/benchmarks.md "Read views at scale".
# Builds SQLite stores of 1,000, 10,000 and 30,000 finished sessions with
# bench/make-store.sh (SPREAD=1: their runs spread over the last 26 weeks, so the
# weekly plots have something to count) and times, with the release binary, each
# read view a person or a script opens: `workflow status` (text and --format json),
# `runs`, `runs --format json`, `explain`, `sessions list` and the status page
# (`report --html`). Each figure is the median wall time of 5 runs and the largest
# peak RSS (bench/measure.py). NF_BENCH_PG_URL (a database it may empty, e.g.
# postgres://postgres@localhost/nf_bench) measures PostgreSQL stores instead.
# Needs `cargo build --release` first.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
W=${1:-/tmp/nf-views-bench}
NF=${NEUROFLOW_BIN:-$HERE/target/release/neuroflow}
[ -x "$NF" ] || { echo "build neuroflow first (cargo build --release) or set NEUROFLOW_BIN" >&2; exit 1; }
export NEUROFLOW_BIN=$NF
M() { python3 "$HERE/bench/measure.py" 5 "$@"; }
SIZES=${SIZES:-334 3334 10000}
printf '| view |'
for s in $SIZES; do printf ' %s sessions |' "$((s * 3))"; done
printf '\n|---|'
for _ in $SIZES; do printf -- '---|'; done
printf '\n'
declare -A fig
for s in $SIZES; do
  if [ -n "${NF_BENCH_PG_URL:-}" ]; then
    psql -q "$NF_BENCH_PG_URL" -c "SET client_min_messages = warning;" -c "DROP SCHEMA public CASCADE; CREATE SCHEMA public;" >/dev/null
  fi
  rm -rf "$W/sq$s" && SPREAD=1 bash "$HERE/bench/make-store.sh" "$W/sq$s" "$s" 3 ${NF_BENCH_PG_URL:+"$NF_BENCH_PG_URL"} >/dev/null
  # A live PostgreSQL store is vacuumed by autovacuum; a store loaded a moment ago is
  # not yet, and its index-only scans would visit the table for visibility.
  if [ -n "${NF_BENCH_PG_URL:-}" ]; then psql -q "$NF_BENCH_PG_URL" -c "VACUUM ANALYZE" >/dev/null; fi
  c=(--config "$W/sq$s/neuroflow.yaml")
  fig[status,$s]=$(M "$NF" "${c[@]}" workflow status)
  fig[status_json,$s]=$(M "$NF" "${c[@]}" workflow status --format json)
  fig[runs,$s]=$(M "$NF" "${c[@]}" runs list)
  fig[runs_json,$s]=$(M "$NF" "${c[@]}" runs list --format json)
  fig[explain,$s]=$(M "$NF" "${c[@]}" explain 00042)
  fig[sessions,$s]=$(M "$NF" "${c[@]}" sessions list)
  fig[page,$s]=$(M "$NF" "${c[@]}" report --html "$W/sq$s/page")
done
for v in "workflow status:status" "workflow status --format json:status_json" "runs list:runs" \
  "runs list --format json:runs_json" "explain 00042:explain" "sessions list:sessions" "report --html (the page):page"; do
  # shellcheck disable=SC2016 # the backquotes are Markdown's
  printf '| `%s` |' "${v%%:*}"
  for s in $SIZES; do printf ' %s |' "${fig[${v##*:},$s]}"; done
  printf '\n'
done
