#!/usr/bin/env bash
# setup.sh — install and start everything neuroflow's tests and demo need, on a
# fresh Debian/Ubuntu machine with root. Idempotent: a second run only checks
# (a few seconds). Used by scripts/test.sh, scripts/demo.sh and .ci/run.
#
#   build tools + libpq + libsqlite3 + bubblewrap (backs the Apptainer stand-in) + shellcheck
#   + chromium (headless: the status page test) (apt)
#   Rust toolchain with rustfmt + clippy (rustup, if missing)
#   PostgreSQL (apt, started; role neuroflow_test)   Slurm with accounting (slurm/up.sh)
#   Slurm 24.11 and 26.05 beside 22.05, from Debian trixie/sid roots (slurm/release.sh)
#   the real Apptainer in a Debian sid debootstrap root (scripts/apptainer-root.sh)
#   Python venv with heudiconv + dcm2niix + pydicom (scripts/python-env.sh)
#   the real QSIParc and QSIPrep's parser at every supported release (scripts/tool-envs.sh)
#
# Environment: NEUROFLOW_SETUP_PYTHON=0 skips the Python venv (the foundation
# tests do not need it).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
T0=$(date +%s)
log() { printf '[setup %3ss] %s\n' "$(( $(date +%s) - T0 ))" "$*"; }
die() { log "ERROR: $*"; exit 1; }
[ "$(id -u)" = 0 ] || die "run as root (it installs packages and starts daemons)"
export DEBIAN_FRONTEND=noninteractive

missing=()
for p in build-essential pkg-config libpq-dev libsqlite3-dev python3-venv curl ca-certificates bubblewrap shellcheck chromium sqlite3 debootstrap; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
done
if ! command -v pg_lsclusters >/dev/null || [ -z "$(pg_lsclusters -h 2>/dev/null)" ]; then missing+=(postgresql); fi
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]}"
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/tmp/neuroflow-setup-apt.log 2>&1 || {
    apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/tmp/neuroflow-setup-apt.log 2>&1
  } || { tail -20 /tmp/neuroflow-setup-apt.log; die "apt-get install failed"; }
fi

if ! command -v cargo >/dev/null; then
  [ -x "$HOME/.cargo/bin/cargo" ] || {
    log "installing the Rust toolchain (rustup)"
    curl -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal -c clippy,rustfmt >/dev/null
  }
  # shellcheck disable=SC1091
  . "$HOME/.cargo/env"
fi
# scripts/test.sh runs rustfmt and clippy.
if ! cargo fmt --version >/dev/null 2>&1 || ! cargo clippy --version >/dev/null 2>&1; then
  log "adding the rustfmt and clippy components"
  rustup component add rustfmt clippy >/dev/null
fi

# PostgreSQL: start every cluster that is down, then make sure the test role exists.
while read -r ver name _ status _; do
  if [ "$status" != online ]; then
    log "starting PostgreSQL $ver/$name"
    pg_ctlcluster --skip-systemctl-redirect "$ver" "$name" start
  fi
done < <(pg_lsclusters -h)
for _ in $(seq 1 50); do runuser -u postgres -- psql -qAtc 'select 1' >/dev/null 2>&1 && break; sleep 0.2; done
runuser -u postgres -- psql -qAtc 'select 1' >/dev/null || die "PostgreSQL does not answer"
runuser -u postgres -- psql -q -c "DO \$\$BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'neuroflow_test') THEN
    CREATE ROLE neuroflow_test LOGIN SUPERUSER PASSWORD 'neuroflow_test';
  END IF; END\$\$;" >/dev/null
log "PostgreSQL ready (role neuroflow_test)"

bash "$HERE/slurm/up.sh"
# Slurm 24.11 and 26.05 beside it (Debian trixie / sid roots, built once, cached): the
# suite's release runs (scripts/test.sh). NEUROFLOW_SETUP_RELEASES="" skips them (the demo).
for release in ${NEUROFLOW_SETUP_RELEASES-24.11 26.05}; do
  bash "$HERE/slurm/up.sh" --release "$release" | tail -n 1
done
# The real Apptainer (build, inspect) in a debootstrap root: release detection tests.
bash "$HERE/scripts/apptainer-root.sh" >/dev/null
if [ "${NEUROFLOW_SETUP_PYTHON:-1}" = 1 ] && [ -f "$HERE/scripts/python-env.sh" ]; then
  bash "$HERE/scripts/python-env.sh" >/dev/null
  bash "$HERE/scripts/tool-envs.sh" >/dev/null
fi
log "ready"
