"""convkit.steps: the records equal the library's output and the peers' (torch conv2d /
conv_transpose2d for correlation, scipy.signal.convolve2d for convolution), over randomized
shapes, strides, paddings, dilations and borders; the three ways agree; bad input is refused."""
import doctest

import numpy as np
import pytest
import scipy.signal as ss
import torch
import torch.nn.functional as F

import convkit
import convkit._steps

RNG = np.random.default_rng(20261205)
_TORCH_MODES = {"constant": "constant", "reflect": None, "mirror": "reflect",
                "replicate": "replicate", "wrap": "circular"}


def _check_records(s, image_shape=None):
    out = s.out
    n = 0
    for rec in s:
        i, j = rec["out"]
        assert rec["value"] == out[i, j]
        np.testing.assert_allclose(rec["products"], rec["values"] * rec["kernel"], rtol=0,
                                   atol=0)
        np.testing.assert_allclose(rec["running"][-1] + rec["bias"], rec["value"], rtol=1e-12,
                                   atol=1e-12)
        n += 1
    assert n == out.size


def _cases(count, transposed):
    for _ in range(count):
        H, W = RNG.integers(1, 9, 2)
        R, S = RNG.integers(1, 5, 2)
        stride = tuple(int(v) for v in RNG.integers(1, 4, 2))
        dilation = tuple(int(v) for v in RNG.integers(1, 3, 2))
        yield H, W, R, S, stride, dilation


@pytest.mark.parametrize("seed", range(4))
def test_correlation_equals_torch(seed):
    rng = np.random.default_rng(seed)
    checked = 0
    for H, W, R, S, stride, dilation in _cases(40, False):
        pad = (int(rng.integers(0, 3)), int(rng.integers(0, 3)))
        border = str(rng.choice(["constant", "mirror", "replicate", "wrap"]))
        x = rng.standard_normal((H, W))
        k = rng.standard_normal((R, S))
        bias = float(rng.standard_normal())
        try:
            s = convkit.steps(x, k, stride=stride, padding=pad, dilation=dilation, bias=bias,
                              border=border)
        except ValueError as e:
            assert "larger than" in str(e) or "padding" in str(e)
            continue
        xt = torch.from_numpy(x)[None, None]
        if border != "constant":
            if (border == "mirror" and (pad[0] >= H or pad[1] >= W)) or \
                    (border == "wrap" and (pad[0] > H or pad[1] > W)):
                _check_records(s)  # torch refuses these pads; convkit's rule keeps going
                continue
            xt = F.pad(xt, (pad[1], pad[1], pad[0], pad[0]), mode=_TORCH_MODES[border])
            tpad = 0
        else:
            tpad = pad
        want = F.conv2d(xt, torch.from_numpy(k)[None, None], torch.tensor([bias], dtype=torch.float64),
                        stride=stride, padding=tpad, dilation=dilation)[0, 0].numpy()
        np.testing.assert_allclose(s.out, want, rtol=1e-12, atol=1e-12)
        _check_records(s)
        checked += 1
    assert checked > 10


@pytest.mark.parametrize("mode", ["full", "same", "valid"])
@pytest.mark.parametrize("boundary", ["fill", "wrap", "symm"])
def test_convolution_equals_scipy(mode, boundary):
    border = {"fill": "constant", "wrap": "wrap", "symm": "reflect"}[boundary]
    for _ in range(15):
        H, W = RNG.integers(2, 9, 2)
        R, S = RNG.integers(1, 5, 2)
        if mode == "valid" and (R > H or S > W):
            continue
        x = RNG.integers(-9, 10, (H, W)).astype(float)
        k = RNG.integers(-3, 4, (R, S)).astype(float)
        s = convkit.steps(x, k, flip=True, mode=mode, border=border)
        np.testing.assert_allclose(s.out, ss.convolve2d(x, k, mode, boundary), atol=1e-12)
        _check_records(s)


