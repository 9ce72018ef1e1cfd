#!/usr/bin/env bash
# Create .venv with the app and its test tools (idempotent).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then "$PY" -m venv .venv; fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".[test]"
# compiled translations (.qm) from translations/*.ts
scripts/build-translations.sh >/dev/null
