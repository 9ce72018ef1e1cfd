#!/usr/bin/env bash
# Screenshot the demo on a simulated wall: Xvfb with one big screen split into monitors by
# `xrandr --setmonitor`, exactly as the tests simulate walls.
#   scripts/wall-screenshot.sh LAYOUT COLUMNSxROWS MONITOR_WxH OUT.png [extra demo args…]
#   scripts/wall-screenshot.sh wall-3x2 3x2 1920x1080 /tmp/wall.png
#   scripts/wall-screenshot.sh briefing-laptop 1x1 1920x1080 /tmp/laptop.png
# CONTROLROOM="cmd…" runs another controlroom (e.g. a worktree's code with a shared venv).
set -euo pipefail
layout=$1 grid=$2 mon=$3 out=$4
shift 4
cols=${grid%x*} rows=${grid#*x} mw=${mon%x*} mh=${mon#*x}
# physical size of one monitor in mm (default: a 55" 16:9 wall panel); text is sized from it
mm=${MONITOR_MM:-1210x680}
mmw=${mm%x*} mmh=${mm#*x}
here=$(cd "$(dirname "$0")/.." && pwd)
# the first free X display from DISPLAY_NUM (default 94): another session's display is never reused
n=${DISPLAY_NUM:-94}
while [ -e "/tmp/.X$n-lock" ] || [ -e "/tmp/.X11-unix/X$n" ]; do n=$((n + 1)); done
display=:$n
Xvfb "$display" -screen 0 "$((cols * mw))x$((rows * mh))x24" -noreset >/dev/null 2>&1 &
xvfb=$!
trap 'kill $xvfb 2>/dev/null || true' EXIT
export DISPLAY=$display
for _ in $(seq 50); do xrandr >/dev/null 2>&1 && break; sleep 0.1; done
if true; then
  n=0
  for r in $(seq 0 $((rows - 1))); do
    for c in $(seq 0 $((cols - 1))); do
      output=none
      [ $n -eq 0 ] && output=screen
      xrandr --setmonitor "M$r$c" "$mw/${mmw}x$mh/${mmh}+$((c * mw))+$((r * mh))" "$output"
      n=$((n + 1))
    done
  done
fi
${CONTROLROOM:-"$here/.venv/bin/controlroom"} demo --layout "$layout" --screenshot "$out" --quit-after "${QUIT_AFTER:-6}" "$@"
