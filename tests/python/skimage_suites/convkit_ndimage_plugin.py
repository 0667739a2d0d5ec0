"""pytest plugin: every scipy.ndimage linear filter that convkit.ndimage has is convkit's.

Load it with ``-p convkit_ndimage_plugin`` (this folder on PYTHONPATH) in a pytest run of
scikit-image's own tests. Plugins named with ``-p`` are imported before conftest files and test
modules, so the patch is in place before skimage is imported:

- ``from scipy import ndimage as ndi`` / ``import scipy.ndimage as ndi`` (skimage._shared.filters,
  skimage.feature.corner, skimage.filters.edges, the test modules): ``ndi.<name>`` is looked up at
  call time on the scipy.ndimage module object, which now holds convkit's function;
- ``from scipy.ndimage import convolve`` (skimage.filters.edges: roberts, laplace, farid) binds the
  name at import time, so it only gets convkit's because skimage is imported after this module.

Each patched attribute is a thin call-counting wrapper around the convkit.ndimage function of the
same name (``wrapper.__wrapped__ is convkit.ndimage.<name>``). Names convkit.ndimage lacks
(binary_erosion, generate_binary_structure, median_filter, ...) stay SciPy's.

At the end of the session the plugin verifies the patch took everywhere it matters: the module
bindings skimage's filters go through (``BINDINGS``) are convkit's, and no loaded module (skimage
or a test module) holds SciPy's original function under any global name. The result and the call
counts are printed in the terminal summary and, when CONVKIT_NDIMAGE_PATCH_REPORT names a file,
written there as JSON. A failed verification sets the exit status to 3 (internal error).
"""

import functools
import importlib
import json
import os
import sys
import types

import scipy.ndimage
import convkit.ndimage

_already = sorted(m for m in sys.modules if m == "skimage" or m.startswith("skimage."))
if _already:  # a name bound by `from scipy.ndimage import ...` would keep SciPy's function
    raise RuntimeError(
        "convkit_ndimage_plugin must be loaded before scikit-image is imported; already imported: "
        + ", ".join(_already[:5]))

NAMES = tuple(n for n in convkit.ndimage.__all__ if callable(getattr(scipy.ndimage, n, None)))
ORIGINAL = {n: getattr(scipy.ndimage, n) for n in NAMES}
CALLS = dict.fromkeys(NAMES, 0)


def _counting(name, func):
    @functools.wraps(func)  # sets __wrapped__ = func
    def wrapper(*args, **kwargs):
        CALLS[name] += 1
        return func(*args, **kwargs)
    return wrapper


PATCHED = {n: _counting(n, getattr(convkit.ndimage, n)) for n in NAMES}
for _name, _func in PATCHED.items():
    setattr(scipy.ndimage, _name, _func)

# (module, attribute path, convkit function name): the bindings through which the filters under
# test reach scipy.ndimage in scikit-image 0.25 (checked at session end; a module that the
# session never imported is imported for the check).
BINDINGS = [
    ("skimage._shared.filters", "ndi.gaussian_filter", "gaussian_filter"),  # gaussian, unsharp_mask
    ("skimage.feature.corner", "ndi.gaussian_filter", "gaussian_filter"),  # hessian_matrix (ridges)
    ("skimage.feature.corner", "ndi.sobel", "sobel"),                      # structure_tensor
    ("skimage.filters.edges", "ndi.convolve", "convolve"),     # sobel/prewitt/scharr/farid_h/v
    ("skimage.filters.edges", "convolve", "convolve"),         # roberts*, laplace, farid_h/v
]


def _resolve(obj, path):
    for part in path.split("."):
        obj = getattr(obj, part)
    return obj


def verify():
    """-> dict: the binding checks, stale SciPy bindings found in loaded modules, call counts."""
    bindings = []
    for modname, path, name in BINDINGS:
        try:
            module = importlib.import_module(modname)
            value = _resolve(module, path)
            ok = getattr(value, "__wrapped__", None) is getattr(convkit.ndimage, name)
            got = f"{getattr(value, '__module__', '?')}.{getattr(value, '__qualname__', value)!s}"
        except Exception as exc:  # noqa: BLE001 - reported, not raised
            ok, got = False, f"{type(exc).__name__}: {exc}"
        bindings.append({"binding": f"{modname}.{path}", "convkit": ok, "got": got})
    originals = {id(f): n for n, f in ORIGINAL.items()}
    stale = []
    for modname, module in list(sys.modules.items()):
        if not isinstance(module, types.ModuleType) or modname.split(".")[0] in ("scipy", "convkit"):
            continue
        if modname == __name__:
            continue
        for attr, value in list(getattr(module, "__dict__", {}).items()):
            if id(value) in originals and value is ORIGINAL[originals[id(value)]]:
                stale.append(f"{modname}.{attr} is scipy.ndimage.{originals[id(value)]} (SciPy's)")
    patched_now = {n: getattr(scipy.ndimage, n) is PATCHED[n] for n in NAMES}
    ok = all(b["convkit"] for b in bindings) and not stale and all(patched_now.values())
    return {"ok": ok, "names": list(NAMES), "bindings": bindings, "stale": stale,
            "still_patched": patched_now, "calls": dict(CALLS)}


_RESULT = {}


def pytest_sessionfinish(session, exitstatus):
    _RESULT.update(verify())
    path = os.environ.get("CONVKIT_NDIMAGE_PATCH_REPORT")
    if path:
        with open(path, "w") as f:
            json.dump(_RESULT, f, indent=1)
    if not _RESULT["ok"]:
        session.exitstatus = 3


def pytest_terminal_summary(terminalreporter):
    r = _RESULT
    if not r:
        return
    tr = terminalreporter
    tr.section("convkit.ndimage in place of scipy.ndimage")
    calls = ", ".join(f"{n}={c}" for n, c in r["calls"].items() if c)
    tr.write_line(f"calls: {calls or 'none'}")
    for b in r["bindings"]:
        tr.write_line(f"{'ok ' if b['convkit'] else 'BAD'} {b['binding']} -> {b['got']}")
    for s in r["stale"]:
        tr.write_line(f"BAD {s}")
    for n, still in r["still_patched"].items():
        if not still:
            tr.write_line(f"BAD scipy.ndimage.{n} was replaced again during the session")
    tr.write_line("patch verified" if r["ok"] else "PATCH NOT VERIFIED (exit status 3)")
