"""`convkit steps`: every output format opens with the reader made for it (json, ElementTree,
html.parser, Pillow), the numbers in the JSON equal a plain NumPy loop for the options given on
the command line, and bad input is one line on stderr, a non-zero exit and no output file."""
import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import numpy as np
import pytest

from conftest import ROOT

# The course exercise: an 8x8 image and a 3x3 kernel.
IMAGE = "; ".join(" ".join(str((3 * i + 5 * j) % 11) for j in range(8)) for i in range(8))
SOBEL = "1 0 -1; 2 0 -2; 1 0 -1"
FORMATS = ["txt", "md", "json", "svg", "gif", "html"]


def matrix(text):
    return np.array([[float(v) for v in row.split()] for row in text.split(";")])


def correlate(x, k, stride=(1, 1), pad=(0, 0, 0, 0), dilation=(1, 1), flip=False, bias=0.0,
              mode="constant", value=0.0):
    """The definition, one output cell at a time."""
    if flip:
        k = k[::-1, ::-1]
    t, b, l, r = pad
    np_mode = {"constant": "constant", "replicate": "edge", "reflect": "symmetric",
               "mirror": "reflect", "wrap": "wrap"}[mode]
    kw = {"constant_values": value} if mode == "constant" else {}
    xp = np.pad(x, ((t, b), (l, r)), mode=np_mode, **kw)
    (sh, sw), (dh, dw) = stride, dilation
    R, S = k.shape
    P = (xp.shape[0] - dh * (R - 1) - 1) // sh + 1
    Q = (xp.shape[1] - dw * (S - 1) - 1) // sw + 1
    out = np.zeros((P, Q))
    for i in range(P):
        for j in range(Q):
            window = xp[i * sh:i * sh + dh * (R - 1) + 1:dh, j * sw:j * sw + dw * (S - 1) + 1:dw]
            out[i, j] = (window * k).sum() + bias
    return out


def conv_transpose(x, k, stride, pad, dilation, output_padding, flip=False, bias=0.0):
    """torch.nn.functional.conv_transpose2d for one channel, as scatter-add."""
    if flip:
        k = k[::-1, ::-1]
    (sh, sw), (dh, dw), (oh, ow) = stride, dilation, output_padding
    H, W = x.shape
    R, S = k.shape
    full = np.zeros(((H - 1) * sh + dh * (R - 1) + 1 + oh, (W - 1) * sw + dw * (S - 1) + 1 + ow))
    for i in range(H):
        for j in range(W):
            full[i * sh:i * sh + dh * (R - 1) + 1:dh, j * sw:j * sw + dw * (S - 1) + 1:dw] += x[i, j] * k
    t, b, l, r = pad
    return full[t:full.shape[0] - b, l:full.shape[1] - r] + bias


class Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def parse_html(text):
    p = Tags()
    p.feed(text)
    p.close()
    return p.tags


@pytest.mark.parametrize("ext", FORMATS)
def test_every_format_opens(cli, ext):
    out = cli.tmp / f"steps.{ext}"
    cli.ok("steps", IMAGE, SOBEL, out, "--padding", "1", "--flip")
    assert out.exists() and out.stat().st_size > 0
    if ext == "txt":
        text = out.read_text()
        assert "floor((8 + 1 + 1 - 1*(3-1) - 1) / 1) + 1 = 8" in text
        assert "convolution: kernel flipped" in text and "kernel applied (flipped)" in text
        assert text.count("== frame ") == 64 and "\033[" not in text
    elif ext == "md":
        text = out.read_text()
        assert text.startswith("# convkit steps") and "|---" in text and "## frame 64/64" in text
    elif ext == "json":
        d = json.loads(out.read_text())
        assert len(d["steps"]) == 64 and np.array(d["out"]).shape == (8, 8)
        assert d["steps"][9]["out"] == [1, 1] and np.array(d["steps"][9]["products"]).shape == (3, 3)
    elif ext == "svg":
        root = ET.parse(out).getroot()
        assert root.tag.endswith("svg") and root.find("{http://www.w3.org/2000/svg}title") is not None
        assert len(root.findall("{http://www.w3.org/2000/svg}g")) == 1
    elif ext == "gif":
        Image = pytest.importorskip("PIL.Image")
        with Image.open(out) as im:
            assert im.format == "GIF" and im.n_frames == 64 and im.info.get("loop") == 0
            im.seek(63)
            assert im.convert("RGB").getextrema() != ((255, 255), (255, 255), (255, 255))
        assert out.read_bytes()[:6] == b"GIF89a"
    elif ext == "html":
        text = out.read_text()
        tags = parse_html(text)
        assert ("input", "range") in [(t, a.get("type")) for t, a in tags]
        assert any(t == "script" for t, _ in tags) and any(t == "svg" for t, _ in tags)
        assert not re.search(r"(https?:|//[a-z])", text.replace("<\\/", "")), "self-contained"
        assert not any("src" in a or "href" in a for _, a in tags)


