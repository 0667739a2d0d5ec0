#!/usr/bin/env bash
# Installs what convkit needs on a fresh Debian 12 machine (Debian packages, the .venv with the
# Python peers) and builds it. Idempotent and quick when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(g++ cmake ninja-build pkg-config libhwy-dev libgtest-dev libpng-dev libcli11-dev
          libfftw3-dev libjpeg62-turbo-dev libtiff-dev libwebp-dev
          python3-venv)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The project's Python environment, rebuilt only when the pinned requirements change.
stamp=.venv/.requirements.sha
want=$(sha256sum requirements-dev.txt | cut -d' ' -f1)
if [ ! -x .venv/bin/python ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "setup: creating .venv with $(grep -v "^#" requirements-dev.txt | tr "\n" " ")"
  python3 -m venv .venv
  .venv/bin/python -m pip install -q --upgrade pip >/dev/null
  .venv/bin/python -m pip install -q -r requirements-dev.txt
  echo "$want" > "$stamp"
fi

# Prefer a CMake/Ninja on PATH (the toolchain image has them); Debian's are the fallback.
BUILD_TYPE=${CONVKIT_BUILD_TYPE:-Release}
if [ ! -f build/build.ninja ]; then
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE="$BUILD_TYPE" >/dev/null
fi
echo "setup: building (ninja, $(nproc) jobs)"
ninja -C build 2>&1 | grep -v '^\[' || true
test -x build/convkit || { echo "setup: build failed" >&2; ninja -C build; exit 1; }

# The Python package (pyproject.toml: the same CMake project, extension only) installed into
# .venv, so that `.venv/bin/python -c "import convkit"` works from any shell. Reinstalled only
# when a source it is built from changes (or the import fails); build-py/ keeps the build tree,
# so a reinstall recompiles only what changed.
pkg_stamp=.venv/.convkit-package.sha
pkg_want=$( { find python src include cmake -type f ! -name '*.pyc' ! -path '*/__pycache__/*' \
                -print0 | sort -z | xargs -0 sha256sum; sha256sum CMakeLists.txt pyproject.toml; } \
            | sha256sum | cut -d' ' -f1)
if [ "$(cat "$pkg_stamp" 2>/dev/null)" != "$pkg_want" ] ||
   ! .venv/bin/python -c "import convkit._core" 2>/dev/null; then
  echo "setup: installing the convkit Python package into .venv (pip install .)"
  .venv/bin/python -m pip install --no-build-isolation -q .
  echo "$pkg_want" > "$pkg_stamp"
fi
