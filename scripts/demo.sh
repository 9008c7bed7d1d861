#!/usr/bin/env bash
# demo.sh — the main job end to end on generated data: local Slurm up, a fresh
# site directory with a starter configuration, the embedded SQLite store migrated,
# and a real job through neuroflow's Slurm adapter (doctor --probe-job).
# Run as root on Debian/Ubuntu. NEUROFLOW_DEMO_DIR picks the site directory.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DEMO=${NEUROFLOW_DEMO_DIR:-/tmp/neuroflow-demo}
bash "$HERE/scripts/setup.sh"
[ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
(cd "$HERE" && cargo build --locked --release --bins)
NF="$HERE/target/release/neuroflow"
step() { printf '\n==> %s\n' "$*"; }

rm -rf "$DEMO"
step "neuroflow init $DEMO"
"$NF" init "$DEMO"
export NEUROFLOW_CONFIG="$DEMO/neuroflow.yaml"

step "neuroflow config check"
"$NF" config check | head -20

step "neuroflow db migrate (embedded SQLite in $DEMO/work)"
"$NF" db migrate
"$NF" db status

step "neuroflow doctor --probe-job (a real Slurm job through the adapter)"
"$NF" doctor --probe-job
echo
echo "demo: done; site directory $DEMO"
