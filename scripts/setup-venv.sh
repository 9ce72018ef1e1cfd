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
# Khronos glTF validator for the 3D Tiles tests (tests/geo/test_tiles_*.py); skipped without npm
if command -v npm >/dev/null; then npm install -q --prefix tools/gltf-validator gltf-validator >/dev/null \
  || echo "warning: npm could not install gltf-validator; the glTF validator test will skip" >&2; fi
