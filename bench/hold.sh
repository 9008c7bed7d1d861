# shellcheck shell=bash
# Sourced by the submitting benchmarks after they set HERE, JOBS and W: builds in W a
# site of JOBS new sessions with only BIDS conversion enabled (one job per session, no
# chain) and makes every job they submit stay pending. sbatch 22.05 has no hold
# variable, so a reservation starting in a week (root on the local cluster) is named
# through SBATCH_RESERVATION, which sbatch reads and no neuroflow script sets; jobs
# wait with reason "Reservation" and nothing runs. `release_hold` deletes it (after
# the caller cancelled its jobs).
NF=${NEUROFLOW_BIN:-$HERE/target/release/neuroflow}
[ -x "$NF" ] || { echo "build neuroflow first (cargo build --release)" >&2; exit 1; }
export NEUROFLOW_BIN=$NF PATH="/opt/neuroflow-venv/bin:$PATH"
subjects=$(( (JOBS + 2) / 3 ))
rm -rf "$W" && FRESH=$subjects bash "$HERE/bench/make-store.sh" "$W" "$subjects" 3 >/dev/null
sed -i -E 's/^  (qsiprep|qsirecon|qsiparc): \{/  \1: {enabled: false, /' "$W/neuroflow.yaml"
NF_BENCH_RESV=nf_bench_$$
scontrol create reservation reservationname="$NF_BENCH_RESV" starttime=now+7days duration=60 \
  users="$(id -un)" nodes=ALL >/dev/null
export SBATCH_RESERVATION=$NF_BENCH_RESV
release_hold() { scontrol delete reservationname="$NF_BENCH_RESV" 2>/dev/null || true; }
