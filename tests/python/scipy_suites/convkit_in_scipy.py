"""pytest plugin: run SciPy's own test files with convkit's drop-in functions in SciPy's place.

    python -m pytest -p convkit_in_scipy <site-packages>/scipy/signal/tests/test_signaltools.py

(this folder on sys.path). ``-p`` plugins are imported before pytest imports any test module, so
the rebinding below is what ``from scipy.signal import convolve`` in a test file gets.

What is replaced: the names in the *public* namespaces ``scipy.signal``, ``scipy.ndimage`` and
``scipy.linalg`` (``convolution_matrix`` only) -- the ones a user (and the test files) call.
SciPy's private modules (``scipy.signal._signaltools``, ``scipy.ndimage._filters``,
``scipy.linalg._special_matrices``) are left alone on purpose: SciPy's other functions call
through them (e.g. ``scipy.ndimage.gaussian_filter`` -> ``_filters.gaussian_filter1d``), and the
claim under test is "the user's call goes to convkit", not "SciPy works on top of convkit". The
test files import nothing that we replace from a private module (test_signaltools.py:
``_filtfilt_gust``, ``_compute_factors``, ``_group_poles``; test_filters.py:
``_gaussian_kernel1d``; test_special_matrices.py: only ``scipy._lib._array_api``); the check in
``pytest_collection_modifyitems`` fails the run should a collected test module still hold one of
SciPy's replaced functions under any name.

Test-infrastructure shims, no change of what is tested:
- SciPy's ``make_xp_test_case(f)`` looks ``f`` up in ``xp_capabilities_table``; each convkit
  function gets the entry of the SciPy function it replaces.
- test_filters.py imports ``hypothesis`` at the top (for one property test of median_filter). If
  it is not installed, a stub is put in ``sys.modules`` whose ``@given`` skips the test.
"""
import sys
import types

import pytest
import scipy.linalg
import scipy.ndimage
import scipy.signal
from scipy._lib._array_api import xp_capabilities_table

import convkit.linalg
import convkit.ndimage
import convkit.signal

SIGNAL = ("convolve", "correlate", "fftconvolve", "oaconvolve", "choose_conv_method",
          "convolve2d", "correlate2d")
NDIMAGE = ("correlate", "convolve", "correlate1d", "convolve1d", "gaussian_filter",
           "gaussian_filter1d", "uniform_filter", "uniform_filter1d", "sobel", "prewitt",
           "laplace", "gaussian_laplace", "gaussian_gradient_magnitude", "generic_laplace",
           "generic_gradient_magnitude")
LINALG = ("convolution_matrix",)

REPLACED = []  # (module, name, scipy's function, convkit's function)
for _mod, _ck, _names in ((scipy.signal, convkit.signal, SIGNAL),
                          (scipy.ndimage, convkit.ndimage, NDIMAGE),
                          (scipy.linalg, convkit.linalg, LINALG)):
    for _name in _names:
        if not hasattr(_ck, _name):  # only what convkit has
            continue
        _orig, _new = getattr(_mod, _name), getattr(_ck, _name)
        setattr(_mod, _name, _new)
        if _orig in xp_capabilities_table:
            xp_capabilities_table.setdefault(_new, xp_capabilities_table[_orig])
        REPLACED.append((_mod, _name, _orig, _new))


def _check_replaced():
    for mod, name, orig, new in REPLACED:
        if getattr(mod, name) is not new:
            raise pytest.UsageError(f"convkit_in_scipy: {mod.__name__}.{name} is not convkit's")


def pytest_sessionstart(session):
    # After the initial conftests (scipy/conftest.py must see the real hypothesis or none).
    try:
        import hypothesis  # noqa: F401
    except ImportError:
        def given(*args, **kwargs):
            return pytest.mark.skip(reason="hypothesis is not installed (convkit_in_scipy stub)")

        anything = lambda name: (lambda *a, **k: None)  # noqa: E731
        hyp = types.ModuleType("hypothesis")
        hyp.given = given
        hyp.strategies = types.ModuleType("hypothesis.strategies")
        hyp.strategies.__getattr__ = anything
        hyp.extra = types.ModuleType("hypothesis.extra")
        hyp.extra.numpy = types.ModuleType("hypothesis.extra.numpy")
        hyp.extra.numpy.__getattr__ = anything
        sys.modules.update({"hypothesis": hyp, "hypothesis.strategies": hyp.strategies,
                            "hypothesis.extra": hyp.extra,
                            "hypothesis.extra.numpy": hyp.extra.numpy})


def pytest_collection_modifyitems(session, config, items):
    _check_replaced()
    originals = {id(orig): f"{mod.__name__}.{name}" for mod, name, orig, _ in REPLACED}
    modules = {item.module for item in items if getattr(item, "module", None) is not None}
    for module in modules:
        for var, value in vars(module).items():
            if id(value) in originals:
                raise pytest.UsageError(f"convkit_in_scipy: {module.__name__}.{var} is SciPy's "
                                        f"own {originals[id(value)]}, not convkit's")
    config._convkit_checked = len(modules)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    _check_replaced()
    names = ", ".join(f"{mod.__name__}.{name}" for mod, name, _, _ in REPLACED)
    terminalreporter.write_line(
        f"convkit_in_scipy: {len(REPLACED)} names are convkit's ({names}); "
        f"{getattr(config, '_convkit_checked', 0)} test module(s) checked")
