"""How long the compiled kernel tier takes to be ready: from an empty numba cache, and from a warm one.

Each measurement is a fresh Python process (so nothing is compiled or imported beforehand) that imports
atomlab and trains one tiny population on the tier; the time reported is that process's wall time from
start to end, the import of torch and atomlab included, since a user pays all of it. The first process
compiles into an empty ``NUMBA_CACHE_DIR``; the second finds the cache written by the first. A third
process without the kernel tier (``backend="numpy"``) gives the part that is not the tier's.

    .venv/bin/python benchmarks/compile_time.py            # float32 and float64, 2 repeats each

Prints one line per measurement and a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

CHILD = """
import sys
from atomlab.engine import TrainSpec
from atomlab.engine.population import Member, PopulationTrainer
from atomlab.lab.data import materialize
from atomlab.lab.trial import DataSpec
from atomlab.nn import MLPSpec
dtype, backend = sys.argv[1], sys.argv[2]
data = materialize(DataSpec("moons", {"n_train": 40, "n_test": 20}))
members = [Member(MLPSpec(layers=(4,), activation="tanh"), TrainSpec(steps=5, lr=0.1, dtype=dtype), s, data)
           for s in range(2)]
out = PopulationTrainer(members, backend=backend).run()
assert out[0].info["backend"] == backend, out[0].info
"""


def seconds(dtype: str, backend: str, cache: str) -> float:
    """Wall time of one fresh process that trains a tiny population with ``backend``."""
    env = {**os.environ, "NUMBA_CACHE_DIR": cache}
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", CHILD, dtype, backend], env=env, check=True)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args(argv)
    rows = []
    for dtype in ("float32", "float64"):
        for r in range(args.repeats):
            with tempfile.TemporaryDirectory() as cache:
                cold = seconds(dtype, "kernel", cache)
                warm = seconds(dtype, "kernel", cache)
                plain = seconds(dtype, "numpy", cache)
            print(f"{dtype} repeat {r + 1}: empty cache {cold:.1f} s, warm cache {warm:.1f} s, "
                  f"without the tier {plain:.1f} s", flush=True)
            rows.append((dtype, cold, warm, plain))
    print("\n| dtype | empty cache (s) | warm cache (s) | without the tier (s) |\n| --- | --- | --- | --- |")
    for dtype, cold, warm, plain in rows:
        print(f"| {dtype} | {cold:.1f} | {warm:.1f} | {plain:.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
