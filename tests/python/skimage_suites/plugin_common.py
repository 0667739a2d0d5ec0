"""What the plugins that put convkit in skimage's place share: finding test modules that still
hold skimage's own function, and ending the session with a report (exit status 3 when the
swap did not hold)."""
import json
import os
import sys
import types


def stale_bindings(original, own_module):
    """'module.attr is skimage's name' for every test module attribute that is still one of the
    `original` functions ({name: function}). skimage's and convkit's own internals are left
    out: only the tests must see convkit's."""
    by_id = {id(v): k for k, v in original.items()}
    stale = []
    for modname, module in list(sys.modules.items()):
        if not isinstance(module, types.ModuleType) or modname == own_module or (
                modname.split(".")[0] in ("skimage", "convkit") and ".tests." not in modname):
            continue
        for attr, value in list(getattr(module, "__dict__", {}).items()):
            if id(value) in by_id and value is original[by_id[id(value)]]:
                stale.append(f"{modname}.{attr} is skimage's {by_id[id(value)]}")
    return stale


def finish(session, result, report_env):
    """Writes `result` to the file named by the environment variable `report_env` (if set) and
    fails the session (exit status 3) unless result['ok']."""
    path = os.environ.get(report_env)
    if path:
        with open(path, "w") as f:
            json.dump(result, f, indent=1)
    if not result["ok"]:
        session.exitstatus = 3
