"""Trials per second of one catalog sweep: in one process, on local worker processes, on a Dask LocalCluster.

    PYTHONPATH=src .venv/bin/python benchmarks/cluster_throughput.py activation-surfaces --scale smoke

Each executor trains the whole sweep from scratch (no store), in turn, ``--repeats`` times (the in-process
one with one intra-op thread, as each worker process has); the median
wall time of training (``run_trials``, not the figures) gives trials/s. The Dask cluster is started once,
before the timed runs (as a cluster is, before a user's sweeps), with one thread per worker process.
The outcomes of every executor are checked equal to the in-process ones. Results go to docs/cluster.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

import numpy as np

import atomlab
from atomlab.lab import runner
from atomlab.lab.store import TrialStore


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("experiment")
    parser.add_argument("--scale", default="smoke")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    import distributed

    from atomlab.engine.threads import set_threads

    set_threads(1)  # as every worker process runs: one intra-op thread (docs/benchmarks.md)
    exp = atomlab.get_experiment(args.experiment)
    trials = exp.plan(exp.config(args.scale))
    reference = None
    results = {}
    with distributed.LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        client.run(lambda: None)  # workers up before timing
        contenders = {
            "in-process (workers=1)": {"workers": 1},
            f"local worker processes (workers={args.workers})": {"workers": args.workers},
            f"Dask LocalCluster ({args.workers} worker processes)": {"executor": client},
        }
        for _ in range(args.repeats):
            for name, kwargs in contenders.items():
                start = time.perf_counter()
                outcomes, trained = runner.run_trials(trials, store=TrialStore(enabled=False), **kwargs)
                seconds = time.perf_counter() - start
                assert trained == len(trials)
                finals = [o.final for o in outcomes]
                if reference is None:
                    reference = finals
                same = all(np.allclose(list(a.values()), list(b.values()), equal_nan=True, rtol=0, atol=0)
                           for a, b in zip(reference, finals) if a.keys() == b.keys())
                results.setdefault(name, []).append((seconds, same))
    report = {"experiment": args.experiment, "scale": args.scale, "trials": len(trials),
              "cores": os.cpu_count(), "repeats": args.repeats,
              "contenders": {name: {"median_s": round(statistics.median(s for s, _ in runs), 2),
                                    "trials_per_s": round(len(trials) / statistics.median(s for s, _ in runs), 2),
                                    "equal_to_in_process": all(same for _, same in runs)}
                             for name, runs in results.items()}}
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
