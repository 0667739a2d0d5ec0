#!/usr/bin/env bash
# Images of any size: whole-command wall time and peak RSS of the convkit CLI beside the vips CLI
# and OpenCV from Python, file in -> file out (bench/io/bench_big_images.py says what and how).
#
#   bash bench/io/run.sh                          # 1024x768 JPEG/PNG, 10000^2 and 32000^2 TIFF
#   bash bench/io/run.sh --skip-32k               # without the 1 GB image
#   bash bench/io/run.sh --sizes small --repeats 9
#
# Needs build/convkit (this script builds nothing) and .venv (cv2, tifffile); installs Debian's
# libvips-tools if `vips` is missing. Inputs and outputs go to bench/io/work/ (or --workdir).
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! command -v vips >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  # A fresh container may have empty package lists; the install alone would then fail.
  apt-get install -y --no-install-recommends libvips-tools || {
    apt-get update && apt-get install -y --no-install-recommends libvips-tools
  }
fi

exec .venv/bin/python bench/io/bench_big_images.py "$@"
