#!/usr/bin/env bash
# test.sh — the whole test suite: unit tests, and end-to-end tests of the built
# binary against the real local Slurm, PostgreSQL and SQLite. Brings up what is
# missing first (scripts/setup.sh, idempotent). Run as root.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bash "$HERE/scripts/setup.sh"
# shellcheck disable=SC1091
[ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
cd "$HERE"
T0=$(date +%s)
# The written rules, enforced: formatting, lints (clippy.toml bans spawning processes
# outside slurm::runner), and shell hygiene of the scripts and stand-ins.
cargo fmt --all --check
cargo clippy --locked --workspace --all-targets -- -D warnings
shellcheck -x scripts/*.sh slurm/*.sh bench/*.sh .ci/run tests/fixtures/standins/{common.sh,apptainer,heudiconv,qsiprep,qsirecon,qsiparc} tests/fixtures/real-apptainer
echo "checks: fmt, clippy, shellcheck clean in $(( $(date +%s) - T0 )) s"
cargo test --locked --workspace "$@"
echo "tests: done on Slurm 22.05 in $(( $(date +%s) - T0 )) s"
# The same daemons-facing tests on every other Slurm release a centre runs (the
# clusters of slurm/release.sh, beside 22.05): the adapter itself, the chain with its
# afterok dependencies, OOM and GPU requests, arrays, cancellation, a controller that
# is down, the adoption of jobs whose sbatch answer was lost (hidden state), doctor's
# checks, and the fault binary (slurmctld restarted at submission and at tracking,
# slurmdbd down while jobs finish). The rest of the suite does not talk to Slurm in a
# way a release can change (docs/benchmarks.md, "CI").
# NEUROFLOW_TEST_RELEASES="" skips them (e.g. while iterating on one test).
SUBSET=(slurm_real:: chain:: arrays:: changes::runs_cancel changes::submit_force changes::disabling
  chain_cli::a_controller chain_cli::runs_failures ops::an_sbatch ops::doctor tool_releases::releases_are)
for release in ${NEUROFLOW_TEST_RELEASES-24.11 26.05}; do
  T1=$(date +%s)
  bash "$HERE/slurm/up.sh" --release "$release" | tail -n 1
  PATH="/var/cache/neuroflow/slurm-$release/bin:$PATH" NEUROFLOW_SLURM_RELEASE=$release \
    cargo test --locked -p neuroflow --test it --test faults -- "${SUBSET[@]}" slurm
  echo "tests: done on Slurm $release in $(( $(date +%s) - T1 )) s"
done
echo "tests: all done in $(( $(date +%s) - T0 )) s"
