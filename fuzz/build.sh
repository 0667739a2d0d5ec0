#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/*.cpp) with clang++ under AddressSanitizer + UBSan into
# build-fuzz/, one executable per target (see fuzz/README.md). Objects are cached, so a rerun
# only recompiles what changed.
#
#   fuzz/build.sh [TARGET...]      default: every target
#
# Targets: npy png pnm jpeg tiff webp kernel_text exif (parsers, through read_image /
# read_kernel_file), rows (once src/io/rows.cpp exists: open_row_reader in bands), cli_args.
#
# Instrumented (clang, ASan + UBSan + libFuzzer coverage): every src/io/*.cpp (and any other
# source CMakeLists.txt lists for convkit_io), src/util/tensor.cpp and dtype.cpp, and for
# cli_args the CLI's sources (CMakeLists.txt's convkit_cli list, tools/cli/*.cpp, and
# src/stream/*.cpp). The rest of the core comes from the gcc-built build/libconvkit.so.0
# (scripts/setup.sh builds it; CONVKIT_LIB=path picks another): compiling the whole core with
# sanitizers would take far longer than the io code it serves.
#
# Needs clang 16 or newer (the CLI captures structured bindings in lambdas, which clang 14,
# Debian 12's plain `clang`, rejects): Debian 12 packages clang-19 and libclang-rt-19-dev
# (the sanitizer and libFuzzer runtimes).
# Environment: JOBS (default 2), CXX_FUZZ (default: clang++-19, else another clang++ >= 16),
# OUT (default build-fuzz), CONVKIT_LIB.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${OUT:-$ROOT/build-fuzz}"
JOBS="${JOBS:-2}"
LIB="${CONVKIT_LIB:-$ROOT/build/libconvkit.so.0}"

CXX="${CXX_FUZZ:-}"
if [[ -z "$CXX" ]]; then
  for c in clang++-19 clang++-22 clang++-18 clang++-17 clang++-16 clang++; do
    command -v "$c" >/dev/null || continue
    major="$("$c" -dumpversion | cut -d. -f1)"
    if [[ "$major" -ge 16 ]]; then CXX="$c"; break; fi
  done
fi
if [[ -z "$CXX" && -z "${CXX_FUZZ:-}" ]] && command -v apt-get >/dev/null; then
  # The project installs its own dependencies (as root on a fresh Debian 12).
  echo "fuzz/build.sh: installing clang-19 and libclang-rt-19-dev" >&2
  export DEBIAN_FRONTEND=noninteractive
  { apt-get install -y -q --no-install-recommends clang-19 libclang-rt-19-dev ||
    { apt-get update -q && apt-get install -y -q --no-install-recommends clang-19 libclang-rt-19-dev; }; } >/dev/null
  CXX=clang++-19
fi
if [[ -z "$CXX" ]] || ! command -v "$CXX" >/dev/null; then
  echo "fuzz/build.sh: no clang++ 16 or newer (apt-get install clang-19 libclang-rt-19-dev)" >&2
  exit 1
fi
if [[ ! -e "$LIB" ]]; then
  echo "fuzz/build.sh: $LIB is missing (run scripts/setup.sh first, or set CONVKIT_LIB)" >&2
  exit 1
fi

# Objects from another compiler are not reused.
mkdir -p "$OUT/obj"
compiler="$("$CXX" --version | head -1)"
if [[ -f "$OUT/obj/compiler" && "$(cat "$OUT/obj/compiler")" != "$compiler" ]]; then
  rm -rf "$OUT/obj"
  mkdir -p "$OUT/obj"
fi
echo "$compiler" > "$OUT/obj/compiler"

# The .cpp files CMakeLists.txt lists for a target: add_library(NAME ...) / add_executable.
cmake_sources() {
  tr '\n' ' ' < "$ROOT/CMakeLists.txt" |
    grep -o "add_\(library\|executable\)($1 [^)]*)" | tr ' ' '\n' | grep '\.cpp$' || true
}
# Sorted, unique, existing files (relative to ROOT).
existing() {
  local f
  for f in "$@"; do [[ -f "$ROOT/$f" ]] && echo "$f"; done | sort -u | tr '\n' ' '
}
cd "$ROOT"
io_srcs="$(existing $(cmake_sources convkit_io) src/io/*.cpp)"
cli_srcs="$(existing $(cmake_sources convkit_cli) tools/cli/*.cpp $(ls src/stream/*.cpp 2>/dev/null))"
parsers="npy png pnm jpeg tiff webp kernel_text exif"
[[ -f src/io/rows.cpp ]] && parsers="$parsers rows"

goals=()
for t in "$@"; do goals+=("$OUT/$t"); done
[[ ${#goals[@]} -eq 0 ]] && goals=(all)

start=$SECONDS
nice -n 10 make --no-print-directory -f "$ROOT/fuzz/Makefile" -j"$JOBS" \
  ROOT="$ROOT" OUT="$OUT" CXX="$CXX" CONVKIT_LIB="$LIB" \
  IO_SRCS="$io_srcs" CLI_SRCS="$cli_srcs" PARSER_TARGETS="$parsers" "${goals[@]}"
echo "fuzz/build.sh: built in $((SECONDS - start)) s ($OUT)"
