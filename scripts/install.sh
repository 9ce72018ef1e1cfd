#!/usr/bin/env bash
# Set up a fresh Debian 12 / Ubuntu machine: system packages (software OpenGL, Xvfb, Qt's xcb
# libraries, CJK fonts) and a .venv with the app and its test tools. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
if ! dpkg -s $(grep -v '^#' scripts/apt-packages.txt) >/dev/null 2>&1; then
  $SUDO apt-get update -qq
  # shellcheck disable=SC2046
  $SUDO apt-get install -y -qq --no-install-recommends $(grep -v '^#' scripts/apt-packages.txt) >/dev/null
fi
# Node runs the Khronos glTF validator in the tile tests; some machines carry a Node with its own npm.
if ! command -v npm >/dev/null 2>&1; then
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
scripts/setup-venv.sh
