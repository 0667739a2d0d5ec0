#!/usr/bin/env bash
# The main job of the README: set up, build, then filter the bundled sample images with several
# presets into out/, printing each command and how long it took.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
mkdir -p out
ck=build/convkit
echo "== $($ck --version); times are whole commands, PNG decode/encode included"
run() {
  local t0 t1 us
  t0=$(date +%s%N)
  "$ck" "$@"
  t1=$(date +%s%N)
  us=$(( (t1 - t0) / 1000 ))
  printf '%-80s %5d.%01d ms\n' "convkit $*" $((us / 1000)) $(((us % 1000) / 100))
}
for img in ascent face; do
  for preset in gaussian5 sharpen sobel-x laplacian emboss outline box5; do
    run filter "data/$img.png" "out/${img}_${preset}.png" --preset "$preset"
  done
done
run filter data/face.png out/face_sobel-y_i16.npy --preset sobel-y --depth i16
run filter data/ascent.png out/ascent_edges_replicate.png --kernel "-1 -1 -1; -1 8 -1; -1 -1 -1" --border replicate
run convolve data/ascent.png data/kernels/motion9.txt out/ascent_motion_full.npy --mode full --boundary symm
run deblur data/ascent.png out/ascent_deblur_rl.png --psf gaussian:1.5 --method rl --iterations 20 --quiet
echo "== deblurring: synthetic blur + noise on data/ascent.png, restored by convkit deblur"
.venv/bin/python scripts/deblur_demo.py
echo "== step by step: the tutorial's pictures and the README's animation, drawn by convkit steps"
bash scripts/tutorial_figures.sh
echo "== wrote $(ls out | wc -l) files to out/"
