"""pytest plugin: skimage.transform's integral_image and integrate are convkit's.

Load it with ``-p convkit_integral_plugin`` (this folder on PYTHONPATH) in a pytest run of
scikit-image's own tests (skimage/transform/tests/test_integral.py). In ``pytest_configure``
(after every ``-p`` plugin is imported, before any test module is) it sets
``skimage.transform.integral_image`` and ``skimage.transform.integrate`` to call-counting wrappers
of ``convkit.integral_image`` / ``convkit.integrate`` (``wrapper.__wrapped__`` is convkit's).
skimage.transform is a lazy_loader module: assigned attributes land in its ``__dict__``, which
Python consults before the module's ``__getattr__``, so the test's ``from skimage.transform
import integral_image, integrate`` (and its module-level ``s = integral_image(x)``) get
convkit's. skimage's internals keep skimage's functions (skimage.feature's ``from ..transform
import integral_image`` and skimage.transform.integral itself are not touched).

At the end of the session the plugin verifies the patch: the attributes are still convkit's, no
test module holds skimage's function under a global name, and if integral tests ran, both of
convkit's functions were called. The result and the call counts are printed in the terminal
summary and, when CONVKIT_INTEGRAL_PATCH_REPORT names a file, written there as JSON. A failed
verification sets exit status 3.
"""

import functools

import convkit
from plugin_common import finish, stale_bindings

NAMES = ("integral_image", "integrate")
CALLS = dict.fromkeys(NAMES, 0)
ORIGINAL = {}   # skimage's functions (pytest_configure)
PATCHED = {}    # name -> what skimage.transform.<name> was set to
_STATE = {"tests_run": 0}


def _counting(name, func):
    @functools.wraps(func)  # sets __wrapped__ = func
    def wrapper(*args, **kwargs):
        CALLS[name] += 1
        return func(*args, **kwargs)
    return wrapper


def pytest_configure(config):
    # Imported here, not at module import: convkit_ndimage_plugin must see skimage unimported.
    import skimage.transform
    import skimage.transform.integral
    ORIGINAL.update({n: getattr(skimage.transform.integral, n) for n in NAMES})
    PATCHED.update({n: _counting(n, getattr(convkit, n)) for n in NAMES})
    for name, value in PATCHED.items():
        setattr(skimage.transform, name, value)


def pytest_runtest_call(item):
    if item.path.name == "test_integral.py" and "transform" in item.path.parts:
        _STATE["tests_run"] += 1


def verify():
    """-> dict: attributes still convkit's, stale skimage bindings in test modules, calls."""
    import skimage.transform
    still = {n: skimage.transform.__dict__.get(n) is PATCHED[n] for n in PATCHED}
    stale = stale_bindings(ORIGINAL, __name__)
    called = all(CALLS[n] for n in NAMES)
    ok = bool(PATCHED) and all(still.values()) and not stale and (
        called or not _STATE["tests_run"])
    return {"ok": ok, "names": list(PATCHED), "still_patched": still, "stale": stale,
            "integral_tests_run": _STATE["tests_run"], "calls": dict(CALLS)}


_RESULT = {}


def pytest_sessionfinish(session, exitstatus):
    _RESULT.update(verify())
    finish(session, _RESULT, "CONVKIT_INTEGRAL_PATCH_REPORT")


def pytest_terminal_summary(terminalreporter):
    r = _RESULT
    if not r:
        return
    tr = terminalreporter
    tr.section("convkit.integral_image / integrate in place of skimage.transform's")
    calls = ", ".join(f"{n}={c}" for n, c in r["calls"].items() if c)
    tr.write_line(f"calls: {calls or 'none'} ({r['integral_tests_run']} integral tests run)")
    for n, still in r["still_patched"].items():
        if not still:
            tr.write_line(f"BAD skimage.transform.{n} is no longer convkit's")
    for s in r["stale"]:
        tr.write_line(f"BAD {s}")
    if r["integral_tests_run"] and not all(r["calls"][n] for n in NAMES):
        tr.write_line("BAD integral tests ran but did not call both of convkit's functions")
    tr.write_line("patch verified" if r["ok"] else "PATCH NOT VERIFIED (exit status 3)")
