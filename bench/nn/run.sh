#!/usr/bin/env bash
# The Conv2d forward benchmark (issue 5): convkit's nn::Conv2d vs oneDNN 2.6 (Debian, C++ API,
# its own layout and NCHW) vs PyTorch 2.13 F.conv2d, printed as ONE markdown table.
#
#   bash bench/nn/run.sh [--repeats N (default 11)] [--threads "2 1" (default)] [--only ID[,ID]]
#                        [--quick]
#
# --quick: a smoke run, 1 timed repeat. --only: some cases (ids from bench_nn --list).
# Installs what is missing (the library's packages and .venv via scripts/setup.sh, libopencv-dev
# which bench/CMakeLists.txt needs, libdnnl-dev, torch==2.13.0 into .venv), builds bench_peak and
# bench_nn in build-bench-nn/ (Release; BENCH_JOBS=N for ninja -jN, default 2), runs bench_peak,
# then for each thread count and each case: bench_nn (convkit and oneDNN, interleaved per round)
# and peers_torch.py (PyTorch on the same data, written by bench_nn as .npy, checked against
# convkit's output), and merge.py prints the table. Raw outputs stay in build-bench-nn/nn/.
# Exit status 1 if any correctness check failed or anything reported an error.
set -euo pipefail
cd "$(dirname "$0")/../.."

repeats=11
threads_list="2 1"
only=""
while [ $# -gt 0 ]; do
  case "$1" in
    --repeats) repeats=${2:?--repeats needs a number}; shift 2 ;;
    --threads) threads_list=${2:?--threads needs a list like \"2 1\"}; shift 2 ;;
    --only) only=${2:?--only needs case ids}; shift 2 ;;
    --quick) repeats=1; shift ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
done

SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  # A fresh container may have empty package lists; the install alone would then fail.
  $SUDO apt-get install -y "$@" >&2 || { $SUDO apt-get update >&2 && $SUDO apt-get install -y "$@" >&2; }
}

# The library's own packages and .venv (scripts/setup.sh also builds build/): only when missing.
need_setup=0
for p in g++ cmake ninja-build pkg-config libhwy-dev libfftw3-dev python3-venv; do
  dpkg -s "$p" >/dev/null 2>&1 || need_setup=1
done
[ -x .venv/bin/python ] && .venv/bin/python -c "import numpy" 2>/dev/null || need_setup=1
if [ "$need_setup" = 1 ]; then bash scripts/setup.sh >&2; fi
# bench/CMakeLists.txt needs OpenCV for the other benchmarks; bench_nn needs oneDNN.
for p in libopencv-dev libdnnl-dev; do
  dpkg -s "$p" >/dev/null 2>&1 || apt_install "$p"
done
# PyTorch 2.13.0 exactly (the CPU build; never a plain or newer torch).
if ! .venv/bin/python -c "import torch, sys; sys.exit(torch.__version__.split('+')[0] != '2.13.0')" \
     2>/dev/null; then
  .venv/bin/pip install torch==2.13.0 >&2
fi

cmake -S . -B build-bench-nn -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCONVKIT_BUILD_BENCH=ON -DCONVKIT_BUILD_TESTS=OFF -DCONVKIT_BUILD_CLI=OFF >/dev/null
out=build-bench-nn/nn
mkdir -p "$out"
# -j2 by default: the machine this is written for has 2 cores (BENCH_JOBS=1 when it is shared).
if ! ninja -C build-bench-nn -j"${BENCH_JOBS:-2}" bench_peak bench_nn > "$out/build.log" 2>&1; then
  tail -n 40 "$out/build.log" >&2
  echo "bench/nn/run.sh: build failed (full log: $out/build.log)" >&2
  exit 1
fi

bench=./build-bench-nn/bench/bench_nn
cases=$($bench --list ${only:+--only "$only"})
npy=$(mktemp -d)
trap 'rm -rf "$npy"' EXIT
status=0
load=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo "?")
echo "running bench_peak ..." >&2
./build-bench-nn/bench/bench_peak > "$out/peak.txt"
: > "$out/bench_nn.jsonl"
: > "$out/torch.jsonl"
for t in $threads_list; do
  for c in $cases; do
    echo "$c, $t thread(s): convkit + oneDNN, then PyTorch ($repeats repeats)" >&2
    OMP_NUM_THREADS=$t $bench --threads "$t" --repeats "$repeats" --only "$c" --npy-dir "$npy" \
      >> "$out/bench_nn.jsonl" || status=1
    OMP_NUM_THREADS=$t .venv/bin/python bench/nn/peers_torch.py --dir "$npy" --case "$c" \
      --threads "$t" --repeats "$repeats" >> "$out/torch.jsonl" || status=1
    rm -f "$npy/$c".*
  done
done
.venv/bin/python bench/nn/merge.py --peak "$out/peak.txt" --bench "$out/bench_nn.jsonl" \
  --torch "$out/torch.jsonl" --load "$load" || status=1
exit $status
