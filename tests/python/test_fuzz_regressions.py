"""Inputs the fuzzers (fuzz/) found bugs with, kept in tests/data/fuzz_regressions/.

* image and array files (any extension but .args): the CLI must fail cleanly on each, read
  whole and streamed in bands: exit status 1, one "convkit: error:" line, no output file.
  Those in VALID are files convkit reads: filtered with a 1x1 kernel, whole and streamed,
  they must give the same samples (NumPy's, for .npy files).
* .args files: command lines in the cli_args fuzzer's format (one argument per line), run in a
  folder holding that fuzzer's inputs (a.npy, g.pgm, c.ppm, k.txt). The command must end
  promptly with status 0, 1 or 2, and a failure prints one "convkit: error:" line.
"""
import shutil
import subprocess

import numpy as np
import pytest

from conftest import CLI, ROOT

REGRESSIONS = ROOT / "tests" / "data" / "fuzz_regressions"
# Readable files, and what else must hold for each:
# * .npy data at an odd offset (the banded reader loaded misaligned samples);
# * a JPEG-compressed TIFF strip whose JPEG is 16 pixels wide in a 20-pixel-wide image: libtiff
#   only warns and leaves columns 16..19 unwritten, which read_image returned uninitialized
#   (now zeros, as the banded reader gives them).
VALID = {
    "npy_odd_data_offset.npy": lambda a: True,
    "tiff_jpeg_narrower_than_strip.tif": lambda a: a.shape == (16, 20, 3) and not a[:, 16:].any(),
}
FILES = sorted(p for p in REGRESSIONS.iterdir() if p.suffix != ".args" and p.name not in VALID)
ARGS = sorted(REGRESSIONS.glob("*.args"))

# How each file is read: whole, and in bands of rows (--stream).
READS = {"whole": [], "streamed": ["--stream"]}

def one_error_line(stderr):
    """Exactly one line, "convkit: error: ..."."""
    lines = stderr.strip().splitlines()
    return len(lines) == 1 and lines[0].startswith("convkit: error:")


@pytest.mark.parametrize("how", sorted(READS))
@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_fuzz_file_fails_cleanly(cli, path, how):
    src = cli.tmp / path.name  # the extension picks the reader
    shutil.copyfile(path, src)
    out = cli.tmp / "out.npy"
    args = ["filter", src, out, "--preset", "box3", *READS[how]]
    r = subprocess.run([str(CLI), *map(str, args)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 1, (r.returncode, r.stderr)
    assert one_error_line(r.stderr), r.stderr
    assert not out.exists()
    assert not [p for p in cli.tmp.iterdir() if ".tmp" in p.name]


@pytest.mark.parametrize("name", sorted(VALID))
def test_fuzz_file_reads_the_same_whole_and_streamed(cli, name):
    src = cli.tmp / name
    shutil.copyfile(REGRESSIONS / name, src)
    got = {}
    for how, extra in READS.items():
        out = cli.tmp / f"{how}.npy"
        cli.ok("filter", src, out, "--kernel", "1", *extra)
        got[how] = np.load(out)
    np.testing.assert_array_equal(got["whole"], got["streamed"])
    if src.suffix == ".npy":
        expected = np.load(src)
        assert got["whole"].dtype == expected.dtype
        np.testing.assert_array_equal(got["whole"], expected)
    assert VALID[name](got["whole"])


def write_cli_fixtures(folder):
    """The files fuzz/cli_args.cpp puts in its scratch folder."""
    np.save(folder / "a.npy", (np.arange(12) % 7 - 2.5).reshape(3, 4))
    (folder / "g.pgm").write_bytes(b"P5\n8 8\n255\n" + bytes(i * 37 % 256 for i in range(64)))
    (folder / "c.ppm").write_bytes(b"P6\n3 3\n255\n" + bytes(i * 37 % 256 for i in range(27)))
    (folder / "k.txt").write_text("1 2 1\n")


# cli11_*: CLI11 2.1 (Debian 12's) loops forever on an empty argument followed by an option
# (fixed upstream in CLI11 2.4.0); main.cpp refuses empty arguments before parsing.
@pytest.mark.parametrize("path", ARGS, ids=[p.name for p in ARGS])
def test_fuzz_command_line_ends(cli, path):
    write_cli_fixtures(cli.tmp)
    args = path.read_bytes().replace(b"\0", b"\n").decode("utf-8", "surrogateescape").split("\n")
    r = subprocess.run([str(CLI), *args], capture_output=True, text=True, timeout=5, cwd=cli.tmp)
    assert r.returncode in (0, 1, 2), (r.returncode, r.stderr)
    if r.returncode != 0:
        assert one_error_line(r.stderr), r.stderr
    assert not [p for p in cli.tmp.iterdir() if ".tmp" in p.name]
