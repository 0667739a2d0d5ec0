"""pytest plugin: skimage.restoration's deconvolution is convkit.restoration's, and the reference
arrays of skimage/restoration/tests/test_restoration.py are made offline.

Load it with ``-p convkit_restoration_plugin`` (this folder on PYTHONPATH) in a pytest run of
scikit-image's own tests. It does two things:

1. Reference data (always, also with ``CONVKIT_RESTORATION_PATCH=0``, the plain skimage run that
   the convkit run is compared with). test_restoration.py compares against
   ``skimage._shared.testing.fetch('restoration/tests/<name>.npy')``, which downloads through
   pooch; there is no network here, so the plugin replaces ``fetch`` (the attribute of
   skimage._shared.testing, which the test module binds with ``from ... import fetch`` when it is
   imported, after this plugin is configured). For the five restoration files it returns a .npy
   made once per session in a temporary folder by *skimage's own* wiener, unsupervised_wiener and
   richardson_lucy (captured before the patch) on exactly the inputs each test builds; any other
   name goes to skimage's fetch. The real files are skimage's stored outputs from an older
   release; the generated ones equal skimage 0.25.2's current outputs (the plain run checks
   skimage against them with the suite's own tolerances, which validates the generator), and the
   convkit run checks convkit.restoration against them with the same tolerances.

2. The patch (unless ``CONVKIT_RESTORATION_PATCH=0``): ``skimage.restoration.wiener``,
   ``unsupervised_wiener``, ``richardson_lucy`` become call-counting wrappers of convkit's
   (``wrapper.__wrapped__ is convkit.restoration.<name>``), and ``skimage.restoration.uft`` a
   module of counting wrappers of ``convkit.restoration.uft``. skimage.restoration is a
   lazy_loader module: assigned attributes land in its ``__dict__``, which Python consults before
   the module's ``__getattr__``, so ``restoration.wiener(...)`` in the test and ``from
   skimage.restoration import uft`` (import time, after this plugin is configured) both see
   convkit's. skimage's internals keep skimage's functions (deconvolution.py imported its ``uft``
   before the patch; sys.modules is untouched).

At the end of the session the plugin verifies the patch: the attributes are still convkit's, no
test module holds skimage's function (or its uft module, or the networked fetch) under a global
name, and if restoration tests ran, convkit's functions were called. The result and the call
counts are printed in the terminal summary and, when CONVKIT_RESTORATION_PATCH_REPORT names a
file, written there as JSON (patched runs only). A failed verification sets exit status 3.
"""

import functools
import os
import pathlib
import tempfile
import types

import numpy as np

import convkit.restoration
from plugin_common import finish, stale_bindings

PATCH = os.environ.get("CONVKIT_RESTORATION_PATCH", "1") != "0"
NAMES = ("wiener", "unsupervised_wiener", "richardson_lucy")
UFT_NAMES = tuple(n for n in convkit.restoration.uft.__all__
                  if callable(getattr(convkit.restoration.uft, n)))
CALLS = dict.fromkeys(NAMES + tuple(f"uft.{n}" for n in UFT_NAMES), 0)
ORIGINAL = {}   # skimage's functions, its uft module and its testing.fetch (pytest_configure)
PATCHED = {}    # name -> what skimage.restoration.<name> was set to
_STATE = {"dir": None, "tests_run": 0}


def _counting(name, func):
    @functools.wraps(func)  # sets __wrapped__ = func
    def wrapper(*args, **kwargs):
        CALLS[name] += 1
        return func(*args, **kwargs)
    return wrapper


# --- reference data: skimage's functions on the inputs of test_restoration.py -----------------

def _camera_noisy(seed, convolve):
    from skimage import data, util
    psf = np.ones((5, 5)) / 25
    image = convolve(util.img_as_float(data.camera()), psf, "same")
    image += 0.1 * image.std() * np.random.RandomState(seed).standard_normal(image.shape)
    return image, psf


def _camera_wiener():  # test_wiener, ndim 2 (float64; every dtype is compared with this)
    from scipy.signal import convolve
    image, psf = _camera_noisy(0, convolve)
    return ORIGINAL["wiener"](image, psf, 0.05)


def _camera_unsup():  # test_unsupervised_wiener, first call
    from scipy.signal import convolve2d
    image, psf = _camera_noisy(16829302, convolve2d)
    return ORIGINAL["unsupervised_wiener"](image, psf, rng=16829302)[0]


def _camera_unsup2():  # test_unsupervised_wiener, transfer function + Laplacian, is_real=False
    from scipy.signal import convolve2d
    uft = ORIGINAL["uft"]
    image, psf = _camera_noisy(16829302, convolve2d)
    _, laplacian = uft.laplacian(2, image.shape)
    otf = uft.ir2tf(psf, image.shape, is_real=False)
    params = {"callback": lambda x: None, "max_num_iter": 200, "min_num_iter": 30}
    return np.real(ORIGINAL["unsupervised_wiener"](image, otf, reg=laplacian, is_real=False,
                                                   user_params=params, rng=16829302)[0])


