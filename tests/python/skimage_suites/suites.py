"""Runs scikit-image's own filter, deconvolution and integral-image tests once plain (SciPy,
skimage) and once with convkit in their place (convkit_ndimage_plugin: convkit.ndimage for
scipy.ndimage; convkit_restoration_plugin: convkit.restoration for skimage.restoration's wiener,
unsupervised_wiener, richardson_lucy and uft; convkit_integral_plugin: convkit.integral_image and
convkit.integrate for skimage.transform's), and compares the failing node ids. Both runs load
convkit_restoration_plugin's offline reference data for test_restoration.py (the plain run with
CONVKIT_RESTORATION_PATCH=0: no patch).

scikit-image's wheels up to 0.25.x ship their tests inside the package (skimage/*/tests); the
0.26.0 wheel ships none. requirements-dev.txt pins scikit-image==0.25.2 for this.

Command line (from the repository root)::

    .venv/bin/python tests/python/skimage_suites/suites.py            # all SUITES
    .venv/bin/python tests/python/skimage_suites/suites.py ridges     # some of them

prints per file the passed/failed counts of both runs and every test that fails only with convkit
(with the crash line of its traceback); exit status 1 if there is one. tests/python/
test_skimage_suites.py asserts the same thing under pytest.
"""

import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent

# scikit-image test files (relative to the installed package) for the filters that call
# scipy.ndimage: gaussian/difference_of_gaussians (_shared.filters -> ndi.gaussian_filter),
# sobel/prewitt/scharr/farid/roberts/laplace (edges -> ndi.convolve, convolve), meijering/sato/
# frangi/hessian (feature.corner.hessian_matrix -> ndi.gaussian_filter with orders),
# unsharp_mask (gaussian), correlate_sparse (checked against ndi.correlate); and skimage's
# deconvolution tests (wiener, unsupervised_wiener, richardson_lucy) for convkit.restoration;
# and skimage.transform's integral_image / integrate tests for convkit's.
SUITES = {
    "gaussian": "filters/tests/test_gaussian.py",
    "edges": "filters/tests/test_edges.py",
    "ridges": "filters/tests/test_ridges.py",
    "unsharp_mask": "filters/tests/test_unsharp_mask.py",
    "correlate": "filters/tests/test_correlate.py",
    "restoration": "restoration/tests/test_restoration.py",
    "integral": "transform/tests/test_integral.py",
}
# Tests that would download data (skimage.data fetchers through pooch): none of SUITES does in
# 0.25.2 (coins, camera, retina, astronaut and binary_blobs are in the wheel; test_restoration's
# reference .npy files come from convkit_restoration_plugin); deselect any here by node id.
DESELECT = []

# The convkit run's plugins: {name: (pytest plugin module, env var naming its JSON report)}.
# convkit_restoration_plugin is loaded in the plain run too, for its reference data only.
PLUGINS = {
    "ndimage": ("convkit_ndimage_plugin", "CONVKIT_NDIMAGE_PATCH_REPORT"),
    "restoration": ("convkit_restoration_plugin", "CONVKIT_RESTORATION_PATCH_REPORT"),
    "integral": ("convkit_integral_plugin", "CONVKIT_INTEGRAL_PATCH_REPORT"),
}

FAILING = ("failed", "error")


def skimage_root():
    """The installed skimage package directory, or None."""
    try:
        import skimage
    except ImportError:
        return None
    return pathlib.Path(skimage.__file__).resolve().parent


def suite_paths(root, names=None):
    """{suite name: test file} for the suites present in the installed package."""
    return {n: root / SUITES[n] for n in (names or SUITES) if (root / SUITES[n]).exists()}


def run_session(files, convkit, python=sys.executable, timeout=1800):
    """Runs pytest on `files` in a subprocess; with convkit=True, with the PLUGINS' patches.

    Returns {"outcomes", "messages", "exitstatus", "patch" ({plugin name: its verification,
    None if it wrote none (plain runs)}), "returncode", "seconds", "stdout_tail"}."""
    files = [pathlib.Path(f) for f in files]
    site = skimage_root().parent  # node ids: skimage/filters/tests/test_x.py::test_y
    with tempfile.TemporaryDirectory(prefix="skimage_suites_") as tmp:
        tmp = pathlib.Path(tmp)
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(HERE), env.get("PYTHONPATH")]))
        env["SKIMAGE_SUITES_OUTCOMES"] = str(tmp / "outcomes.json")
        for name, (_, report) in PLUGINS.items():
            env[report] = str(tmp / f"patch_{name}.json")
        env["CONVKIT_RESTORATION_PATCH"] = "1" if convkit else "0"
        env.pop("PYTEST_ADDOPTS", None)
        cmd = [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "outcome_recorder"]
        if convkit:  # the ndimage one first: it must see skimage unimported
            cmd += ["-p", PLUGINS["ndimage"][0], "-p", PLUGINS["integral"][0]]
        cmd += ["-p", PLUGINS["restoration"][0]]  # after the ndimage one: it imports skimage
        # No ini file (nothing of this repository's or the user's pytest configuration), node ids
        # relative to site-packages, skimage/conftest.py loaded as in scikit-image's own runs.
        cmd += ["-c", os.devnull, "--rootdir", str(site), "--confcutdir", str(site)]
        cmd += [f"--deselect={d}" for d in DESELECT]
        cmd += [str(f) for f in files]
        start = time.monotonic()
        proc = subprocess.run(cmd, cwd=tmp, env=env, capture_output=True, text=True,
                              timeout=timeout)
        seconds = time.monotonic() - start
        out = proc.stdout + proc.stderr
        try:
            result = json.loads((tmp / "outcomes.json").read_text())
        except FileNotFoundError:
            raise RuntimeError(f"pytest wrote no outcomes (rc {proc.returncode}):\n"
                               f"{' '.join(cmd)}\n{out[-4000:]}") from None
        result["patch"] = {}
        for name in PLUGINS:
            patch = tmp / f"patch_{name}.json"
            result["patch"][name] = json.loads(patch.read_text()) if patch.exists() else None
    result.update(returncode=proc.returncode, seconds=seconds, stdout_tail=out[-4000:])
    return result