CASES = [
    dict(args=[], kw={}),
    dict(args=["--stride", "2"], kw=dict(stride=(2, 2))),
    dict(args=["--stride", "2,3", "--padding", "1,2"], kw=dict(stride=(2, 3), pad=(1, 1, 2, 2))),
    dict(args=["--padding", "0,2,1,0", "--dilation", "2"], kw=dict(pad=(0, 2, 1, 0), dilation=(2, 2))),
    dict(args=["--flip", "--bias", "0.25", "--dilation", "1,2"], kw=dict(flip=True, bias=0.25, dilation=(1, 2))),
    dict(args=["--padding", "2", "--border", "reflect"], kw=dict(pad=(2, 2, 2, 2), mode="reflect")),
    dict(args=["--padding", "1", "--border", "mirror"], kw=dict(pad=(1, 1, 1, 1), mode="mirror")),
    dict(args=["--padding", "2", "--border", "wrap"], kw=dict(pad=(2, 2, 2, 2), mode="wrap")),
    dict(args=["--padding", "1", "--border", "replicate"], kw=dict(pad=(1, 1, 1, 1), mode="replicate")),
    dict(args=["--padding", "1", "--value", "-3"], kw=dict(pad=(1, 1, 1, 1), value=-3.0)),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: " ".join(c["args"]) or "plain")
