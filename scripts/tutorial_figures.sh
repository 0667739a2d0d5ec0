#!/usr/bin/env bash
# Draws the pictures of docs/tutorial.md and the README's animation with `convkit steps`: the
# exact commands the tutorial shows under each picture (tests/python/test_tutorial.py checks
# that they match). Run after scripts/demo.sh (or any build of build/convkit).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x build/convkit ] || { echo "tutorial_figures: build/convkit is missing: run bash scripts/demo.sh first" >&2; exit 1; }
mkdir -p docs/images/tutorial

build/convkit steps "1 2 3 0 1; 4 5 6 1 0; 7 8 9 2 1; 1 1 1 1 1; 0 2 0 2 0" "1 0 -1; 2 0 -2; 1 0 -1" docs/images/tutorial/cell.svg --cell 1,1
build/convkit steps "1 2 3 0 1; 4 5 6 1 0; 7 8 9 2 1; 1 1 1 1 1; 0 2 0 2 0" "1 0 -1; 2 0 -2; 1 0 -1" docs/images/tutorial/flip.svg --cell 1,1 --flip
build/convkit steps "1 2 3 4 5; 6 7 8 9 10; 11 12 13 14 15; 16 17 18 19 20; 21 22 23 24 25" "1 1 1; 1 1 1; 1 1 1" docs/images/tutorial/stride.svg --padding 1 --stride 2 --strip
build/convkit steps "1 2 3 4 5 6 7; 8 9 10 11 12 13 14; 15 16 17 18 19 20 21; 22 23 24 25 26 27 28; 29 30 31 32 33 34 35; 36 37 38 39 40 41 42; 43 44 45 46 47 48 49" "1 0 1; 0 1 0; 1 0 1" docs/images/tutorial/dilation.svg --dilation 2 --cell 1,1
build/convkit steps "1 2 3 4 5; 6 7 8 9 10; 11 12 13 14 15; 16 17 18 19 20; 21 22 23 24 25" "1 1 1; 1 1 1; 1 1 1" docs/images/tutorial/box.svg --cell 1,1
build/convkit steps "1 2 3; 4 5 6; 7 8 9" "1 2; 3 4" docs/images/tutorial/transposed.svg --transposed --stride 2 --cell 1,1
# The course exercise's 8x8 image, animated (README) and as a page with a slider.
build/convkit steps data/exercise8x8.txt "1 0 -1; 2 0 -2; 1 0 -1" docs/images/steps_8x8.gif
build/convkit steps data/exercise8x8.txt "1 0 -1; 2 0 -2; 1 0 -1" docs/steps_8x8.html
echo "tutorial_figures: drew $(ls docs/images/tutorial | wc -l) pictures, docs/images/steps_8x8.gif and docs/steps_8x8.html"
