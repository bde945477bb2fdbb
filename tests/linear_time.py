"""Linear-time checks: an input built at two sizes 10x apart, the larger may take
at most GROWTH_LIMIT times as long.

Linear work takes about 10x as long, n log n about 13x, quadratic about 100x:
30x separates them with room for a shared machine. Parser shapes are timed in
a fresh interpreter (``fresh_growth``): after hundreds of tests the heap is
fragmented, and an input that makes tens of thousands of objects ran 3-4x
slower per object there (its objects scattered, out of the cache) while the
small input did not feel it, so the ratio measured the test process, not the
parser.

Run as a script by ``fresh_growth``: ``linear_time.py MODULE SHAPES NAME SMALL``
times ``MODULE.parse`` on ``MODULE.SHAPES[NAME]`` of sizes SMALL and 10 x SMALL.
"""

import gc
import importlib
import os
import subprocess
import sys
import time
from pathlib import Path

GROWTH = 10
GROWTH_LIMIT = 30
TESTS = Path(__file__).resolve().parent


def best_seconds(run, arg, *, runs, at_least=0.0):
    """CPU seconds of the fastest of ``runs`` calls (more while under ``at_least``
    in all), the collector paused: a full collection is noise, not the code."""
    times = []
    gc.collect()
    gc.disable()
    try:
        started = time.process_time()
        while len(times) < runs or time.process_time() - started < at_least:
            begin = time.process_time()
            run(arg)
            times.append(time.process_time() - begin)
    finally:
        gc.enable()
    return min(times)


def growth(run, small, large):
    """How many times longer ``run(large)`` takes than ``run(small)``: measured up to
    three times (another process may have taken the core), the lowest kept."""
    run(small)
    run(large)  # first-use costs (regex and stop-word caches) out of the timing
    ratio = float("inf")
    for _ in range(3):
        small_time = best_seconds(run, small, runs=5, at_least=0.1)
        large_time = best_seconds(run, large, runs=3)
        ratio = min(ratio, large_time / max(small_time, 1e-4))
        if ratio <= GROWTH_LIMIT:
            break
    return ratio


def fresh_growth(module, shapes, name, small):
    """``growth`` of ``module.parse`` on shape ``name`` of ``module.shapes``, in a new
    interpreter (see the module's docstring)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS.parent), str(TESTS)])}
    done = subprocess.run(
        [sys.executable, __file__, module, shapes, name, str(small)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return float(done.stdout.split()[-1])


if __name__ == "__main__":
    module_name, shapes_name, shape_name, small_size = sys.argv[1:]
    module = importlib.import_module(module_name)
    build = getattr(module, shapes_name)[shape_name]
    small_size = int(small_size)
    print(growth(module.parse, build(small_size), build(small_size * GROWTH)))
