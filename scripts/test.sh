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
echo "tests: done in $(( $(date +%s) - T0 )) s"
