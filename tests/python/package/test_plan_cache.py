"""The plan cache from Python: repeated calls hit, arrays changed in place are seen (the cache
keys by contents, never by address), the capacity bounds it and 0 turns it off, and the
CONVKIT_PLAN_CACHE environment variable sets the starting capacity."""
import os
import subprocess
import sys

import numpy as np
import pytest

import convkit
import convkit.cv as cv
import convkit.nn as nn
import convkit.signal as signal


@pytest.fixture(autouse=True)
def fresh_cache():
    convkit.set_plan_cache_capacity(128)
    convkit.clear_plan_cache()
    yield
    convkit.set_plan_cache_capacity(128)


def test_repeated_calls_hit():
    img = np.random.default_rng(0).random((32, 32), dtype=np.float32)
    k = np.ones((3, 3), np.float32) / 9
    for _ in range(5):
        cv.filter2D(img, -1, k)
    info = convkit.plan_cache_info()
    assert info["misses"] == 1 and info["hits"] == 4 and info["size"] == 1
    assert set(info) == {"hits", "misses", "size", "capacity", "bytes", "byte_budget"}


@pytest.mark.parametrize("call", ["filter2D", "convolve2d", "conv2d"])
def test_weights_changed_in_place_are_seen(call):
    rng = np.random.default_rng(1)
    if call == "conv2d":
        x = rng.standard_normal((1, 64, 8, 8)).astype(np.float32)
        w = rng.standard_normal((64, 64, 3, 3)).astype(np.float32)  # 147 KB: keyed by digest
        run = lambda: nn.conv2d(x, w, padding=1)  # noqa: E731
    else:
        img = rng.random((20, 20))
        w = rng.random((5, 5))
        run = (lambda: cv.filter2D(img, -1, w)) if call == "filter2D" else \
            (lambda: signal.convolve2d(img, w, mode="same"))
    before, saved = run(), w.copy()
    w[-1, ..., -1] += 1.0  # same array, same address, new contents
    after = run()
    assert not np.array_equal(before, after)
    w[...] = saved
    np.testing.assert_array_equal(run(), before)  # and back: the first plan again
    assert convkit.plan_cache_info()["misses"] == 2


def test_capacity_bounds_and_zero_turns_off():
    img = np.ones((16, 16), np.float32)
    convkit.set_plan_cache_capacity(2)
    for v in (1, 2, 3):
        cv.filter2D(img, -1, np.full((1, 1), v, np.float32))
    assert convkit.plan_cache_info()["size"] == 2
    convkit.set_plan_cache_capacity(0)
    assert convkit.plan_cache_info()["size"] == 0
    assert cv.filter2D(img, -1, np.full((1, 1), 4, np.float32))[0, 0] == 4
    assert convkit.plan_cache_info()["size"] == 0
    with pytest.raises(ValueError, match="capacity"):
        convkit.set_plan_cache_capacity(-1)


def test_environment_sets_the_capacity():
    code = "import convkit; print(convkit.plan_cache_info()['capacity'])"
    env = dict(os.environ, CONVKIT_PLAN_CACHE="7")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "7"
