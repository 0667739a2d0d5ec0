"""SciPy's own test suites, run against convkit's drop-in functions.

Each test starts ``python -m pytest -p convkit_in_scipy <installed SciPy test file>`` in a
subprocess. The plugin (scipy_suites/convkit_in_scipy.py) rebinds the public names of
scipy.signal and scipy.ndimage (and scipy.linalg.convolution_matrix) to convkit's before SciPy's
test modules are imported, so SciPy's own assertions judge convkit; it prints a
"convkit_in_scipy: N names are convkit's (<names>)" line at the end only if the rebinding still
holds, and this harness requires that line, naming the functions a suite is about
(``MUST_REPLACE``; a run that silently tested SciPy's functions would be worthless).

The run is self-contained: rootdir/confcutdir are the installed scipy package, so
scipy/conftest.py supplies the ``xp`` fixture and markers (NumPy backend only: SCIPY_ARRAY_API
is dropped); an ini in tmp carries SciPy's own warning filter (pytest.ini of the SciPy repo:
warnings are errors); no cache, no bytecode, cwd in tmp: nothing is written into site-packages.
"""
import collections
import os
import pathlib
import re
import subprocess
import sys

import pytest

scipy = pytest.importorskip("scipy")
pytest.importorskip("convkit")

PLUGIN_DIR = pathlib.Path(__file__).resolve().parent / "scipy_suites"
SCIPY_DIR = pathlib.Path(scipy.__file__).parent
SIGNAL_TESTS = "signal/tests/test_signaltools.py"
NDIMAGE_TESTS = "ndimage/tests/test_filters.py"
LINALG_TESTS = "linalg/tests/test_special_matrices.py"

INI = """[pytest]
filterwarnings =
    error
    always::scipy._lib._testutils.FPUModeChangeWarning
    # SciPy 1.17's test_filters.py passes a generator to parametrize (deprecated in pytest 9)
    ignore::pytest.PytestRemovedIn10Warning
"""

SUITES = {
    # The classes of test_signaltools.py that test the functions convkit replaces (node ids, not
    # -k: "-k TestConvolve" would also match TestConvolve2d by substring).
    "signal": (SIGNAL_TESTS, [
        "TestConvolve2d", "TestCorrelate2d", "TestFFTConvolve", "TestOAConvolve", "TestConvolve",
        "TestCorrelateReal", "TestCorrelateComplex", "TestAllFreqConvolves"], None),
    # The rest of that file that calls them: correlate's argument checks, choose_conv_method,
    # long-double inputs, correlation_lags (which correlates).
    "signal_other": (SIGNAL_TESTS, [
        "TestCorrelate", "test_choose_conv_method", "test_choose_conv_method_2",
        "test_convolve_longdtype_input", "test_correlation_lags"], None),
    # All of test_filters.py but TestVectorizedFilter (vectorized_filter vs generic_filter, none
    # of convkit's names). Selecting by name ("correlate or gaussian or ...") would miss tests that
    # call the replaced filters under other names: test_extend01-10, test_filter_axes*,
    # test_ticket_701, test_orders_gauss, test_valid_origins*, TestThreading. The min/max/rank/
    # median tests left in are cheap and simply run SciPy.
    "ndimage": (NDIMAGE_TESTS, [], "not TestVectorizedFilter"),
    # test_special_matrices.py's tests of convolution_matrix: the class (error messages, 72
    # matrices against numpy.convolve) and test_batch's convolution_matrix case (N-D batches).
    # The rest of the file tests toeplitz, hankel, ... (none of convkit's names).
    "linalg": (LINALG_TESTS, [
        "TestConvolutionMatrix", "test_batch[convolution_matrix-args2]"], None),
}
# Names the plugin's closing line must list for a suite (the plugin skips a name convkit lacks).
MUST_REPLACE = {"linalg": ["scipy.linalg.convolution_matrix"]}


def run_suite(tmp_path, path, nodes, keyword):
    test_file = SCIPY_DIR / path
    if not test_file.exists():
        pytest.skip(f"SciPy's tests are not installed ({test_file})")
    ini = tmp_path / "pytest.ini"
    ini.write_text(INI)
    env = {k: v for k, v in os.environ.items() if k != "SCIPY_ARRAY_API"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PLUGIN_DIR), env.get("PYTHONPATH")]))
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    args = [f"{test_file}::{n}" for n in nodes] or [str(test_file)]
    cmd = [sys.executable, "-m", "pytest", "-p", "convkit_in_scipy", "-p", "no:cacheprovider",
           "-c", str(ini), "--rootdir", str(SCIPY_DIR), "--confcutdir", str(SCIPY_DIR),
           "-q", "-rfE", "--tb=short", *args] + (["-k", keyword] if keyword else [])
    r = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=3600)
    return r.returncode, r.stdout + r.stderr


@pytest.mark.parametrize("suite", SUITES)
def test_scipy_suite(suite, tmp_path):
    rc, out = run_suite(tmp_path, *SUITES[suite])
    lines = out.splitlines()
    summary = [ln for ln in lines if re.search(r"\d+ (passed|failed|errors?)\b.* in [\d.]+s", ln)]
    counts = {k: int(n) for n, k in re.findall(
        r"(\d+) (passed|failed|errors?|skipped|deselected|xfailed|xpassed)", "".join(summary[-1:]))}
    print(suite, counts)
    assert "names are convkit's" in out, f"plugin not run or its patches undone\n{out[-3000:]}"
    replaced = "".join(ln for ln in lines if "names are convkit's" in ln)
    missing = [n for n in MUST_REPLACE.get(suite, []) if n not in replaced]
    assert not missing, f"not replaced by convkit's: {missing}\n{replaced}"
    bad = [re.sub(r"^\S*?/scipy/", "", ln.split(" - ")[0].split(" ", 1)[1])
           for ln in lines if ln.startswith(("FAILED ", "ERROR "))]
    causes = collections.Counter(ln[1:].strip() for ln in lines  # the exception lines
                                 if re.match(r"E\s+(\w+(Error|Exception|Warning)|Failed):", ln))
    assert rc == 0 and not bad and counts.get("passed"), (
        f"{suite}: {counts}, pytest exit {rc}\n" + "\n".join(bad)
        + "\n\nexceptions (count):\n"
        + "\n".join(f"{n:5d}  {c[:200]}" for c, n in causes.most_common(10))
        + "\n\nlast traceback lines:\n"
        + "\n".join(out.split("short test summary info")[0].splitlines()[-20:-1] + summary[-1:]))
