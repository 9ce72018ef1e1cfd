#!/usr/bin/env bash
# Regenerate the README pictures under a virtual X server, with the demo's live feed running:
#   docs/images/demo.png      the single-window demo on the sample site
#   docs/images/wall-3x2.jpg  the 3 × 2 video wall (six simulated 1080p monitors), scaled down
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p docs/images
xvfb-run -a -s "-screen 0 1920x1080x24" .venv/bin/controlroom demo --size 1600x900 --quit-after 10 \
  --screenshot docs/images/demo.png
QUIT_AFTER=10 scripts/wall-screenshot.sh wall-3x2 3x2 1920x1080 /tmp/controlroom-wall-3x2.png
.venv/bin/python - <<'PY'
from PIL import Image

Image.open("/tmp/controlroom-wall-3x2.png").convert("RGB").resize((1920, 720), Image.LANCZOS).save(
    "docs/images/wall-3x2.jpg", quality=85, optimize=True
)
PY
