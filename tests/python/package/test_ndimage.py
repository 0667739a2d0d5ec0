"""convkit.ndimage against the real scipy.ndimage: randomized shapes (1-pixel axes, kernels
longer than the array, N-D arrays, non-contiguous views), every dtype SciPy accepts, every mode
name, cval, origins, output dtypes and arrays, and the exception types.

Integer outputs of integer kernels (and of uniform_filter on integer input) are exact; a
Gaussian integer output may differ by 1 only where SciPy's float64 value lies within rounding of
an integer (its truncation then depends on the summation order); floats agree to a few ulp of
the data's magnitude."""
import numpy as np
import pytest
import scipy.ndimage as sndi

from convkit import ndimage as cndi

rng = np.random.default_rng(20260814)

MODES = ["reflect", "constant", "nearest", "mirror", "wrap", "grid-mirror", "grid-constant", "grid-wrap"]
REAL = ["uint8", "int8", "uint16", "int16", "uint32", "int32", "int64", "uint64", "float16", "float32", "float64"]
NATIVE = ["uint8", "uint16", "int16", "float32", "float64"]


def array(shape, dtype):
    dt = np.dtype(dtype)
    if dt.kind == "c":
        return (rng.uniform(-50, 50, shape) + 1j * rng.uniform(-50, 50, shape)).astype(dt)
    if dt.kind == "f":
        return rng.uniform(-100, 100, shape).astype(dt)
    if dt.kind == "b":
        return rng.random(shape) < 0.5
    info = np.iinfo(dt)
    return rng.integers(max(info.min, -1000), min(info.max, 1000) + 1, shape).astype(dt)


def side(small=0.3):
    return int(rng.integers(1, 4)) if rng.random() < small else int(rng.integers(4, 23))


def shape_nd(ndim):
    return tuple(side() for _ in range(ndim))


def view(a):
    """Sometimes a non-contiguous view (steps, reversed axes, a transpose) of the same values."""
    r = rng.random()
    if r < 0.2 and a.ndim >= 1:
        big = np.repeat(a, 2, axis=-1)
        return big[..., ::2]
    if r < 0.35:
        return np.ascontiguousarray(a[..., ::-1])[..., ::-1]
    if r < 0.45 and a.ndim >= 2:
        return np.ascontiguousarray(np.swapaxes(a, 0, 1)).swapaxes(0, 1)
    return a


def magnitude(a, wsum=1.0, cval=0.0):
    x = np.abs(np.asarray(a, dtype=np.complex128 if np.iscomplexobj(a) else np.float64))
    return (float(x.max(initial=0)) + abs(cval)) * wsum + 1.0


def wrap_diff(got, want):
    d = np.abs(got.astype(np.int64) - want.astype(np.int64))
    if got.dtype.itemsize < 8:
        m = 1 << (8 * got.dtype.itemsize)
        d = np.minimum(d % m, m - d % m)
    return d


def both(f, g, *args, **kw):
    """(convkit, scipy) results, or the same exception type from both (then None)."""
    try:
        want = g(*args, **kw)
    except Exception as e:  # noqa: BLE001 - any SciPy error must be ours too
        with pytest.raises(type(e)):
            f(*args, **kw)
        return None
    return f(*args, **kw), want


def check(got, want, scale, near_int_slack=False):
    assert got.shape == want.shape, (got.shape, want.shape)
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    if got.dtype.kind in "iub":
        if got.dtype.kind == "b":  # SciPy stores the truncated value in the bool's byte
            np.testing.assert_array_equal(got.view(np.uint8), want.view(np.uint8))
            return
        d = wrap_diff(got, want)
        if near_int_slack:
            assert d.max(initial=0) <= 1 and np.count_nonzero(d) <= max(2, 0.02 * d.size), \
                f"{np.count_nonzero(d)} of {d.size} differ, max {d.max()}"
        else:
            assert d.max(initial=0) == 0, f"{np.count_nonzero(d)} of {d.size} differ, max {d.max()}"
    else:
        eps = np.finfo(got.dtype).eps
        np.testing.assert_allclose(got, want, rtol=0, atol=64 * eps * scale)


