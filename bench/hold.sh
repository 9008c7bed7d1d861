# shellcheck shell=bash
# Sourced by the submitting benchmarks: every job they submit stays pending. sbatch
# 22.05 has no hold variable, so a reservation starting in a week (root on the local
# cluster) is named through SBATCH_RESERVATION, which sbatch reads and which no
# neuroflow script sets; the jobs wait with reason "Reservation" and nothing runs.
# `release_hold` deletes it (call it after cancelling the jobs).
NF_BENCH_RESV=nf_bench_$$
scontrol create reservation reservationname="$NF_BENCH_RESV" starttime=now+7days duration=60 \
  users="$(id -un)" nodes=ALL >/dev/null
export SBATCH_RESERVATION=$NF_BENCH_RESV
release_hold() { scontrol delete reservationname="$NF_BENCH_RESV" 2>/dev/null || true; }