def test_transposed_equals_torch_and_scatter():
    checked = 0
    for H, W, R, S, stride, dilation in _cases(60, True):
        pad = tuple(int(v) for v in RNG.integers(0, 3, 2))
        op = tuple(int(RNG.integers(0, max(st, d))) for st, d in zip(stride, dilation))
        x = RNG.standard_normal((H, W))
        k = RNG.standard_normal((R, S))
        try:
            want = F.conv_transpose2d(torch.from_numpy(x)[None, None],
                                      torch.from_numpy(k)[None, None], stride=stride,
                                      padding=pad, output_padding=op,
                                      dilation=dilation)[0, 0].numpy()
        except RuntimeError:
            with pytest.raises(ValueError):
                convkit.steps(x, k, stride=stride, padding=pad, dilation=dilation,
                              transposed=True, output_padding=op)
            continue
        s = convkit.steps(x, k, stride=stride, padding=pad, dilation=dilation, transposed=True,
                          output_padding=op)
        np.testing.assert_allclose(s.out, want, rtol=1e-12, atol=1e-12)
        _check_records(s)
        acc = np.zeros_like(want)
        for i in range(H):
            for j in range(W):
                sc = s.scatter(i, j)
                rows, cols = sc["targets"]
                for a, r in enumerate(rows):
                    for b, c in enumerate(cols):
                        if r >= 0 and c >= 0:
                            acc[r, c] += sc["contributions"][a, b]
        np.testing.assert_allclose(acc, want, rtol=1e-12, atol=1e-12)
        # zero insertion: the grid holds the samples at multiples of the stride
        grid, cells = s.grid, np.array(s.cells)
        assert np.count_nonzero(cells == "image") <= H * W
        assert np.all(grid[cells == "inserted"] == 0)
        checked += 1
    assert checked > 20


def test_three_ways_and_windows():
    x = RNG.standard_normal((8, 8))
    s = convkit.steps(x, np.full((3, 3), 1 / 9), padding=1)
    for i, j in [(0, 0), (3, 4), (7, 7)]:
        w = s.three_ways(i, j)
        assert w["im2col"] == pytest.approx(s.out[i, j], abs=1e-12)
        assert w["matrix"] == pytest.approx(s.out[i, j], abs=1e-12)
        assert w["integral"] == pytest.approx(s.out[i, j], abs=1e-12)
    rec = s.record(0, 0)
    assert rec["window"] == ([-1, 0, 1], [-1, 0, 1])
    assert rec["source"] == ([-1, 0, 1], [-1, 0, 1])
    assert s.three_ways(0, 0)["integral"] is not None
    s2 = convkit.steps(x, RNG.standard_normal((3, 3)), stride=2, dilation=2)
    assert s2.three_ways(1, 1)["integral"] is None  # not a box kernel
    rec = s2.record(1, 1)
    assert rec["window"] == ([2, 4, 6], [2, 4, 6])
    # reflect padding reads the image: the source rows are mirrored
    s3 = convkit.steps(x, np.ones((3, 3)), padding=2, border="reflect")
    assert s3.record(0, 0)["source"][0] == [1, 0, 0]


def test_unreached_rows_and_formulas():
    s = convkit.steps(np.ones((7, 7)), np.ones((2, 2)), stride=3)
    assert s.unreached == ([2, 5, 6], [2, 5, 6])
    assert s.formulas[0].endswith("= 2")
    t = convkit.steps(np.ones((3, 3)), np.ones((3, 3)), stride=2, padding=1, transposed=True,
                      output_padding=1)
    assert t.out.shape == (6, 6)
    assert "output_padding" in t.formulas[0] and t.formulas[0].endswith("= 6")


def test_cells_and_len():
    s = convkit.steps(np.ones((5, 5)), np.ones((3, 3)), cells=[(0, 0), (2, 2)])
    assert len(s) == 2
    assert [r["out"] for r in s] == [(0, 0), (2, 2)]


@pytest.mark.parametrize("kwargs, match", [
    (dict(kernel=np.ones((5, 5))), "larger than"),
    (dict(stride=0), "stride"),
    (dict(dilation=(1, 0)), "dilation"),
    (dict(padding=-1), "padding"),
    (dict(padding=(1, 2, 3)), "padding"),
    (dict(mode="bogus"), "mode"),
    (dict(border="bogus"), "border"),
    (dict(cells=[(9, 9)]), "cells"),
    (dict(output_padding=1), "output_padding"),
    (dict(transposed=True, stride=2, output_padding=2), "output_padding"),
    (dict(kernel=np.ones((0, 3))), "kernel"),
    (dict(image=np.ones(5)), "image"),
])
def test_bad_input(kwargs, match):
    args = dict(image=np.ones((4, 4)), kernel=np.ones((3, 3)))
    args.update(kwargs)
    image, kernel = args.pop("image"), args.pop("kernel")
    with pytest.raises(ValueError, match=match):
        convkit.steps(image, kernel, **args)


def test_bad_types():
    with pytest.raises(TypeError, match="image"):
        convkit.steps(np.ones((3, 3), complex), np.ones((2, 2)))
    with pytest.raises(TypeError, match="stride"):
        convkit.steps(np.ones((3, 3)), np.ones((2, 2)), stride=1.5)
    with pytest.raises(TypeError, match="bias"):
        convkit.steps(np.ones((3, 3)), np.ones((2, 2)), bias="x")


def test_doctests():
    result = doctest.testmod(convkit._steps, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted > 0
