"""Where a population step spends its time: the PyTorch profiler on a benchmark workload.

    .venv/bin/python benchmarks/profile_population.py --workload W2 --scale 0.4 --threads 1 --shapes

Prints the arithmetic the workload needs, the time it took, the achieved GFLOP/s against the measured
matmul peak, and the profiler's table of operators by self CPU time (docs/benchmarks.md quotes it).
"""

from __future__ import annotations

import argparse
import time

import torch
from torch.profiler import ProfilerActivity, profile

from atomlab.bench import contenders as C
from atomlab.bench import workloads
from atomlab.engine import Member, PopulationTrainer, TrainSpec
from atomlab.nn import MLPSpec


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workload", default="W2", choices=list(workloads.WORKLOADS))
    parser.add_argument("--scale", type=float, default=0.2, help="fraction of the workload's epochs")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--backend", default="auto", choices=("auto", "torch", "numpy"))
    parser.add_argument("--rows", type=int, default=15)
    parser.add_argument("--shapes", action="store_true", help="one row per operator and input shapes")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    task, P = workloads.WORKLOADS[args.workload](args.scale)
    peak = C.matmul_peak_gflops()
    spec = MLPSpec(layers=task.layers, activation=task.activation, init="he_uniform")
    train = TrainSpec(optimizer=task.optimizer, lr=task.lr, batch_size=task.batch_size, epochs=task.epochs,
                      sampling="shuffle", record_every=10**9)
    members = [Member(spec, train, s, task.data) for s in range(P)]
    PopulationTrainer(members[:1], device="cpu", backend=args.backend).run()  # warm-up: allocations, kernels
    with profile(activities=[ProfilerActivity.CPU], record_shapes=args.shapes) as prof:
        start = time.perf_counter()
        PopulationTrainer(members, device="cpu", backend=args.backend).run()
        seconds = time.perf_counter() - start
    gflop = task.flops_per_model() * P / 1e9
    print(f"{args.workload} x{args.scale}: {P} models, {task.steps} steps each, {gflop:.2f} GFLOP of matmuls; "
          f"{seconds:.2f} s under the profiler = {gflop / seconds:.1f} GFLOP/s, {100 * gflop / seconds / peak:.0f}% "
          f"of the measured {peak:.0f} GFLOP/s matmul peak ({args.threads} thread(s))")
    table = prof.key_averages(group_by_input_shape=args.shapes)
    print(table.table(sort_by="self_cpu_time_total", row_limit=args.rows, max_name_column_width=22,
                      max_shapes_column_width=60))


if __name__ == "__main__":
    main()
