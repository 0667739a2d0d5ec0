#!/usr/bin/env bash
# Builds the fuzz targets (fuzz/build.sh) and runs each for SECONDS (default 20) on a copy of
# its seed corpus (fuzz/corpus/<target>; the committed folders are never written to).
#
#   fuzz/run.sh [SECONDS] [TARGET...]       default: every target
#
# Each target runs with -max_total_time=SECONDS -rss_limit_mb=2048 -timeout=10. Its work goes
# to build-fuzz/run/<target>/ (cleared first): corpus/ (the copy, plus what the fuzzer found),
# crashes/ (crash-, leak-, timeout-, oom- inputs) and log. Exits non-zero if any target
# crashed, printing each crash input's path and how to rerun it. Extra libFuzzer flags can come
# in FUZZ_FLAGS (e.g. FUZZ_FLAGS="-jobs=2 -workers=2").
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${OUT:-$ROOT/build-fuzz}"
export OUT
SECS="${1:-20}"
[[ $# -gt 0 ]] && shift
if ! [[ "$SECS" =~ ^[0-9]+$ ]]; then
  echo "usage: fuzz/run.sh [SECONDS] [TARGET...]" >&2
  exit 2
fi

"$ROOT/fuzz/build.sh" "$@" || exit 1

targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
  targets=(npy png pnm jpeg tiff webp kernel_text exif)
  [[ -x "$OUT/rows" ]] && targets+=(rows)
  targets+=(cli_args)
fi

# The targets write their inputs here (one scratch file or folder per process).
if [[ -d /dev/shm && -w /dev/shm ]]; then
  scratch="$(mktemp -d /dev/shm/convkit-fuzz.XXXXXX)"
else
  scratch="$(mktemp -d "${TMPDIR:-/tmp}/convkit-fuzz.XXXXXX")"
fi
trap 'rm -rf "$scratch"' EXIT
export CONVKIT_FUZZ_TMPDIR="$scratch"
# Symbolized stacks: the sanitizers need an absolute path (llvm-symbolizer, else addr2line).
if [[ -z "${ASAN_SYMBOLIZER_PATH:-}" ]]; then
  for s in llvm-symbolizer-19 llvm-symbolizer addr2line; do
    if command -v "$s" >/dev/null; then
      export ASAN_SYMBOLIZER_PATH="$(readlink -f "$(command -v "$s")")"
      break
    fi
  done
fi
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}abort_on_error=0"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}print_stacktrace=1:halt_on_error=1"

failed=()
for t in "${targets[@]}"; do
  exe="$OUT/$t"
  seeds="$ROOT/fuzz/corpus/$t"
  work="$OUT/run/$t"
  if [[ ! -x "$exe" ]]; then
    echo "fuzz/run.sh: no target $exe" >&2
    failed+=("$t")
    continue
  fi
  rm -rf "$work"
  mkdir -p "$work/corpus" "$work/crashes"
  [[ -d "$seeds" ]] && cp -R "$seeds/." "$work/corpus/"
  start=$SECONDS
  # shellcheck disable=SC2086
  nice -n 10 "$exe" -max_total_time="$SECS" -rss_limit_mb=2048 -timeout=10 \
    -artifact_prefix="$work/crashes/" -print_final_stats=1 ${FUZZ_FLAGS:-} \
    "$work/corpus" > "$work/log" 2>&1
  rc=$?
  crashes=("$work"/crashes/*)
  [[ -e "${crashes[0]}" ]] || crashes=()
  runs="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$work/log" | grep -o '[0-9]*$')"
  cov="$(grep -o 'cov: [0-9]*' "$work/log" | tail -1 | grep -o '[0-9]*')"
  if [[ $rc -ne 0 || ${#crashes[@]} -gt 0 ]]; then
    failed+=("$t")
    echo "FAIL $t (exit status $rc, $((SECONDS - start)) s; log: $work/log)"
    grep -m3 -E '^(SUMMARY|==[0-9]+==ERROR)|runtime error|contract violated|uncaught exception' \
      "$work/log" | sed 's/^/     /'
    for c in "${crashes[@]}"; do
      echo "     crash input: $c"
      echo "     rerun:       $exe $c"
    done
  else
    echo "ok   $t: ${runs:-?} runs in $((SECONDS - start)) s, coverage ${cov:-?}," \
         "corpus $(find "$work/corpus" -type f | wc -l) files"
  fi
done

if [[ ${#failed[@]} -gt 0 ]]; then
  echo "fuzz/run.sh: FAILED: ${failed[*]}"
  exit 1
fi
echo "fuzz/run.sh: all ${#targets[@]} targets ran ${SECS} s each without a crash"
