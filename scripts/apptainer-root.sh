#!/usr/bin/env bash
# apptainer-root.sh — the real Apptainer (Debian sid's apptainer 1.4.5) in a debootstrap
# root, cached: `build` and `inspect` work in this kind of sandbox (`exec`/`run` do not),
# so the tests build real SIF files with labels and have neuroflow read them with the
# real `apptainer inspect --json` (tests/fixtures/real-apptainer runs it in the root).
#
#   bash scripts/apptainer-root.sh           # create or verify; <1 s when present
#   bash scripts/apptainer-root.sh --force   # rebuild
#   NEUROFLOW_ROOTS=/var/cache/neuroflow/roots  (default)
#
# Prints APPTAINER_ROOT=<dir> and APPTAINER_VERSION=<version>; progress on stderr.
set -euo pipefail
ROOTS=${NEUROFLOW_ROOTS:-/var/cache/neuroflow/roots}
ROOT="$ROOTS/sid-apptainer"
MIRROR=${NEUROFLOW_DEBIAN_MIRROR:-http://deb.debian.org/debian}
log() { printf 'apptainer-root: %s\n' "$*" >&2; }

if [[ "${1:-}" == "--force" ]]; then rm -rf "$ROOT"; fi
if [[ ! -x "$ROOT/usr/bin/apptainer" || ! -f "$ROOT/.neuroflow-complete" ]]; then
  command -v debootstrap >/dev/null || { log "installing debootstrap"; apt-get install -y -qq debootstrap >/dev/null; }
  rm -rf "$ROOT" && mkdir -p "$ROOTS"
  T0=$(date +%s)
  log "debootstrap sid with apptainer and squashfs-tools into $ROOT (about a minute)"
  debootstrap --variant=minbase --include=apptainer,squashfs-tools sid "$ROOT" "$MIRROR" >/tmp/neuroflow-apptainer-root.log 2>&1 ||
    { tail -20 /tmp/neuroflow-apptainer-root.log >&2; log "debootstrap failed"; exit 1; }
  touch "$ROOT/.neuroflow-complete"
  log "done in $(( $(date +%s) - T0 )) s"
fi
echo "APPTAINER_ROOT=$ROOT"
echo "APPTAINER_VERSION=$(chroot "$ROOT" apptainer --version 2>/dev/null | awk '{print $NF}')"
