#!/usr/bin/env bash
# Re-extract every tr()/translate() string of controlroom/ into translations/*.ts (Qt's lupdate
# from PySide6), keeping existing translations and dropping vanished ones; then list what is
# still unfinished. Idempotent: run it after adding UI strings, translate, run it again.
# Exit 1 while any string is unfinished.
set -euo pipefail
cd "$(dirname "$0")/.."
exec .venv/bin/python -m controlroom.qt.translations update
