"""`convkit filter` against the real cv2.filter2D (and scipy.ndimage for the wrap border)."""
import cv2
import numpy as np
import pytest
import scipy.ndimage

from conftest import ROOT

rng = np.random.default_rng(7)

BORDERS = {
    "constant": cv2.BORDER_CONSTANT,
    "replicate": cv2.BORDER_REPLICATE,
    "reflect": cv2.BORDER_REFLECT,
    "reflect101": cv2.BORDER_REFLECT_101,
}
CV_DEPTH = {"same": -1, "int16": cv2.CV_16S, "float32": cv2.CV_32F, "float64": cv2.CV_64F}


def supported_depths(src):
    """The output depths this OpenCV's filter2D accepts for `src` (OpenCV 5 dropped some)."""
    ok = []
    for depth, code in CV_DEPTH.items():
        try:
            cv2.filter2D(np.zeros((3, 3), src), code, np.ones((2, 2), np.float32))
            ok.append(depth)
        except cv2.error:
            pass
    return ok


DEPTHS = {t: supported_depths(t) for t in ["uint8", "uint16", "int16", "float32", "float64"]}
SHORT = {"uint8": "u8", "uint16": "u16", "int16": "i16", "float32": "f32", "float64": "f64", "same": "same"}


def random_image(shape, dtype):
    dt = np.dtype(dtype)
    if dt.kind == "f":
        return rng.uniform(-100, 100, shape).astype(dt)
    info = np.iinfo(dt)
    return rng.integers(info.min, info.max, shape, endpoint=True).astype(dt)


def cases(n):
    out = []
    src_types = list(DEPTHS)
    for i in range(n):
        src = src_types[i % len(src_types)]
        depth = DEPTHS[src][(i // len(src_types)) % len(DEPTHS[src])]
        h, w = int(rng.integers(1, 40)), int(rng.integers(1, 40))
        ch = [1, 3, 4][i % 3]
        kh, kw = int(rng.integers(1, 10)), int(rng.integers(1, 10))
        border = list(BORDERS)[(i // 3) % 4]
        anchor = (-1, -1) if rng.random() < 0.5 else (int(rng.integers(0, kw)), int(rng.integers(0, kh)))
        delta = 0.0 if rng.random() < 0.5 else float(rng.integers(-20, 20)) + 0.25
        dyadic = rng.random() < 0.5
        out.append((src, depth, (h, w, ch), (kh, kw), border, anchor, delta, dyadic))
    return out


def compare(got, want, src_dtype, kernel, img):
    assert got.dtype == want.dtype and got.shape == want.shape
    if got.dtype.kind in "iu":
        # OpenCV accumulates in float: where the exact value ties at .5 it may round the other way.
        diff = np.abs(got.astype(np.int64) - want.astype(np.int64))
        assert diff.max(initial=0) <= 1
    else:
        scale = np.abs(img.astype(np.float64)).max() * np.abs(kernel).sum() + 30
        tol = 1e-5 if np.dtype(src_dtype) == np.float32 or got.dtype == np.float32 else 1e-10
        np.testing.assert_allclose(got, want, rtol=0, atol=tol * scale)


@pytest.mark.parametrize("case", cases(120), ids=lambda c: "-".join(map(str, c[:5])))
def test_matches_opencv(cli, case):
    src_t, depth, shape, kshape, border, anchor, delta, dyadic = case
    img = random_image(shape if shape[2] > 1 else shape[:2], src_t)
    kernel = (rng.integers(-8, 9, kshape) / 8 if dyadic else rng.uniform(-1, 1, kshape)).astype(np.float32)
    ddepth = CV_DEPTH[depth]
    want = cv2.filter2D(img, ddepth, kernel, anchor=anchor, delta=delta, borderType=BORDERS[border])
    out = cli.path("out.npy")
    cli.ok("filter", cli.save(img), out, "--kernel-file", cli.save(kernel, "k.npy"),
           "--border", border, "--anchor", f"{anchor[0]},{anchor[1]}", "--delta", delta,
           "--depth", SHORT[depth])
    compare(np.load(out), want, src_t, kernel, img)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_wrap_border_matches_ndimage(cli, dtype):
    img = random_image((17, 23), dtype)
    for kshape in [(3, 3), (4, 5), (9, 2), (30, 31)]:
        kernel = rng.uniform(-1, 1, kshape)
        out = cli.path("o.npy")
        cli.ok("filter", cli.save(img), out, "--kernel-file", cli.save(kernel, "k.npy"), "--border", "wrap")
        want = scipy.ndimage.correlate(img.astype(np.float64), kernel, mode="wrap").astype(dtype)
        np.testing.assert_allclose(np.load(out), want, rtol=0, atol=1e-4 * np.abs(img).max() * np.abs(kernel).sum())


@pytest.mark.parametrize("image,preset", [("ascent", "gaussian5"), ("face", "sharpen"), ("face", "sobel-x")])
def test_png_presets_match_opencv(cli, image, preset, tmp_path):
    from subprocess import run
    out = tmp_path / "out.png"
    cli.ok("filter", ROOT / "data" / f"{image}.png", out, "--preset", preset)
    presets = {
        "gaussian5": np.outer([1, 4, 6, 4, 1], [1, 4, 6, 4, 1]) / 256.0,
        "sharpen": np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], float),
        "sobel-x": np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], float),
    }
    img = cv2.imread(str(ROOT / "data" / f"{image}.png"), cv2.IMREAD_UNCHANGED)
    want = cv2.filter2D(img, -1, presets[preset].astype(np.float32))
    got = cv2.imread(str(out), cv2.IMREAD_UNCHANGED)  # both BGR: the channel order cancels out
    assert got.shape == want.shape and got.dtype == np.uint8
    assert np.abs(got.astype(int) - want.astype(int)).max() <= 1