def file_of(nodeid):
    return nodeid.split("::", 1)[0]


def counts(outcomes, path):
    """{outcome: count} of the nodes of test file `path` (a node id prefix)."""
    c = {}
    for node, outcome in outcomes.items():
        if file_of(node) == path:
            c[outcome] = c.get(outcome, 0) + 1
    return c


def regressions(scipy_run, convkit_run):
    """Node ids failing (or erroring) with convkit that do not fail on SciPy, plus nodes of the
    SciPy run missing from the convkit run (their file did not collect).
    -> {nodeid: message} (outcome_recorder's {"crash", "trace", "tail"})."""
    failing_scipy = {n for n, o in scipy_run["outcomes"].items() if o in FAILING}
    new = {}
    for node, outcome in convkit_run["outcomes"].items():
        if outcome in FAILING and node not in failing_scipy:
            new[node] = convkit_run["messages"].get(
                node, {"crash": outcome, "trace": [], "tail": ""})
    for node in scipy_run["outcomes"].keys() - convkit_run["outcomes"].keys():
        owner = next((n for n in convkit_run["outcomes"] if node.startswith(n + "::")
                      or n == file_of(node)), None)
        crash = f"not run with convkit (collection error in {owner})" if owner else \
            "not run with convkit"
        new.setdefault(node, {"crash": crash, "trace": [], "tail": ""})
    return new


def crash_line(message):
    """'test_x.py:12: ExcType: first line' of a regressions() message."""
    where = message["trace"][0] if message["trace"] else ""
    return f"{where}: {message['crash']}" if where else message["crash"]


def describe(failures, tail_lines=10):
    """Text grouping {nodeid: message} by exception (first line of the crash message): each
    group's node ids with the test line that failed, and the traceback tail of its first one."""
    groups = {}
    for node, message in sorted(failures.items()):
        groups.setdefault(message["crash"], []).append((node, message))
    lines = []
    for crash, members in groups.items():
        lines.append(f"[{len(members)}] {crash[:400]}")
        for node, message in members:
            where = ", ".join(dict.fromkeys(message["trace"][:1] + message["trace"][-1:])) or "-"
            lines.append(f"    {node}  ({where})")
        tail = members[0][1]["tail"].splitlines()[-tail_lines:]
        lines += ["      | " + line for line in tail]
    return "\n".join(lines)


def main(argv):
    root = skimage_root()
    if root is None:
        print("scikit-image is not installed (pip install scikit-image==0.25.2)")
        return 2
    paths = suite_paths(root, argv or None)
    if not paths:
        print(f"{root}: no test files (scikit-image wheels after 0.25.x ship no tests)")
        return 2
    runs = {"scipy": run_session(paths.values(), convkit=False),
            "convkit": run_session(paths.values(), convkit=True)}
    site = root.parent
    print(f"{'suite':14} {'file':44} {'SciPy pass/fail':>16} {'convkit pass/fail':>18}")
    for name, path in paths.items():
        rel = path.relative_to(site).as_posix()
        row = []
        for run in runs.values():
            c = counts(run["outcomes"], rel)
            other = sum(v for k, v in c.items() if k not in ("passed", "failed", "error"))
            row.append(f"{c.get('passed', 0)}/{c.get('failed', 0) + c.get('error', 0)}"
                       + (f" (+{other} other)" if other else ""))
        print(f"{name:14} {rel:44} {row[0]:>16} {row[1]:>18}")
    print(f"time: SciPy {runs['scipy']['seconds']:.1f} s, convkit {runs['convkit']['seconds']:.1f} s")
    verified = True
    for name, patch in runs["convkit"]["patch"].items():
        verified = verified and bool(patch and patch["ok"])
        print(f"{name} patch:", "verified" if patch and patch["ok"] else f"NOT VERIFIED {patch}")
        if patch:
            print("  convkit calls:", ", ".join(f"{n}={c}" for n, c in patch["calls"].items() if c))
    new = regressions(runs["scipy"], runs["convkit"])
    print(f"{len(new)} tests fail only with convkit")
    if new:
        print(describe(new))
    return 1 if new or not verified else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