def _camera_rl():  # test_richardson_lucy, ndim 2
    from scipy.signal import convolve
    image, psf = _camera_noisy(0, convolve)
    return ORIGINAL["richardson_lucy"](image, psf, num_iter=5)


def _astronaut_rl():  # test_richardson_lucy_filtered (float64 image and psf)
    from scipy.signal import convolve2d
    from skimage.color import rgb2gray
    from skimage.data import astronaut
    psf = np.ones((5, 5)) / 25
    image = convolve2d(rgb2gray(astronaut()), psf, "same")
    return ORIGINAL["richardson_lucy"](image, psf, 5, filter_epsilon=1e-6)


REFERENCES = {
    "restoration/tests/camera_wiener.npy": _camera_wiener,
    "restoration/tests/camera_unsup.npy": _camera_unsup,
    "restoration/tests/camera_unsup2.npy": _camera_unsup2,
    "restoration/tests/camera_rl.npy": _camera_rl,
    "restoration/tests/astronaut_rl.npy": _astronaut_rl,
}


def fetch(data_filename):
    """skimage._shared.testing.fetch without the network for the restoration references."""
    make = REFERENCES.get(data_filename)
    if make is None:
        return ORIGINAL["fetch"](data_filename)
    if _STATE["dir"] is None:
        _STATE["dir"] = tempfile.TemporaryDirectory(prefix="convkit_restoration_refs_")
    path = pathlib.Path(_STATE["dir"].name) / pathlib.Path(data_filename).name
    if not path.exists():
        np.save(path, make())
    return str(path)


# --- hooks ------------------------------------------------------------------------------------

def pytest_configure(config):
    # Imported here, not at module import: convkit_ndimage_plugin must see skimage unimported.
    import skimage._shared.testing
    import skimage.restoration
    import skimage.restoration.deconvolution
    import skimage.restoration.uft
    ORIGINAL.update({n: getattr(skimage.restoration.deconvolution, n) for n in NAMES})
    ORIGINAL["uft"] = skimage.restoration.uft
    ORIGINAL["fetch"] = skimage._shared.testing.fetch
    skimage._shared.testing.fetch = fetch
    if not PATCH:
        return
    uft = types.ModuleType(f"{__name__}.uft", "convkit.restoration.uft, calls counted")
    uft.__wrapped__ = convkit.restoration.uft
    for name in convkit.restoration.uft.__all__:
        value = getattr(convkit.restoration.uft, name)
        setattr(uft, name, _counting(f"uft.{name}", value) if callable(value) else value)
    PATCHED.update({n: _counting(n, getattr(convkit.restoration, n)) for n in NAMES}, uft=uft)
    for name, value in PATCHED.items():
        setattr(skimage.restoration, name, value)


def pytest_runtest_call(item):
    if "restoration" in item.path.parts:
        _STATE["tests_run"] += 1


def verify():
    """-> dict: attributes still convkit's, stale skimage bindings in test modules, calls."""
    import skimage.restoration
    still = {n: skimage.restoration.__dict__.get(n) is PATCHED[n] for n in PATCHED}
    stale = stale_bindings(ORIGINAL, __name__)
    called = any(CALLS[n] for n in NAMES)
    ok = all(still.values()) and not stale and (called or not _STATE["tests_run"])
    return {"ok": ok, "names": list(PATCHED), "still_patched": still, "stale": stale,
            "restoration_tests_run": _STATE["tests_run"], "calls": dict(CALLS)}


_RESULT = {}


def pytest_sessionfinish(session, exitstatus):
    if not PATCH:
        return
    _RESULT.update(verify())
    finish(session, _RESULT, "CONVKIT_RESTORATION_PATCH_REPORT")


def pytest_unconfigure(config):
    if _STATE["dir"] is not None:
        _STATE["dir"].cleanup()
        _STATE["dir"] = None


def pytest_terminal_summary(terminalreporter):
    r = _RESULT
    if not r:
        return
    tr = terminalreporter
    tr.section("convkit.restoration in place of skimage.restoration's deconvolution")
    calls = ", ".join(f"{n}={c}" for n, c in r["calls"].items() if c)
    tr.write_line(f"calls: {calls or 'none'} ({r['restoration_tests_run']} restoration tests run)")
    for n, still in r["still_patched"].items():
        if not still:
            tr.write_line(f"BAD skimage.restoration.{n} is no longer convkit's")
    for s in r["stale"]:
        tr.write_line(f"BAD {s}")
    if r["restoration_tests_run"] and not any(r["calls"][n] for n in NAMES):
        tr.write_line("BAD restoration tests ran but never called convkit.restoration")
    tr.write_line("patch verified" if r["ok"] else "PATCH NOT VERIFIED (exit status 3)")