def near_integer(v):
    return np.abs(v - np.round(v)) <= 1e-9 * np.maximum(1.0, np.abs(v))


def check_gaussian(got, a, sigma, order=0, mode="reflect", cval=0.0, truncate=4.0, radius=None, output=None):
    """Integer outputs: equal to SciPy except where one of SciPy's float64 passes lies within
    rounding of an integer (and where such a spot spreads in later passes): there +-few."""
    want = sndi.gaussian_filter(a, sigma, order, output=output, mode=mode, cval=cval, truncate=truncate, radius=radius)
    if got.dtype.kind not in "iu":
        check(got, want, magnitude(a, 4, cval) * 4)
        return
    assert got.shape == want.shape and got.dtype == want.dtype
    nd = a.ndim
    sig, ords, mds, rads = (list(x) if np.iterable(x) and not isinstance(x, str) else [x] * nd
                            for x in (sigma, order, mode, radius))
    allowed = np.zeros(a.shape, bool)
    cur = a
    for ax in range(nd):
        if sig[ax] <= 1e-15:
            continue
        kw = dict(order=ords[ax], mode=mds[ax], cval=cval, truncate=truncate, radius=rads[ax])
        f = sndi.gaussian_filter1d(cur, sig[ax], ax, output=np.float64, **kw)
        allowed = np.broadcast_to(allowed.any(axis=ax, keepdims=True), a.shape) | near_integer(f)
        cur = sndi.gaussian_filter1d(cur, sig[ax], ax, output=want.dtype, **kw)
    d = wrap_diff(got, want)
    assert not (d[~allowed] > 0).any(), f"{np.count_nonzero(d[~allowed])} differ away from near-integer spots"
    assert d.max(initial=0) <= 8


# --- correlate1d / convolve1d ---------------------------------------------------------------------

