#!/usr/bin/env bash
# Run the test suite (pytest-xvfb starts its own X server; no display needed).
set -euo pipefail
cd "$(dirname "$0")/.."
exec .venv/bin/python -m pytest "$@"
