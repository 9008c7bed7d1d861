#!/usr/bin/env bash
# demo.sh — the main job end to end on generated data, as a site would run it:
#   local Slurm with accounting, a fresh site directory, the embedded SQLite store,
#   generated DICOM sessions for two subjects, real HeuDiConv + dcm2niix and the real
#   QSIParc (PyPI) inside Slurm jobs, stand-in QSIPrep/QSIRecon (their images are tens
#   of GB; the stand-ins parse as their releases do and write what the real tools
#   write, QSIRecon's atlas and scalar maps as real NIfTI files), the whole
#   chain submitted in one tick with afterok dependencies and tracked to the end;
#   then a new session for a finished subject re-runs its qsiprep and downstream.
# Run as root on Debian/Ubuntu. NEUROFLOW_DEMO_DIR picks the site directory.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DEMO=${NEUROFLOW_DEMO_DIR:-/tmp/neuroflow-demo}
VENV=${NEUROFLOW_VENV:-/opt/neuroflow-venv}
TOOLS=${NEUROFLOW_TOOLS:-/opt/neuroflow-tools}
NEUROFLOW_SETUP_RELEASES="" bash "$HERE/scripts/setup.sh"
# shellcheck disable=SC1091
[ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
(cd "$HERE" && cargo build --locked --release --workspace --bins)
NF="$HERE/target/release/neuroflow"
SYNTH="$HERE/target/release/neuroflow-synth"
STANDINS="$HERE/tests/fixtures/standins"
step() { printf '\n==> %s\n' "$*"; }

rm -rf "$DEMO"
step "neuroflow init $DEMO"
"$NF" init "$DEMO"
export NEUROFLOW_CONFIG="$DEMO/neuroflow.yaml"
# The starter config, pointed at this machine's tools.
python3 - "$DEMO/neuroflow.yaml" "$VENV" "$STANDINS" "$TOOLS" <<'PY'
import re, sys
path, venv, standins, tools = sys.argv[1:]
text = open(path).read()
text = text.replace("stability_minutes: 10", "stability_minutes: 0")
text = text.replace("poll_interval_seconds: 30", "poll_interval_seconds: 2")
text = text.replace("    command: heudiconv\n", f"    command: {venv}/bin/heudiconv\n    setup: ['export PATH={venv}/bin:$PATH', 'export NO_ET=1']\n")
for tool in ["qsiprep", "qsirecon"]:
    text = re.sub(rf"  {tool}:\n    image: [^\n]+\n", f"  {tool}:\n    runtime: native\n    command: {standins}/{tool}\n", text)
text = re.sub(r"  qsiparc:\n    image: [^\n]+\n", f"  qsiparc:\n    runtime: native\n    command: {tools}/qsiparc/bin/qsiparc\n", text)
text = text.replace("cpus: 8, mem_gb: 32, gpus: 0", "cpus: 2, mem_gb: 2, gpus: 0").replace("max_mem_gb: 64", "max_mem_gb: 4")
text = text.replace("cpus: 4, mem_gb: 16", "cpus: 1, mem_gb: 1").replace("cpus: 2, mem_gb: 8", "cpus: 1, mem_gb: 1")
text = text.replace("    max_concurrent: 1\n", "    max_concurrent: 2\n")
open(path, "w").write(text)
PY

# What every site provides: a FreeSurfer licence (QSIRecon refuses to start without
# one) and a pre-filled TemplateFlow cache (compute nodes are often offline).
printf 'demo@example.org\n00000\n' > "$DEMO/license.txt"
mkdir -p "$DEMO/templateflow/tpl-MNI152NLin2009cAsym"

step "generated DICOM: 4 sessions of 2 subjects (Siemens, GE, Philips, Canon)"
"$SYNTH" "$DEMO/incoming" --sessions 4 > "$DEMO/all-sessions.csv"
# The first three visits are known to the mapping; the fourth arrives later.
head -4 "$DEMO/all-sessions.csv" > "$DEMO/mapping.csv"
LATE=$(tail -1 "$DEMO/all-sessions.csv" | cut -d, -f1)
mv "$DEMO/incoming/$LATE" "$DEMO/late-$LATE"
cat "$DEMO/mapping.csv"

step "neuroflow config check && neuroflow db migrate && neuroflow doctor --probe-job"
"$NF" config check >/dev/null && echo "config: valid"
"$NF" db migrate
"$NF" doctor --probe-job

step "neuroflow workflow run --dry-run (first lines: nothing is submitted or recorded)"
"$NF" workflow run --dry-run 2>/dev/null | sed -n '1,40p'

step "neuroflow workflow run (one tick: discover, then the whole chain with afterok)"
"$NF" workflow run
squeue --noheader --format='%.8i %.48j %.10T %r %E' | grep -E ' nf-[a-z_]+-sub-P000' || true

step "neuroflow workflow run --sync (polls politely until nothing is live)"
"$NF" workflow run --sync

step "neuroflow sessions list; neuroflow runs list"
"$NF" sessions list
"$NF" runs list

step "a new visit of a finished subject arrives"
mv "$DEMO/late-$LATE" "$DEMO/incoming/$LATE"
cp "$DEMO/all-sessions.csv" "$DEMO/mapping.csv"
"$NF" workflow run --sync
"$NF" runs list --all --stage qsiprep

step "what the chain wrote"
(cd "$DEMO" && find bids derivatives \( -name '*.nii.gz' -o -name '*.html' -o -name '*.tsv' \) -print | sort | sed -n '1,40p')
step "a table the real QSIParc wrote"
t=$(find "$DEMO/derivatives/qsiparc" -name '*_diffmap.tsv' | sort | head -n 1)
echo "$t"; cut -f 1-8 "$t"
"$NF" runs list --stage qsiparc --format json | python3 -c 'import json, sys; print("qsiparc runs:", [r["status"] for r in json.load(sys.stdin)])'

step "neuroflow workflow status (where every session stands) and workflow list (the ticks)"
"$NF" workflow status
"$NF" workflow list --limit 5

step "every run completed?"
"$NF" runs list --format json | python3 -c '
import json, sys
runs = json.load(sys.stdin)
bad = [r for r in runs if r["status"] != "completed"]
print(f"{len(runs)} current runs, {len(runs) - len(bad)} completed")
sys.exit(1 if bad or len(runs) != 14 else 0)'

step "the status page: plots of the study, offline (neuroflow report --html)"
"$NF" report --html "$DEMO/page"
bash "$HERE/scripts/page-shot.sh" "$DEMO/page" "$DEMO/status-page.png"
echo "open file://$DEMO/page/index.html (screenshot: $DEMO/status-page.png)"
echo
echo "demo: done; site directory $DEMO (neuroflow runs show 1 --format json shows a full Slurm record)"
