#!/usr/bin/env bash
# Creates (idempotently) the Python venv holding the real BIDS converters neuroflow drives and tests against:
# PyPI heudiconv 1.5.x, PyPI dcm2niix (newer than Debian's: writes bval/bvec for Siemens mosaics), pydicom and
# nibabel (pulled by heudiconv; their wheels ship the real DICOM test files tests/it/dicom_real.rs reads), and
# the offline BIDS validator (bids-validator-deno).
#
#   bash scripts/python-env.sh            # create or verify; fast (<1 s) when already up to date
#   NEUROFLOW_VENV=/some/where bash scripts/python-env.sh
#   bash scripts/python-env.sh --force    # rebuild from scratch
#
# Prints KEY=VALUE lines (VENV, PYTHON, HEUDICONV, DCM2NIIX, BIDS_VALIDATOR, PYDICOM_TEST_FILES,
# NIBABEL_TEST_DATA) on stdout; progress goes to stderr.
set -euo pipefail

VENV="${NEUROFLOW_VENV:-/opt/neuroflow-venv}"
PYTHON_BIN="${NEUROFLOW_PYTHON:-python3}"
# Bump this list (and so the stamp) to force every machine to re-install.
REQUIREMENTS=(
  "heudiconv>=1.5,<1.6"
  "dcm2niix>=1.0.20240202"
  "pydicom>=3.0,<4"
  "nibabel>=5.2"
  "bids-validator-deno>=2.0"
)
STAMP="$VENV/.neuroflow-stamp"
WANT_STAMP="$(printf '%s\n' "${REQUIREMENTS[@]}")"

log() { printf 'python-env: %s\n' "$*" >&2; }

if [[ "${1:-}" == "--force" ]]; then
  log "removing $VENV (--force)"
  rm -rf "$VENV"
fi

# Up to date when the stamp matches the requirement list and every tool still runs.
is_current() {
  [[ -f "$STAMP" ]] && [[ "$(cat "$STAMP")" == "$WANT_STAMP" ]] &&
    [[ -x "$VENV/bin/heudiconv" && -x "$VENV/bin/dcm2niix" && -x "$VENV/bin/python" ]] &&
    "$VENV/bin/python" -c 'import heudiconv, pydicom, nibabel' 2>/dev/null
}

if is_current; then
  log "up to date: $VENV"
else
  if [[ ! -x "$VENV/bin/python" ]]; then
    log "creating venv $VENV with $("$PYTHON_BIN" --version 2>&1)"
    "$PYTHON_BIN" -m venv "$VENV"
  fi
  log "installing ${REQUIREMENTS[*]} (a minute on a cold cache)"
  "$VENV/bin/python" -m pip install --disable-pip-version-check -q "${REQUIREMENTS[@]}"
  printf '%s\n' "$WANT_STAMP" >"$STAMP"
fi

site="$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
echo "VENV=$VENV"
echo "PYTHON=$VENV/bin/python"
echo "HEUDICONV=$VENV/bin/heudiconv"
echo "HEUDICONV_VERSION=$("$VENV/bin/heudiconv" --version 2>/dev/null | tail -n1)"
echo "DCM2NIIX=$VENV/bin/dcm2niix"
echo "DCM2NIIX_VERSION=$("$VENV/bin/dcm2niix" --version 2>/dev/null | grep -o 'v[0-9][0-9.]*' | head -n1 || true)"
echo "BIDS_VALIDATOR=$(command -v "$VENV/bin/bids-validator-deno" || echo missing)"
echo "PYDICOM_TEST_FILES=$site/pydicom/data/test_files"
echo "NIBABEL_TEST_DATA=$site/nibabel/nicom/tests/data"
log "export NO_ET=1 before running heudiconv/dcm2niix (disables etelemetry's network version check)"
log "e.g.: export NO_ET=1 PATH=\"$VENV/bin:\$PATH\""
