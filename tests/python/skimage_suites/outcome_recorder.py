"""pytest plugin: writes each test's outcome (and collection errors) as JSON.

Load with ``-p outcome_recorder`` and set SKIMAGE_SUITES_OUTCOMES to the output file. The JSON is
``{"outcomes": {nodeid: outcome}, "messages": {nodeid: message}, "exitstatus": int}`` with outcome
one of passed, failed, error (setup/teardown or collection), skipped, xfailed, xpassed. Each failed
or errored node has a message ``{"crash": first line of the exception, "trace": ["file:line", ...]
(the traceback entries, the test's own line first), "tail": the last lines of the traceback}``.
"""

import json
import os

_OUTCOMES = {}
_MESSAGES = {}
_TAIL_LINES = 25


def _excerpt(report):
    text = getattr(report, "longreprtext", "") or str(report.longrepr or "")
    lines = text.rstrip().splitlines()
    crash = getattr(getattr(report.longrepr, "reprcrash", None), "message", None)
    trace = []
    for entry in getattr(getattr(report.longrepr, "reprtraceback", None), "reprentries", []):
        loc = getattr(entry, "reprfileloc", None)
        if loc is not None:
            trace.append(f"{os.path.basename(loc.path)}:{loc.lineno}")
    first = [ln.strip() for ln in (crash or (lines[-1] if lines else "")).splitlines() if ln.strip()]
    if len(first) > 1 and first[0].rstrip(": ") == "AssertionError":  # numpy.testing's messages
        first = [f"AssertionError: {first[1]}"]
    return {"crash": first[0] if first else "", "trace": trace,
            "tail": "\n".join(lines[-_TAIL_LINES:])}


def pytest_runtest_logreport(report):
    node = report.nodeid
    if report.when == "call":
        if hasattr(report, "wasxfail"):
            outcome = "xfailed" if report.skipped else "xpassed"
        else:
            outcome = report.outcome
        if _OUTCOMES.get(node) != "error":
            _OUTCOMES[node] = outcome
    elif report.failed:  # setup or teardown error
        _OUTCOMES[node] = "error"
    elif report.when == "setup" and report.skipped:
        _OUTCOMES[node] = "xfailed" if hasattr(report, "wasxfail") else "skipped"
    else:
        _OUTCOMES.setdefault(node, None)
    if report.failed and node not in _MESSAGES:
        _MESSAGES[node] = _excerpt(report)


def pytest_collectreport(report):
    if report.failed:
        _OUTCOMES[report.nodeid] = "error"
        _MESSAGES[report.nodeid] = _excerpt(report)


def pytest_sessionfinish(session, exitstatus):
    path = os.environ.get("SKIMAGE_SUITES_OUTCOMES")
    if path:
        with open(path, "w") as f:
            json.dump({"outcomes": _OUTCOMES, "messages": _MESSAGES, "exitstatus": int(exitstatus)},
                      f, indent=1)
