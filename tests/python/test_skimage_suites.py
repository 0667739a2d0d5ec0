"""scikit-image's own tests of its scipy.ndimage-based filters (gaussian, difference_of_gaussians,
sobel/prewitt/scharr/farid/roberts/laplace, meijering/sato/frangi/hessian, unsharp_mask,
correlate_sparse) must pass with convkit.ndimage in scipy.ndimage's place wherever they pass on
SciPy, its deconvolution tests (wiener, unsupervised_wiener, richardson_lucy) with
convkit.restoration in skimage.restoration's place wherever they pass on skimage, and its
integral-image tests (transform/tests/test_integral.py) with convkit.integral_image /
convkit.integrate in skimage.transform's place.

The installed skimage test files (scikit-image==0.25.2 from requirements-dev.txt; its wheel ships
them) run in two pytest subprocesses, once plain and once with skimage_suites/
convkit_ndimage_plugin.py, convkit_integral_plugin.py and convkit_restoration_plugin.py (which
also makes test_restoration's reference arrays offline, in both runs); the failing node ids of
the convkit run must be a subset of those of the plain run. Skipped when scikit-image, or its
test files, are not installed. About a minute (both runs, all files);
tests/python/skimage_suites/suites.py prints the same comparison as a table.
"""

import pytest

from skimage_suites import suites

ROOT = suites.skimage_root()
PATHS = suites.suite_paths(ROOT) if ROOT is not None else {}

pytestmark = pytest.mark.skipif(
    not PATHS,
    reason="scikit-image is not installed" if ROOT is None else
    f"{ROOT} has no test files (scikit-image wheels after 0.25.x ship none): "
    "requirements-dev.txt pins scikit-image==0.25.2")


@pytest.fixture(scope="module")
def runs():
    """Both sessions over every suite file at once (one skimage import per run)."""
    return {"scipy": suites.run_session(PATHS.values(), convkit=False),
            "convkit": suites.run_session(PATHS.values(), convkit=True)}


def _relative(path):
    return path.relative_to(ROOT.parent).as_posix()


# Per plugin: the convkit functions that the suites must have called.
WANTED_CALLS = {
    "ndimage": {"gaussian_filter", "convolve", "correlate"},
    "restoration": {"wiener", "unsupervised_wiener", "richardson_lucy", "uft.ir2tf",
                    "uft.laplacian"},
    "integral": {"integral_image", "integrate"},
}


@pytest.mark.parametrize("plugin", list(suites.PLUGINS))
def test_patch_reaches_skimage(runs, plugin):
    """The plugin's own end-of-session check: skimage's bindings are convkit's, no module kept
    SciPy's (skimage's) function, and the functions under test did call convkit."""
    patch = runs["convkit"]["patch"][plugin]
    assert patch is not None, runs["convkit"]["stdout_tail"]
    assert patch["ok"], patch
    called = {n for n, c in patch["calls"].items() if c}
    wanted = WANTED_CALLS[plugin]
    assert wanted <= called, f"not called: {wanted - called}; calls {patch['calls']}"
    assert runs["scipy"]["patch"][plugin] is None  # the reference run is plain SciPy/skimage


@pytest.mark.parametrize("suite", list(suites.SUITES))
def test_suite_fails_only_where_scipy_does(runs, suite):
    if suite not in PATHS:
        pytest.skip(f"{suites.SUITES[suite]} is not in the installed scikit-image")
    path = _relative(PATHS[suite])
    scipy_counts = suites.counts(runs["scipy"]["outcomes"], path)
    assert sum(scipy_counts.values()) > 0, (
        f"{path}: nothing ran on SciPy\n{runs['scipy']['stdout_tail']}")
    new = {n: m for n, m in suites.regressions(runs["scipy"], runs["convkit"]).items()
           if suites.file_of(n) == path}
    convkit_counts = suites.counts(runs["convkit"]["outcomes"], path)
    if new:
        pytest.fail(
            f"{len(new)} tests of {path} fail only with convkit in place of SciPy/skimage "
            f"(plain {scipy_counts}, convkit {convkit_counts}):\n{suites.describe(new)}",
            pytrace=False)