def cases_1d(n):
    out = []
    for i in range(n):
        ndim = int(rng.integers(1, 5))
        dtype = REAL[i % len(REAL)]
        nw = int(rng.integers(1, 30)) if rng.random() < 0.2 else int(rng.integers(1, 8))
        integer_w = rng.random() < 0.5
        origin = int(rng.integers(-(nw // 2), (nw - 1) // 2 + 1))
        output = None if rng.random() < 0.6 else str(rng.choice(["float64", "float32", "int16", "uint8", "int32"]))
        cval = float(rng.choice([0.0, 2.0, -3.5]))
        out.append((ndim, dtype, nw, integer_w, origin, MODES[i % len(MODES)], cval, output,
                    int(rng.integers(-ndim, ndim)), bool(i % 2)))
    return out


@pytest.mark.parametrize("case", cases_1d(88), ids=lambda c: "-".join(map(str, c)))
def test_correlate1d_convolve1d(case):
    ndim, dtype, nw, integer_w, origin, mode, cval, output, axis, convolve = case
    a = view(array(shape_nd(ndim), dtype))
    w = rng.integers(-4, 5, nw).astype(float) if integer_w else rng.uniform(-1, 1, nw)
    if convolve:
        origin = int(rng.integers(-((nw - 1) // 2) - (0 if nw & 1 else 0), nw // 2 + 1)) if nw > 1 else 0
        origin = max(min(origin, (nw - 1) // 2), -(nw // 2))
    kw = dict(axis=axis, output=np.dtype(output) if output else None, mode=mode, cval=cval, origin=origin)
    f, g = (cndi.convolve1d, sndi.convolve1d) if convolve else (cndi.correlate1d, sndi.correlate1d)
    r = both(f, g, a, w, **kw)
    if r is None:
        return
    got, want = r
    exact = integer_w and a.dtype.kind in "iub"
    check(got, want, magnitude(a, np.abs(w).sum(), cval), near_int_slack=not exact)


def test_correlate1d_complex_and_output_array():
    a = array((9, 13), "complex128")
    w = rng.uniform(-1, 1, 5) + 1j * rng.uniform(-1, 1, 5)
    for mode in MODES:
        check(cndi.correlate1d(a, w, 0, mode=mode, cval=1.5), sndi.correlate1d(a, w, 0, mode=mode, cval=1.5),
              magnitude(a, 10))
        check(cndi.convolve1d(a.real, w, 1, mode=mode), sndi.convolve1d(a.real, w, 1, mode=mode), magnitude(a, 10))
    out = np.zeros((9, 13), np.float32)
    r = cndi.correlate1d(array((9, 13), "uint8"), [1, 2, 3], output=out)
    assert r is out and out.any()
    # in place, as SciPy allows
    b = array((7, 8), "float64")
    want = sndi.correlate1d(b, [1, -1, 2], 0)
    assert cndi.correlate1d(b, [1, -1, 2], 0, output=b) is b
    check(b, want, magnitude(want, 4))


# --- correlate / convolve (N-D kernels) --------------------------------------------------------------

def cases_nd(n):
    out = []
    for i in range(n):
        ndim = [1, 2, 2, 2, 3][i % 5]
        dtype = REAL[(i * 7) % len(REAL)]
        out.append((ndim, dtype, MODES[i % len(MODES)], float(rng.choice([0.0, 4.0])), bool(i % 2),
                    rng.random() < 0.5, str(rng.choice(["none", "float32", "int16"]))))
    return out


@pytest.mark.parametrize("case", cases_nd(60), ids=lambda c: "-".join(map(str, c)))
def test_correlate_convolve(case):
    ndim, dtype, mode, cval, convolve, integer_w, output = case
    a = view(array(shape_nd(ndim), dtype))
    axes = None
    if ndim == 3:  # a 2-D kernel over two of three axes (axes=...), or singleton kernel axes
        axes = tuple(sorted(rng.choice(3, 2, replace=False).tolist()))
        wshape = (int(rng.integers(1, 7)), int(rng.integers(1, 7)))
    else:
        wshape = tuple(int(rng.integers(1, 9)) if rng.random() < 0.85 else int(rng.integers(9, 30)) for _ in range(ndim))
        if mode in ("reflect", "grid-mirror"):
            # SciPy's N-D correlate reads wrong samples in reflect mode once the kernel reaches
            # 4 lengths beyond the array (its correlate1d and convkit give the true reflection)
            wshape = tuple(min(n, 4 * side) for n, side in zip(wshape, a.shape))
    w = rng.integers(-3, 4, wshape).astype(float) if integer_w else rng.uniform(-1, 1, wshape)
    origin = [int(rng.integers(-(n // 2), (n - 1) // 2 + 1)) for n in wshape]
    kw = dict(mode=mode, cval=cval, origin=origin, axes=axes, output=None if output == "none" else np.dtype(output))
    f, g = (cndi.convolve, sndi.convolve) if convolve else (cndi.correlate, sndi.correlate)
    r = both(f, g, a, w, **kw)  # convolve's origin shift can leave the range: same error
    if r is None:
        return
    got, want = r
    check(got, want, magnitude(a, np.abs(w).sum(), cval), near_int_slack=not (integer_w and a.dtype.kind in "iub"))


def test_correlate_complex_and_nd_limit():
    a = array((8, 11), "complex64")
    w = rng.uniform(-1, 1, (3, 4)) + 1j * rng.uniform(-1, 1, (3, 4))
    for mode in ["reflect", "wrap", "constant"]:
        check(cndi.correlate(a, w, mode=mode), sndi.correlate(a, w, mode=mode), magnitude(a, 24))
        check(cndi.convolve(a, w.real, mode=mode), sndi.convolve(a, w.real, mode=mode), magnitude(a, 24))
    b = array((5, 6, 7), "float64")
    for w3 in (np.ones((3, 1, 3)), rng.uniform(-1, 1, (3, 3, 3))):  # N-D kernels, any rank
        np.testing.assert_array_equal(cndi.correlate(b, w3), sndi.correlate(b, w3))


@pytest.mark.parametrize("seed", range(4))
def test_bits_equal_scipy_any_rank(seed):
    """correlate1d and correlate sum in SciPy's own order: the float64 results are SciPy's bit
    for bit, for every rank up to 5, mode, origin, symmetric / antisymmetric / other kernels and
    kernels with near-zero weights (which NI_Correlate skips)."""
    g = np.random.default_rng(100 + seed)
    for _ in range(60):
        d = int(g.integers(1, 6))
        shape = tuple(int(v) for v in g.integers(1, 7, size=d))
        x = g.standard_normal(shape)
        if g.random() < 0.3:
            x = np.round(x * 10)
        mode = str(g.choice(["reflect", "mirror", "nearest", "wrap", "constant", "grid-wrap"]))
        cval = float(g.choice([0.0, 0.5, -2.0]))
        T = int(g.integers(1, 8))
        w = g.standard_normal(T)
        kind = int(g.integers(0, 3))
        w = w + w[::-1] if kind == 1 else (w - w[::-1] if kind == 2 else w)
        axis = int(g.integers(-d, d))
        origin = int(g.integers(-(T // 2), (T - 1) // 2 + 1))
        np.testing.assert_array_equal(
            cndi.correlate1d(x, w, axis=axis, mode=mode, cval=cval, origin=origin),
            sndi.correlate1d(x, w, axis=axis, mode=mode, cval=cval, origin=origin))
        out = str(g.choice(["uint8", "int16", "uint16", "int32", "float32", "int8"]))
        xs = x * 300  # integer outputs: truncation, wrap-around and out-of-range casts
        np.testing.assert_array_equal(
            cndi.correlate1d(xs, w, axis=axis, mode=mode, origin=origin, output=out),
            sndi.correlate1d(xs, w, axis=axis, mode=mode, origin=origin, output=out))
        ws = tuple(int(v) for v in g.integers(1, 4, size=d))
        if d == 5:
            ws = (1,) + ws[1:]  # beyond rank 4 the first kernel axis must be 1
        W = g.standard_normal(ws)
        W[g.random(ws) < 0.2] = 0.0
        W[g.random(ws) < 0.1] = 1e-17  # below DBL_EPSILON: SciPy skips these taps
        org = [int(g.integers(-(k // 2), (k - 1) // 2 + 1)) for k in ws]
        for f in ("correlate", "convolve"):
            np.testing.assert_array_equal(
                getattr(cndi, f)(x, W, mode=mode, cval=cval, origin=org),
                getattr(sndi, f)(x, W, mode=mode, cval=cval, origin=org))
        np.testing.assert_array_equal(cndi.correlate(xs, W, mode=mode, origin=org, output=out),
                                      sndi.correlate(xs, W, mode=mode, origin=org, output=out))


def test_constants_stay_exact():
    """SciPy keeps a constant image exactly constant under a symmetric kernel and its first
    derivative exactly 0 (pairs summed first); scikit-image's ridge filters rely on it."""
    ones = np.ones((2, 2))
    assert np.all(cndi.gaussian_filter(ones, 1.0, mode="nearest") == 1.0)
    flat = np.full((9, 9, 5), 255.0)
    for order in (1, 2):
        np.testing.assert_array_equal(cndi.gaussian_filter(flat, 2.0, order=order),
                                      sndi.gaussian_filter(flat, 2.0, order=order))
    assert np.all(cndi.gaussian_filter(flat, 2.0, order=(0, 1, 0)) == 0.0)


# --- Gaussian ---------------------------------------------------------------------------------------

def gaussian_cases(n):
    out = []
    for i in range(n):
        ndim = [1, 2, 2, 3, 4][i % 5]
        dtype = (NATIVE + ["int32", "float16", "int8"])[i % 8]
        sigma = [float(rng.choice([0.0, rng.uniform(0.3, 4)])) if rng.random() < 0.15 else float(rng.uniform(0.3, 4))
                 for _ in range(ndim)]
        order = [int(rng.integers(0, 4)) if rng.random() < 0.3 else 0 for _ in range(ndim)]
        modes = [MODES[(i + k) % len(MODES)] for k in range(ndim)] if rng.random() < 0.3 else MODES[i % len(MODES)]
        radius = int(rng.integers(0, 9)) if rng.random() < 0.2 else None
        output = None if rng.random() < 0.6 else str(rng.choice(["float64", "float32", "int16"]))
        out.append((ndim, dtype, sigma, order, modes, float(rng.choice([0.0, 2.5])),
                    float(rng.choice([4.0, 2.0, 6.5])), radius, output))
    return out


@pytest.mark.parametrize("case", gaussian_cases(60), ids=lambda c: "-".join(map(str, c)))
def test_gaussian_filter(case):
    ndim, dtype, sigma, order, modes, cval, truncate, radius, output = case
    a = view(array(shape_nd(ndim), dtype))
    s = sigma if rng.random() < 0.7 else sigma[0]
    o = order if isinstance(s, list) else 0
    kw = dict(order=o, mode=modes, cval=cval, truncate=truncate, radius=radius,
              output=None if output is None else np.dtype(output))
    r = both(cndi.gaussian_filter, sndi.gaussian_filter, a, s, **kw)
    if r is None:
        return
    check_gaussian(r[0], a, s, **kw)


@pytest.mark.parametrize("i", range(16))
def test_gaussian_filter1d(i):
    ndim = [1, 2, 3, 2][i % 4]
    dtype = NATIVE[i % 5]
    a = view(array(shape_nd(ndim), dtype))
    kw = dict(axis=int(rng.integers(-ndim, ndim)), order=i % 4, mode=MODES[i % 8], cval=1.5,
              truncate=[4.0, 1.5][i % 2], radius=None if i % 3 else int(rng.integers(0, 12)))
    sigma = float(rng.uniform(0.4, 5))
    got = cndi.gaussian_filter1d(a, sigma, **kw)
    axis = kw.pop("axis") % ndim
    s = [0.0] * ndim
    s[axis] = sigma
    order = [0] * ndim
    order[axis] = kw.pop("order")
    check_gaussian(got, a, s, order, **kw)


def test_gaussian_axes_and_skipped_axes():
    a = array((6, 7, 8), "float32")
    for kw in [dict(sigma=(1.0, 2.0), axes=(0, 2)), dict(sigma=0.0), dict(sigma=(0, 1.5, 0)),
               dict(sigma=1.2, axes=1, mode="wrap")]:
        check(cndi.gaussian_filter(a, **kw), sndi.gaussian_filter(a, **kw), magnitude(a, 2))


# --- uniform ----------------------------------------------------------------------------------------

def uniform_cases(n):
    out = []
    for i in range(n):
        ndim = [1, 2, 2, 3][i % 4]
        dtype = (REAL + ["complex128"])[i % 12]
        size = [int(rng.integers(1, 12)) for _ in range(ndim)]
        origin = [int(rng.integers(-(s // 2), (s - 1) // 2 + 1)) for s in size]
        output = None if rng.random() < 0.6 or dtype == "complex128" else str(rng.choice(["float64", "float32", "int16", "uint8"]))
        out.append((ndim, dtype, size, origin, MODES[i % 8], float(rng.choice([0.0, 3.0])), output))
    return out


@pytest.mark.parametrize("case", uniform_cases(48), ids=lambda c: "-".join(map(str, c)))
def test_uniform_filter(case):
    ndim, dtype, size, origin, mode, cval, output = case
    a = view(array(shape_nd(ndim), dtype))
    kw = dict(mode=mode, cval=cval, output=None if output is None else np.dtype(output))
    if rng.random() < 0.5:
        kw["origin"] = origin
        s = size
    else:
        s = size[0]
    r = both(cndi.uniform_filter, sndi.uniform_filter, a, s, **kw)
    if r is None:
        return
    got, want = r
    exact = a.dtype.kind in "iu" and (output is None or np.dtype(output).kind in "iu")
    check(got, want, magnitude(a, 1, cval), near_int_slack=not exact)
    axis = int(rng.integers(0, ndim))
    kw1 = dict(kw, origin=origin[axis])
    r = both(cndi.uniform_filter1d, sndi.uniform_filter1d, a, size[axis], axis, **kw1)
    if r is not None:
        check(*r, magnitude(a, 1, cval), near_int_slack=not exact)


# --- derivatives ------------------------------------------------------------------------------------

def deriv_cases(n):
    out = []
    for i in range(n):
        ndim = [1, 2, 2, 3][i % 4]
        dtype = REAL[i % len(REAL)]
        modes = MODES[i % 8] if rng.random() < 0.7 else [MODES[(i + k) % 8] for k in range(ndim)]
        output = None if rng.random() < 0.6 else str(rng.choice(["float64", "float32", "int16", "uint8"]))
        out.append((ndim, dtype, modes, float(rng.choice([0.0, 2.0])), output))
    return out


@pytest.mark.parametrize("case", deriv_cases(44), ids=lambda c: "-".join(map(str, c)))
def test_sobel_prewitt_laplace(case):
    ndim, dtype, modes, cval, output = case
    a = view(array(shape_nd(ndim), dtype))
    out = None if output is None else np.dtype(output)
    axis = int(rng.integers(-ndim, ndim))
    exact = a.dtype.kind in "iu"
    scale = magnitude(a, 4 ** ndim, cval)
    for name in ["sobel", "prewitt"]:
        r = both(getattr(cndi, name), getattr(sndi, name), a, axis, output=out, mode=modes, cval=cval)
        if r is None:
            return
        check(*r, scale, near_int_slack=not exact)
    check(*both(cndi.laplace, sndi.laplace, a, output=out, mode=modes, cval=cval), scale,
          near_int_slack=not exact)


@pytest.mark.parametrize("i", range(20))
def test_gaussian_laplace_and_gradient_magnitude(i):
    ndim = [2, 2, 3, 1][i % 4]
    dtype = ["float64", "float32", "uint8", "int16", "float16"][i % 5]
    a = view(array(shape_nd(ndim), dtype))
    sigma = float(rng.uniform(0.5, 3)) if i % 2 else [float(rng.uniform(0.5, 3)) for _ in range(ndim)]
    output = None if dtype[0] == "f" else [np.float64, np.float32][i % 2]
    kw = dict(output=output, mode=MODES[i % 8], cval=[0.0, 1.5][i % 2])
    if i % 5 == 0:
        kw["truncate"] = 2.5
    for name in ["gaussian_laplace", "gaussian_gradient_magnitude"]:
        r = both(getattr(cndi, name), getattr(sndi, name), a, sigma, **kw)
        if r is not None:
            check(*r, magnitude(a, 8, 1.5) * 8, near_int_slack=True)


def test_integer_casts_like_scipy_far_out_of_range():
    """SciPy stores each pass with a C cast; NumPy's float->uint32/uint64 casts differ outside the
    int32 range, so convkit emulates the C cast: equal for NaN, inf, huge and negative values."""
    v = np.concatenate([rng.uniform(-1e20, 1e20, 300), rng.uniform(-1e10, 1e10, 300), rng.uniform(-3e9, 5e9, 300),
                        rng.uniform(-1e3, 1e3, 100), [np.nan, np.inf, -np.inf, 2.0 ** 63, 2.0 ** 64 - 2048, -2.0 ** 63,
                                                      2.0 ** 31, -2.0 ** 31 - 1, 0.999, -0.999, 2.0 ** 64, 1e300]])
    for dt in ["bool", "int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64"]:
        with np.errstate(all="ignore"):
            want = sndi.correlate1d(v, [1.0], output=np.dtype(dt))
        got = cndi.correlate1d(v, [1.0], output=np.dtype(dt))
        np.testing.assert_array_equal(got.view(np.uint8) if dt == "bool" else got,
                                      want.view(np.uint8) if dt == "bool" else want, err_msg=dt)


@pytest.mark.filterwarnings("ignore:invalid value encountered in sqrt:RuntimeWarning")
def test_gaussian_composites_integer_outputs():
    """Integer outputs of gaussian_laplace / gaussian_gradient_magnitude: per-pass truncation and
    wrapping as SciPy; off by at most 2 at SciPy's near-integer spots (rare on real data)."""
    mismatched = total = 0
    for k in range(6):
        a = array((int(rng.integers(5, 30)), int(rng.integers(5, 30))), ["uint8", "int16", "int32"][k % 3])
        sigma = float(rng.uniform(0.8, 2.5))
        for name in ["gaussian_laplace", "gaussian_gradient_magnitude"]:
            out = [None, np.int16, np.uint8][k % 3]
            got = getattr(cndi, name)(a, sigma, output=out, mode=MODES[k])
            want = getattr(sndi, name)(a, sigma, output=out, mode=MODES[k])
            assert got.dtype == want.dtype and got.shape == want.shape
            d = wrap_diff(got, want)
            assert d.max() <= 2
            mismatched += np.count_nonzero(d)
            total += d.size
    assert mismatched <= 0.01 * total


def test_one_pixel_and_empty_arrays():
    for shape in [(1,), (1, 1), (1, 5), (4, 1), (1, 1, 1)]:
        for dtype in ["uint8", "float64"]:
            a = array(shape, dtype)
            for mode in MODES:
                check_gaussian(cndi.gaussian_filter(a, 3, mode=mode), a, 3, mode=mode)
                check(cndi.uniform_filter(a, 4, mode=mode), sndi.uniform_filter(a, 4, mode=mode), magnitude(a))
                check(cndi.correlate1d(a, [1, 2, 3, 4, 5, 6, 7], mode=mode, cval=2),
                      sndi.correlate1d(a, [1, 2, 3, 4, 5, 6, 7], mode=mode, cval=2), magnitude(a, 28, 2))
    e = np.zeros((0, 4))
    assert cndi.gaussian_filter(e, 1).shape == (0, 4)
    assert cndi.correlate(e, np.ones((2, 2))).shape == (0, 4)


def test_bool_and_list_inputs():
    b = rng.random((6, 7)) < 0.5
    check(cndi.uniform_filter(b, 3), sndi.uniform_filter(b, 3), 1)
    lst = [[1, 2, 3], [4, 5, 6]]
    check(cndi.correlate(lst, [[1, 1], [1, -1]]), sndi.correlate(lst, [[1, 1], [1, -1]]), 30)
    check(cndi.correlate1d([2, 8, 0, 4, 1, 9, 9, 0], [1, 3]), np.array([8, 26, 8, 12, 7, 28, 36, 9]), 1)
    check(cndi.convolve1d([2, 8, 0, 4, 1, 9, 9, 0], [1, 3]), np.array([14, 24, 4, 13, 12, 36, 27, 0]), 1)


# --- exceptions: the same types as SciPy -----------------------------------------------------------

A2 = np.arange(30.0).reshape(5, 6)

BAD_CALLS = [
    ("correlate1d", (A2, [1, 2, 3]), dict(origin=2)),
    ("correlate1d", (A2, [1, 2, 3]), dict(mode="bogus")),
    ("correlate1d", (A2, [1, 2, 3]), dict(axis=2)),
    ("correlate1d", (A2, [[1, 2, 3]]), {}),
    ("correlate1d", (A2, []), {}),
    ("correlate1d", (A2, [1, 2]), dict(output=np.zeros((2, 2)))),
    ("correlate1d", (A2, [1, 2]), dict(cval=1j)),
    ("convolve1d", (A2, [1, 2, 3, 4]), dict(origin=-3)),
    ("correlate", (A2, np.ones((3, 3))), dict(origin=(2, 0))),
    ("correlate", (A2, np.ones(3)), {}),
    ("correlate", (A2, np.ones((3, 3))), dict(mode=["reflect", "wrap"])),
    ("correlate", (A2, np.ones((3, 3))), dict(axes=(0, 0))),
    ("correlate", (A2, np.ones((3, 3))), dict(axes=(0, 5))),
    ("convolve", (A2, np.ones((2, 2))), dict(origin=1)),
    ("gaussian_filter", (A2, 1.0), dict(order=-1)),
    ("gaussian_filter", (A2, (1.0, 2.0, 3.0)), {}),
    ("gaussian_filter", (A2, 1.0), dict(radius=-1)),
    ("gaussian_filter", (A2, 1.0), dict(mode="nope")),
    ("gaussian_filter1d", (A2, 1.0), dict(radius=2.5)),
    ("uniform_filter", (A2, 3), dict(origin=2)),
    ("uniform_filter", (A2, (3, 3, 3)), {}),
    ("uniform_filter1d", (A2, 0), {}),
    ("uniform_filter1d", (A2, 4), dict(origin=2)),
    ("sobel", (A2, 2), {}),
    ("prewitt", (A2,), dict(mode=["wrap"])),
    ("laplace", (A2,), dict(output="S5")),
    ("gaussian_laplace", (A2, 1.0), dict(mode="x")),
    ("gaussian_gradient_magnitude", (A2, (1.0,)), {}),
]


@pytest.mark.parametrize("name,args,kw", BAD_CALLS, ids=lambda x: str(x)[:40])
def test_exception_types_match_scipy(name, args, kw):
    with pytest.raises(Exception) as want:
        getattr(sndi, name)(*args, **kw)
    with pytest.raises(want.type):
        getattr(cndi, name)(*args, **kw)


@pytest.mark.parametrize("seed", range(3))
def test_integer_outputs_of_1d_passes_equal_scipy_exactly(seed):
    """Integer outputs truncate each pass: where SciPy's float64 sum sits within round-off of an
    integer, convkit recomputes in SciPy's summation order, so the results are equal, not close."""
    r = np.random.default_rng(900 + seed)
    for _ in range(60):
        dt = r.choice([np.uint8, np.uint16, np.int16, np.int32])
        shape = tuple(int(x) for x in r.integers(1, 30, size=r.integers(1, 4)))
        a = r.integers(0, 200, shape).astype(dt)
        mode = str(r.choice(["reflect", "mirror", "nearest", "wrap", "constant"]))
        sigma = float(r.uniform(0.3, 3))
        order = int(r.choice([0, 0, 1, 2]))
        np.testing.assert_array_equal(
            cndi.gaussian_filter(a, sigma, order=order, mode=mode, cval=3),
            sndi.gaussian_filter(a, sigma, order=order, mode=mode, cval=3))
        np.testing.assert_array_equal(cndi.gaussian_laplace(a, sigma, mode=mode),
                                      sndi.gaussian_laplace(a, sigma, mode=mode))
        w = r.uniform(-1, 1, int(r.integers(1, 8)))
        np.testing.assert_array_equal(cndi.correlate1d(a, w, axis=0, mode=mode),
                                      sndi.correlate1d(a, w, axis=0, mode=mode))
