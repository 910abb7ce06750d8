"""Milliseconds per trial to write and read the trial store, against the pickle files it replaced.

Run: ``PYTHONPATH=src .venv/bin/python benchmarks/store_overhead.py [--repeats 5]``.

Two outcomes: a typical catalog trial (21 recorded rows of six metrics, a 2-16-16-1 network's weights)
and a heavy one (the same plus 200 weight snapshots and a 100 x 100 prediction grid, ~0.4 MB). Writes
are timed one trial per transaction (``put``) and a job of 32 per transaction (``put_many``, what the
runner does); reads one at a time (``get``) and 64 per query (``get_many``, what the runner does). The
pickle reference is what ``TrialCache`` did: ``pickle.dumps`` to a temporary file renamed into place,
``pickle.load`` to read. Each number is the median over ``--repeats`` rounds, interleaved.
"""

from __future__ import annotations

import argparse
import os
import pickle
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from atomlab.engine.outcome import Outcome
from atomlab.lab.outdir import atomic_write_bytes
from atomlab.lab.store import TrialStore


def outcome(heavy: bool, seed: int) -> Outcome:
    rng = np.random.default_rng(seed)
    rows = [{"step": s * 50, "epoch": s / 2, "train_loss": float(rng.random()), "test_loss": float(rng.random()),
             "train_acc": float(rng.random()), "test_acc": float(rng.random())} for s in range(21)]
    state = {"W0": rng.normal(size=(2, 16)), "b0": np.zeros(16), "W1": rng.normal(size=(16, 16)),
             "b1": np.zeros(16), "W2": rng.normal(size=(16, 1)), "b2": np.zeros(1)}
    artefacts = {}
    if heavy:
        artefacts = {"snap/W1": rng.normal(size=(200, 16, 16)).astype(np.float32),
                     "snapshot_steps": np.arange(200), "grid": rng.random((100, 100)).astype(np.float32)}
    return Outcome(rows=rows, state={k: v.astype(np.float32) for k, v in state.items()}, artefacts=artefacts,
                   wall_time=0.01, info={"population_size": 32, "device": "cpu", "steps": 1000, "backend": "numpy"})


def bench(heavy: bool, n: int, root: Path, rnd: int) -> dict[str, float]:
    outs = [outcome(heavy, s) for s in range(n)]
    keys = [f"{'h' if heavy else 'l'}{rnd}-{i:04d}" for i in range(n)]
    ms = {}
    store = TrialStore(root / "store")
    t = time.perf_counter()
    for k, o in zip(keys[: n // 2], outs):
        store.put(k, o)
    ms["put (1 per transaction)"] = (time.perf_counter() - t) / (n // 2) * 1e3
    t = time.perf_counter()
    for s in range(n // 2, n, 32):
        store.put_many([(k, o, None) for k, o in zip(keys[s:s + 32], outs[s:s + 32])])
    ms["put_many (32 per transaction)"] = (time.perf_counter() - t) / (n - n // 2) * 1e3
    store.close()
    store = TrialStore(root / "store")
    t = time.perf_counter()
    for k in keys[: n // 2]:
        assert store.get(k) is not None
    ms["get (1 per query)"] = (time.perf_counter() - t) / (n // 2) * 1e3
    t = time.perf_counter()
    for s in range(n // 2, n, 64):
        assert all(v is not None for v in store.get_many(keys[s:s + 64]).values())
    ms["get_many (64 per query)"] = (time.perf_counter() - t) / (n - n // 2) * 1e3
    store.close()
    pkl = root / "pickles"
    t = time.perf_counter()
    for k, o in zip(keys, outs):
        atomic_write_bytes(pkl / k[:2] / f"{k}.pkl", pickle.dumps(o, protocol=pickle.HIGHEST_PROTOCOL))
    ms["pickle file write (before)"] = (time.perf_counter() - t) / n * 1e3
    t = time.perf_counter()
    for k in keys:
        with (pkl / k[:2] / f"{k}.pkl").open("rb") as fh:
            pickle.load(fh)  # noqa: S301 - the reference being replaced, on files written just above
    ms["pickle file read (before)"] = (time.perf_counter() - t) / n * 1e3
    return ms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--trials", type=int, default=256)
    args = parser.parse_args()
    for heavy in (False, True):
        rounds: dict[str, list[float]] = {}
        with tempfile.TemporaryDirectory() as tmp:
            for rnd in range(args.repeats):
                for k, v in bench(heavy, args.trials, Path(tmp), rnd).items():
                    rounds.setdefault(k, []).append(v)
            size = (Path(tmp) / "store" / "store.sqlite").stat().st_size / (args.repeats * args.trials)
        print(f"\n{'heavy' if heavy else 'typical'} trial ({size / 1024:.1f} kB a record in the store), "
              f"ms per trial, median of {args.repeats} [min, max]:")
        for k, v in rounds.items():
            print(f"  {k:<32} {statistics.median(v):7.3f}  [{min(v):.3f}, {max(v):.3f}]")
    print(f"\n(cpu: {os.cpu_count()} cores; other work on the machine affects these numbers)")


if __name__ == "__main__":
    main()
