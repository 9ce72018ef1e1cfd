#!/usr/bin/env bash
# Regenerate the README pictures under a virtual X server, with the demo's live feed running.
# Each is saved as a small JPEG (scaled to at most 1440 px wide) under docs/images/:
#   desk-1920.jpg        the single window at 1920×1080
#   desk-1366.jpg        the single window at 1366×768 (a small desk monitor)
#   desk-1920-zh_CN.jpg  the single window at 1920×1080 in Chinese (--lang zh_CN)
#   wall-3x2.jpg         the 3 × 2 video wall (six simulated 1080p 55" monitors, scripts/wall-screenshot.sh)
#   briefing-laptop.jpg  the leader's briefing laptop layout (one 14" 1920×1080 screen)
# Usage: scripts/make-readme-screenshot.sh [OUT_DIR]   (default docs/images)
# CONTROLROOM="cmd…" runs another controlroom (e.g. a worktree's code with a shared venv);
# PNG_DIR=folder also keeps the full-size PNGs there (to look at, not to commit).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-docs/images}
mkdir -p "$out"
cr=${CONTROLROOM:-.venv/bin/controlroom}
py=${PYTHON:-.venv/bin/python}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
wait_s=${QUIT_AFTER:-10}
# a fresh demo each time: no incidents or settings left over from earlier runs in ~/.local/state
export CONTROLROOM_STATE_DIR="$tmp/state" CONTROLROOM_CONFIG_DIR="$tmp/config"

desk() {  # desk SIZE NAME [demo args…]
  local size=$1 name=$2
  shift 2
  xvfb-run -a -s "-screen 0 ${size}x24" $cr demo --size "$size" --quit-after "$wait_s" \
    --screenshot "$tmp/$name.png" "$@"
}

desk 1920x1080 desk-1920 --lang en
desk 1366x768 desk-1366 --lang en
desk 1920x1080 desk-1920-zh_CN --lang zh_CN
CONTROLROOM="$cr" QUIT_AFTER=$wait_s scripts/wall-screenshot.sh wall-3x2 3x2 1920x1080 "$tmp/wall-3x2.png" --lang en
CONTROLROOM="$cr" QUIT_AFTER=$wait_s MONITOR_MM=309x174 \
  scripts/wall-screenshot.sh briefing-laptop 1x1 1920x1080 "$tmp/briefing-laptop.png" --lang en

if [ -n "${PNG_DIR:-}" ]; then mkdir -p "$PNG_DIR" && cp "$tmp"/*.png "$PNG_DIR"/; fi
"$py" - "$tmp" "$out" <<'PY'
import sys
from pathlib import Path

from PIL import Image

src, dst = Path(sys.argv[1]), Path(sys.argv[2])
for png in sorted(src.glob("*.png")):
    image = Image.open(png).convert("RGB")
    if image.width > 1440:
        image = image.resize((1440, round(image.height * 1440 / image.width)), Image.LANCZOS)
    target = dst / f"{png.stem}.jpg"
    image.save(target, quality=78, optimize=True, progressive=True)
    print(f"wrote {target} ({image.width}×{image.height}, {target.stat().st_size // 1024} KiB)")
PY