def test_json_steps_equal_the_definition(cli, case):
    rng = np.random.default_rng(len(case["args"]))
    x = np.round(rng.normal(size=(7, 9)), 3)
    k = np.round(rng.normal(size=(3, 2)), 3)
    xf, kf = cli.save(x, "x.npy"), cli.save(k, "k.npy")
    out = cli.tmp / "s.json"
    cli.ok("steps", xf, kf, out, *case["args"])
    d = json.loads(out.read_text())
    want = correlate(x, k, **case["kw"])
    got = np.array(d["out"])
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    for s in d["steps"]:
        i, j = s["out"]
        products = np.array(s["products"])
        np.testing.assert_allclose(products.sum() + s["bias"], s["value"], rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(s["running"][-1], products.sum(), rtol=1e-12, atol=1e-12)
        assert s["value"] == got[i, j]
        assert len(s["window"]["rows"]) == 3 and len(s["window"]["cols"]) == 2


@pytest.mark.parametrize("stride,pad,dilation,op,flip", [
    ((2, 2), (0, 0, 0, 0), (1, 1), (0, 0), False),
    ((2, 3), (1, 1, 0, 0), (1, 1), (1, 0), True),
    ((1, 2), (0, 0, 1, 1), (2, 1), (0, 1), False),
])
def test_transposed_json_equals_scatter_add(cli, stride, pad, dilation, op, flip):
    x = np.arange(1.0, 13.0).reshape(3, 4)
    k = np.array([[1.0, -2.0, 0.5], [3.0, 1.0, -1.0]])
    out = cli.tmp / "t.json"
    args = ["--transposed", "--stride", "%d,%d" % stride, "--padding", "%d,%d" % (pad[0], pad[2]),
            "--dilation", "%d,%d" % dilation, "--output-padding", "%d,%d" % op, "--bias", "0.5"]
    cli.ok("steps", cli.save(x), cli.save(k, "k.npy"), out, *args, *(["--flip"] if flip else []))
    d = json.loads(out.read_text())
    want = conv_transpose(x, k, stride, pad, dilation, op, flip, 0.5)
    np.testing.assert_allclose(np.array(d["out"]), want, rtol=1e-12, atol=1e-12)
    assert len(d["scatter"]) == x.size
    assert "inserted" in {c for row in d["cell"] for c in row} or stride == (1, 1)
    # The scatter entries add up to the output, bias aside.
    acc = np.zeros_like(want)
    for s in d["scatter"]:
        c = np.array(s["contributions"])
        for a, r in enumerate(s["out_rows"]):
            for b, q in enumerate(s["out_cols"]):
                if r >= 0 and q >= 0:
                    acc[r, q] += c[a, b]
    np.testing.assert_allclose(acc + 0.5, want, rtol=1e-12, atol=1e-12)
    text = cli.ok("steps", cli.save(x), cli.save(k, "k.npy"), "-", *args, "--cell", "0,0").stdout
    assert "scatter-add" in text and "three ways" in text


def test_one_cell_three_ways(cli):
    out = cli.tmp / "one.json"
    cli.ok("steps", IMAGE, "box3", out, "--padding", "1", "--cell", "3,4")
    d = json.loads(out.read_text())
    assert d["frames"] == [[3, 4]] and len(d["steps"]) == 1
    w = d["three_ways"]
    value = d["steps"][0]["value"]
    assert w["box"] is True
    for key in ("im2col", "matrix", "integral"):
        assert abs(w[key] - value) < 1e-12
    out = cli.tmp / "two.json"
    cli.ok("steps", IMAGE, SOBEL, out, "--cell", "0,0", "--cell", "5,5")
    d = json.loads(out.read_text())
    assert d["frames"] == [[0, 0], [5, 5]] and "three_ways" not in d
    out = cli.tmp / "sobel.json"
    cli.ok("steps", IMAGE, SOBEL, out, "--cell", "1,1")
    assert json.loads(out.read_text())["three_ways"]["integral"] is None  # not a box kernel


def test_stdout_text_and_colour(cli):
    plain = cli.ok("steps", "1 2 3; 4 5 6; 7 8 9", "1 1; 1 1", "-").stdout
    assert "frame 4/4" in plain and "\033[" not in plain  # a pipe, not a terminal
    coloured = cli.ok("steps", "1 2 3; 4 5 6; 7 8 9", "1 1; 1 1", "-", "--color").stdout
    assert "\033[" in coloured


def test_image_files_and_strip(cli):
    x = cli.save(np.arange(20, dtype=np.uint8).reshape(4, 5), "x.npy")
    out = cli.tmp / "strip.svg"
    cli.ok("steps", x, "gaussian3", out, "--strip", "--padding", "1")
    root = ET.parse(out).getroot()
    assert len(root.findall("{http://www.w3.org/2000/svg}g")) == 20
    out = cli.tmp / "ascent.gif"
    cli.ok("steps", ROOT / "data" / "ascent.png", "sobel-x", out, "--cell", "100,200", "--cell",
           "100,201", "--delay", "20")
    Image = pytest.importorskip("PIL.Image")
    with Image.open(out) as im:
        assert im.n_frames == 2 and im.info.get("duration") == 200


def test_max_frames(cli):
    big = cli.save(np.ones((30, 30)), "big.npy")
    r = cli.run("steps", big, "1", cli.tmp / "big.txt")
    assert r.returncode != 0 and "--cell" in r.stderr and "--max-frames" in r.stderr
    assert not (cli.tmp / "big.txt").exists()
    out = cli.tmp / "big.json"
    cli.ok("steps", big, "1", out, "--max-frames", "0")
    assert len(json.loads(out.read_text())["steps"]) == 900
    cli.ok("steps", big, "1", out, "--max-frames", "900")


def bad_cases(cli):
    return {
        "window larger than the padded image": ["1 2; 3 4", "1 1 1; 1 1 1; 1 1 1"],
        "dilated window too large": ["1 2 3; 4 5 6; 7 8 9", "1 1; 1 1", "--dilation", "3"],
        "too many frames": [cli.save(np.ones((21, 21)), "big.npy"), "1"],
        "cell outside": ["1 2; 3 4", "1", "--cell", "9,9"],
        "negative cell": ["1 2; 3 4", "1", "--cell", "-1,0"],
        "cell syntax": ["1 2; 3 4", "1", "--cell", "1;1"],
        "ragged input": ["1 2; 3", "1"],
        "unknown input": ["nope", "1"],
        "missing input file": [cli.tmp / "nope.npy", "1"],
        "colour image": [ROOT / "data" / "face.png", "1", "--cell", "0,0"],
        "unknown kernel": ["1 2; 3 4", "blurry"],
        "zero stride": ["1 2; 3 4", "1", "--stride", "0"],
        "stride syntax": ["1 2; 3 4", "1", "--stride", "1,2,3"],
        "negative padding": ["1 2; 3 4", "1", "--padding", "-1"],
        "three paddings": ["1 2; 3 4", "1", "--padding", "1,1,1"],
        "output padding without transposed": ["1 2; 3 4", "1", "--output-padding", "1"],
        "output padding too large": ["1 2; 3 4", "1 1; 1 1", "--transposed", "--output-padding", "2"],
        "bad border": ["1 2; 3 4", "1", "--border", "reflect101"],
        "negative max frames": ["1 2; 3 4", "1", "--max-frames", "-1"],
        "both colour flags": ["1 2; 3 4", "1", "--color", "--no-color"],
    }


@pytest.mark.parametrize("ext", ["txt", "gif", "html"])
def test_bad_input_is_one_line_and_leaves_no_file(cli, ext):
    for name, args in bad_cases(cli).items():
        out = cli.tmp / f"out.{ext}"
        r = cli.run("steps", *args[:2], out, *args[2:])
        assert r.returncode != 0, name
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("convkit: error:"), (name, r.stderr)
        assert not out.exists(), name
        assert not [p for p in cli.tmp.iterdir() if ".tmp" in p.name], name


def test_bad_extension_and_directory(cli):
    for out in [cli.tmp / "out.pdf", cli.tmp / "out", cli.tmp]:
        r = cli.run("steps", "1 2; 3 4", "1", out)
        assert r.returncode != 0 and len(r.stderr.strip().splitlines()) == 1, r.stderr
        assert "output" in r.stderr
    assert not (cli.tmp / "out.pdf").exists() and not (cli.tmp / "out").exists()


def test_failure_keeps_an_existing_output(cli):
    out = cli.tmp / "keep.txt"
    out.write_text("previous")
    r = cli.run("steps", "1 2; 3 4", "1 1 1; 1 1 1; 1 1 1", out)
    assert r.returncode != 0 and out.read_text() == "previous"


def test_help_lists_steps(cli):
    assert "steps" in cli.ok("--help").stdout
    assert "--max-frames" in cli.ok("steps", "--help").stdout
