"""Bad input on every command: one line on stderr, a non-zero exit, and no output file."""
import numpy as np
import pytest

from conftest import ROOT

IMG = ROOT / "data" / "ascent.png"


def bad_cases(cli):
    f32 = cli.save(np.ones((4, 5), np.float32), "f32.npy")
    k = cli.save(np.ones((3, 3)), "k.npy")
    big = cli.save(np.ones((6, 2)), "big.npy")
    vol = cli.save(np.ones((2, 2, 2, 2)), "vol.npy")
    txt = cli.tmp / "junk.txt"
    txt.write_text("1 2 3\n4 5\n")
    return {
        "convolve: missing input": ["convolve", cli.tmp / "nope.npy", k],
        "convolve: 4-D input": ["convolve", vol, k],
        "convolve: valid, neither larger": ["convolve", f32, big, "--mode", "valid"],
        "convolve: bad mode": ["convolve", f32, k, "--mode", "middle"],
        "correlate: ragged text kernel": ["correlate", f32, txt],
        "correlate: complex fill, real output": ["correlate", f32, k, "--fillvalue", "1+2j"],
        "correlate: bad fill": ["correlate", f32, k, "--fillvalue", "abc"],
        "filter: unknown preset": ["filter", IMG, "--preset", "blurry"],
        "filter: no kernel": ["filter", IMG],
        "filter: two kernels": ["filter", IMG, "--preset", "box3", "--kernel", "1 1"],
        "filter: bad kernel text": ["filter", IMG, "--kernel", "1 2; 3"],
        "filter: anchor outside": ["filter", IMG, "--preset", "box3", "--anchor", "3,0"],
        "filter: f32 into png": ["filter", f32, "--preset", "box3"],
        "filter: bad border": ["filter", IMG, "--preset", "box3", "--border", "mirror"],
        "filter: bad depth": ["filter", IMG, "--preset", "box3", "--depth", "f16"],
        "filter: normalize zero-sum": ["filter", IMG, "--preset", "laplacian", "--normalize"],
        "filter: unknown option": ["filter", IMG, "--preset", "box3", "--sharpness", "3"],
    }


def test_every_bad_input_is_one_line_and_leaves_no_file(cli):
    for name, args in bad_cases(cli).items():
        out = cli.tmp / "out.png"
        # the output path goes where the command expects it: after IN [KERNEL]
        n_positional = 3 if args[0] in ("convolve", "correlate") else 2
        full = args[:n_positional] + [out] + args[n_positional:]
        r = cli.run(*full)
        assert r.returncode != 0, name
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("convkit: error:"), (name, r.stderr)
        assert not out.exists(), name
        assert not [p for p in cli.tmp.iterdir() if ".tmp" in p.name], name


def test_failed_command_keeps_an_existing_output_untouched(cli):
    out = cli.tmp / "keep.png"
    out.write_bytes(b"previous")
    r = cli.run("filter", IMG, out, "--preset", "blurry")
    assert r.returncode != 0 and out.read_bytes() == b"previous"


@pytest.mark.parametrize("cmd", [["--version"], ["filter", "--help"], ["convolve", "--help"], ["presets"]])
def test_informational_commands_succeed(cli, cmd):
    r = cli.run(*cmd)
    assert r.returncode == 0 and r.stdout.strip()
