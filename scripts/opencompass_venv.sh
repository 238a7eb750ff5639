#!/usr/bin/env bash
# Create the OpenCompass virtualenv the "opencompass" engine runs in (idempotent; ~4 minutes once, 2.2 GB).
# Usage: scripts/opencompass_venv.sh [VENV_DIR]   (default: .venv-opencompass in the repository root;
# point EVALHUB_OPENCOMPASS_PYTHON at VENV_DIR/bin/python when you choose another place).
# OpenCompass pins numpy<2 / datasets<4, which conflict with evalscope: hence its own virtualenv.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${1:-.venv-opencompass}"
PY="$VENV/bin/python"
if [ -x "$PY" ] && "$PY" -c "import opencompass, datasets, torch" 2>/dev/null; then
  exit 0
fi
echo "Creating the OpenCompass virtualenv in $VENV (a few minutes, once)..."
[ -x "$PY" ] || python3 -m venv "$VENV"
PIP=("$PY" -m pip install -q --disable-pip-version-check)
"${PIP[@]}" "torch==2.13.0"         # first, or opencompass pulls CUDA builds (GBs); CPU is enough for API models
"${PIP[@]}" "opencompass==0.5.4"
"${PIP[@]}" "pyarrow<26"            # pyarrow 26 needs numpy 2, opencompass pins numpy<2
"$PY" -c "import opencompass, datasets, torch" && echo "OpenCompass ready: $PY"
