#!/usr/bin/env bash
# Builds the benchmarks in their own build dir (build-bench/, Release, no tests or CLI) and runs
# them: first this machine's ceilings (bench_peak), then convkit vs OpenCV (bench_filter2d).
# Arguments are passed to bench_filter2d, e.g. `bash bench/run.sh --repeats 21 --threads 1`.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! dpkg -s libopencv-dev >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  # A fresh container may have empty package lists; the install alone would then fail.
  apt-get install -y libopencv-dev libbenchmark-dev || {
    apt-get update && apt-get install -y libopencv-dev libbenchmark-dev
  }
fi

cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCONVKIT_BUILD_BENCH=ON -DCONVKIT_BUILD_TESTS=OFF -DCONVKIT_BUILD_CLI=OFF
# -j2: the machine this is written for has 2 cores and other builds share it.
ninja -C build-bench -j2 bench_peak bench_filter2d

./build-bench/bench/bench_peak
echo
./build-bench/bench/bench_filter2d "$@"
