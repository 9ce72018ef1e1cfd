#!/usr/bin/env bash
# Compile translations/*.ts to controlroom/i18n/*.qm (Qt's lrelease from PySide6); run at install
# and at package time. A source checkout also compiles on first use, into the cache.
set -euo pipefail
cd "$(dirname "$0")/.."
exec .venv/bin/python -m controlroom.qt.translations build "$@"
