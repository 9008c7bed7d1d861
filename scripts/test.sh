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
cargo test --locked "$@"
echo "tests: done in $(( $(date +%s) - T0 )) s"
