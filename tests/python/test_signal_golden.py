"""`convkit convolve/correlate` against the real scipy.signal.convolve2d/correlate2d."""
import numpy as np
import pytest
import scipy.signal

rng = np.random.default_rng(20261121)

DTYPE_PAIRS = [
    ("float64", "float64"), ("float32", "float32"), ("float32", "float64"),
    ("complex128", "complex128"), ("complex64", "float32"), ("float64", "complex128"),
    ("uint8", "uint8"), ("int16", "uint8"), ("uint16", "int16"), ("uint8", "float32"),
    ("int32", "int32"), ("int16", "float32"),
]


def random_array(shape, dtype):
    dt = np.dtype(dtype)
    if dt.kind == "c":
        return (rng.uniform(-3, 3, shape) + 1j * rng.uniform(-3, 3, shape)).astype(dt)
    if dt.kind == "f":
        return rng.uniform(-3, 3, shape).astype(dt)
    info = np.iinfo(dt)
    return rng.integers(max(info.min, -1000), min(info.max, 1000), shape, endpoint=True).astype(dt)


def tolerance(dtype):
    return 1e-5 if np.dtype(dtype) in (np.float32, np.complex64) else 1e-10


def cases(n):
    out = []
    for i in range(n):
        a, b = DTYPE_PAIRS[i % len(DTYPE_PAIRS)]
        ishape = (int(rng.integers(1, 25)), int(rng.integers(1, 25)))
        kshape = (int(rng.integers(1, 10)), int(rng.integers(1, 10)))
        if rng.random() < 0.15:  # kernel larger than the image
            kshape = (ishape[0] + int(rng.integers(0, 4)), ishape[1] + int(rng.integers(0, 4)))
        mode = ["full", "same", "valid"][i % 3]
        boundary = ["fill", "wrap", "symm"][(i // 3) % 3]
        fill = 0 if rng.random() < 0.5 else int(rng.integers(-5, 6)) + (0.5 if rng.random() < 0.3 else 0)
        if np.dtype(a).kind == "u" and np.dtype(b).kind == "u":
            fill = abs(fill)
        out.append((a, b, ishape, kshape, mode, boundary, fill))
    return out


@pytest.mark.parametrize("op", ["convolve", "correlate"])
@pytest.mark.parametrize("case", cases(72), ids=lambda c: f"{c[0]}-{c[1]}-{c[2]}-{c[3]}-{c[4]}-{c[5]}")
def test_matches_scipy(cli, op, case):
    a_t, b_t, ishape, kshape, mode, boundary, fill = case
    a, b = random_array(ishape, a_t), random_array(kshape, b_t)
    if rng.random() < 0.3:  # a non-contiguous view saved as .npy keeps its values, not its strides
        a = np.ascontiguousarray(a.T).T
    peer = scipy.signal.convolve2d if op == "convolve" else scipy.signal.correlate2d
    out = cli.path("out.npy")
    try:
        want = peer(a, b, mode=mode, boundary=boundary, fillvalue=fill)
    except ValueError:
        r = cli.run(op, cli.save(a), cli.save(b), out, "--mode", mode, "--boundary", boundary,
                    "--fillvalue", fill)
        assert r.returncode != 0 and not out.exists()
        assert len(r.stderr.strip().splitlines()) == 1
        return
    cli.ok(op, cli.save(a), cli.save(b), out, "--mode", mode, "--boundary", boundary,
           "--fillvalue", fill)
    got = np.load(out)
    assert got.dtype == want.dtype and got.shape == want.shape
    if got.dtype.kind in "iu":
        np.testing.assert_array_equal(got, want)
    else:
        scale = np.abs(a).max() * np.abs(b).sum() + abs(fill) + 1
        np.testing.assert_allclose(got, want, rtol=0, atol=tolerance(got.dtype) * scale)


def test_even_kernels_same_mode_centring(cli):
    a = random_array((9, 11), "float64")
    for kshape in [(2, 2), (4, 3), (3, 4), (1, 2), (6, 6)]:
        b = random_array(kshape, "float64")
        for op, peer in [("convolve", scipy.signal.convolve2d), ("correlate", scipy.signal.correlate2d)]:
            out = cli.path("o.npy")
            cli.ok(op, cli.save(a), cli.save(b), out, "--mode", "same")
            np.testing.assert_allclose(np.load(out), peer(a, b, mode="same"), atol=1e-12)


def test_complex_fillvalue(cli):
    a, b = random_array((5, 6), "complex128"), random_array((3, 2), "complex128")
    out = cli.path("o.npy")
    cli.ok("correlate", cli.save(a), cli.save(b), out, "--fillvalue", "1.5-2j")
    want = scipy.signal.correlate2d(a, b, fillvalue=1.5 - 2j)
    np.testing.assert_allclose(np.load(out), want, atol=1e-12)
