#!/usr/bin/env bash
# The test command of the README: set up, build, then run every test —
#   1. the GoogleTest suite (C++ fast paths vs the reference, APIs, I/O, find_package),
#   2. the same suite with the portable SIMD target only (CONVKIT_MAX_ISA=scalar),
#   3. the pytest suite that drives the CLI and compares with the real SciPy and OpenCV.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

echo "== C++ tests ($(build/convkit --version | tr '\n' ' '))"
(cd build && ctest --output-on-failure -j2)
echo "== C++ tests, portable scalar path (CONVKIT_MAX_ISA=scalar)"
(cd build && CONVKIT_MAX_ISA=scalar ctest --output-on-failure -j2 -R 'Direct|Signal|Filter2d')
echo "== Python tests against SciPy and OpenCV"
.venv/bin/python -m pytest -q tests/python
