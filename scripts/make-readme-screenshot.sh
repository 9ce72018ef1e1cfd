#!/usr/bin/env bash
# Regenerate docs/images/demo.png: the demo window on the sample site, under a virtual X server.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p docs/images
xvfb-run -a -s "-screen 0 1920x1080x24" .venv/bin/controlroom demo --size 1440x810 --screenshot docs/images/demo.png
