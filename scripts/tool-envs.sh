#!/usr/bin/env bash
# tool-envs.sh — the real tools from PyPI that the test suite runs, each cached:
#   * the real QSIParc 0.1.2 (pure Python) in its own venv: the chain's last stage
#     runs it for real (demo and end-to-end tests);
#   * the argument parsers of every supported QSIPrep release (1.0.2, 1.1.1, 26.0.0,
#     26.1.1), each wheel installed --no-deps into its own folder, over one venv of
#     what `qsiprep.cli.parser` imports (the full installs declare tensorflow and
#     torch): tests/it/real_parsers.rs feeds every rendered line to them.
# HeuDiConv 1.5.x is in the converters' venv (scripts/python-env.sh).
#
#   bash scripts/tool-envs.sh          # create or verify; <1 s when up to date
#   bash scripts/tool-envs.sh --force  # rebuild
#   NEUROFLOW_TOOLS=/some/where bash scripts/tool-envs.sh
#
# Prints KEY=VALUE lines (QSIPARC, QSIPARC_PYTHON, PARSER_PYTHON, QSIPREP_<release>);
# progress goes to stderr.
set -euo pipefail

ROOT="${NEUROFLOW_TOOLS:-/opt/neuroflow-tools}"
PYTHON_BIN="${NEUROFLOW_PYTHON:-python3}"
QSIPREP_RELEASES=(1.0.2 1.1.1 26.0.0 26.1.1)
# What `qsiparc run` imports (src/qsiparc/*.py @0.1.2); its declared statsmodels,
# yabplot (VTK, 0.6 GB) and tqdm are for other commands.
QSIPARC=("qsiparc==0.1.2" "parcellate==0.4.2")
QSIPARC_DEPS=("nibabel==5.4.2" "numpy==2.4.6" "pandas==3.1.1" "scipy==1.17.1" "click==8.5.1" "nilearn==0.14.1")
# What qsiprep/cli/parser.py and qsiprep/config.py import, at every release above.
PARSER_DEPS=("nipype==1.11.0" "pybids==0.22.0" "templateflow==25.1.2" "qsiplan==0.5.0" "pyyaml" "toml" "psutil")
WANT="$(printf '%s\n' "${QSIPREP_RELEASES[@]}" "${QSIPARC[@]}" "${QSIPARC_DEPS[@]}" "${PARSER_DEPS[@]}")"
STAMP="$ROOT/.neuroflow-stamp"

log() { printf 'tool-envs: %s\n' "$*" >&2; }
pip() { "$1/bin/python" -m pip install --disable-pip-version-check -q "${@:2}"; }

if [[ "${1:-}" == "--force" ]]; then
  log "removing $ROOT (--force)"
  rm -rf "$ROOT"
fi

is_current() {
  [[ -f "$STAMP" && "$(cat "$STAMP")" == "$WANT" && -x "$ROOT/qsiparc/bin/qsiparc" ]] || return 1
  for r in "${QSIPREP_RELEASES[@]}"; do [[ -f "$ROOT/qsiprep-$r/qsiprep/cli/parser.py" ]] || return 1; done
}

if is_current; then
  log "up to date: $ROOT"
else
  T0=$(date +%s)
  mkdir -p "$ROOT"
  [[ -x "$ROOT/qsiparc/bin/python" ]] || "$PYTHON_BIN" -m venv "$ROOT/qsiparc"
  log "installing ${QSIPARC[*]} (+ what it imports)"
  pip "$ROOT/qsiparc" --no-deps "${QSIPARC[@]}"
  pip "$ROOT/qsiparc" "${QSIPARC_DEPS[@]}"
  [[ -x "$ROOT/parsers/bin/python" ]] || "$PYTHON_BIN" -m venv "$ROOT/parsers"
  log "installing what QSIPrep's parser imports: ${PARSER_DEPS[*]}"
  pip "$ROOT/parsers" "${PARSER_DEPS[@]}"
  for r in "${QSIPREP_RELEASES[@]}"; do
    log "installing the qsiprep==$r wheel (--no-deps) into $ROOT/qsiprep-$r"
    rm -rf "$ROOT/qsiprep-$r"
    pip "$ROOT/parsers" --no-deps --target "$ROOT/qsiprep-$r" "qsiprep==$r"
  done
  printf '%s\n' "$WANT" >"$STAMP"
  log "done in $(( $(date +%s) - T0 )) s"
fi

echo "QSIPARC=$ROOT/qsiparc/bin/qsiparc"
echo "QSIPARC_PYTHON=$ROOT/qsiparc/bin/python"
echo "PARSER_PYTHON=$ROOT/parsers/bin/python"
for r in "${QSIPREP_RELEASES[@]}"; do echo "QSIPREP_$r=$ROOT/qsiprep-$r"; done
