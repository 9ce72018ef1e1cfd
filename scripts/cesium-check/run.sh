#!/usr/bin/env bash
# Open one of our tilesets in CesiumJS (headless Chromium, SwiftShader WebGL) and print what it read:
# tiles loaded/failed, features and triangles of the leaves, one feature's properties; saves a PNG.
# Needs: chromium (apt-get install chromium) and CesiumJS (npm install --prefix DIR cesium).
# Usage: scripts/cesium-check/run.sh TILESET_DIR CESIUM_NODE_MODULES OUT_DIR
set -euo pipefail
tiles=$(realpath "$1"); cesium=$(realpath "$2")/cesium/Build/Cesium; out=$(realpath -m "$3")
here=$(cd "$(dirname "$0")" && pwd)
www=$(mktemp -d); mkdir -p "$out"; rm -f "$out/result.jsonl"
ln -s "$cesium" "$www/Cesium"; ln -s "$tiles" "$www/tileset"; cp "$here/index.html" "$www/"
python3 "$here/serve.py" "$www" "$out/result.jsonl" 8765 & server=$!
chromium --headless=new --no-sandbox --use-angle=swiftshader --enable-unsafe-swiftshader \
  --ignore-gpu-blocklist --window-size=480,400 --remote-debugging-port=9333 \
  "http://127.0.0.1:8765/index.html?tileset=tileset/tileset.json" >/dev/null 2>&1 & browser=$!
for _ in $(seq 1 60); do grep -q '"png"' "$out/result.jsonl" 2>/dev/null && break; sleep 5; done
kill "$browser" "$server" 2>/dev/null || true
grep '"final":true' "$out/result.jsonl" | tail -1
python3 - "$out" <<'PY'
import base64, json, sys
for line in open(f"{sys.argv[1]}/result.jsonl"):
    d = json.loads(line)
    if "png" in d:
        open(f"{sys.argv[1]}/cesium.png", "wb").write(base64.b64decode(d["png"].split(",", 1)[1]))
PY
rm -rf "$www"
