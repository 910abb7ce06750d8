"""Where BLAS overtakes the compiled kernels: synthetic populations around ``MAX_STEP_MACS``.

    NUMBA_NUM_THREADS=1 OMP_NUM_THREADS=1 .venv/bin/python benchmarks/kernel_crossover.py

Each size trains twice, in interleaved rounds (``profile_kernel_tier.py``'s part 3, with the tier's
size limit lifted): on the kernels and on the path ``auto`` takes otherwise. Adam 2-w-w-2 MLPs on
moons at batch b, 120 members of six activations (activation-functions' mix: autograd) and 40 of one
(the NumPy fast path); SGD 2-w-w-w-w-2 nets at batch b (or full batch), 40 members of one activation and
40 of two. :data:`atomlab.engine.compiled.MAX_STEP_MACS` is set from these ratios.

With ``--entry NAME`` it measures a catalog entry's own populations instead (``--scale``, ``--steps`` steps
each, two records, no grid), which is how :data:`~atomlab.engine.compiled.NARROW_MATRIX` was set:

    NUMBA_NUM_THREADS=1 OMP_NUM_THREADS=1 .venv/bin/python benchmarks/kernel_crossover.py \\
        --entry width-surfaces --scale paper --steps 60
"""

from __future__ import annotations

import argparse
import dataclasses

import torch
from profile_kernel_tier import against_todays_path

from atomlab.bench.catalog_bench import catalog_trials
from atomlab.data import make_dataset
from atomlab.engine import Member, TrainSpec, compiled
from atomlab.engine.population import population_key
from atomlab.lab.data import materialize
from atomlab.nn import MLPSpec, PopulationMLP

#: (layers, batch or None for full batch, optimiser): the sizes measured.
SIZES = [((30, 30), 64, "adam"), ((30, 30), 256, "adam"), ((45, 45), 128, "adam"), ((60, 60), 64, "adam"),
         ((10, 10, 10, 10), None, "sgd"), ((20, 20, 20, 20), 256, "sgd"), ((40, 40, 40, 40), 100, "sgd")]
#: Narrow layers on full batches of 1,000, above ``MAX_STEP_MACS``: where ``NARROW_MATRIX`` comes from.
NARROW_SIZES = [((16, 16, 16, 16), None, "sgd"), ((20, 20, 20, 20), None, "sgd"), ((10,) * 8, None, "sgd")]
ACTIVATIONS = ("relu", "tanh", "square", "sin", "sign", "identity")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--entry", help="measure this catalog entry's populations instead of the synthetic sizes")
    parser.add_argument("--narrow", action="store_true", help="only the narrow sizes above MAX_STEP_MACS")
    parser.add_argument("--scale", default="paper", help="the entry's scale (with --entry)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    if args.entry:
        entry_populations(args.entry, args.scale, args.steps, args.rounds)
        return
    data = make_dataset("moons", random_state=0, n_train=1000, n_test=200, noise=0.2)
    for layers, batch, optimizer in (NARROW_SIZES if args.narrow else SIZES + NARROW_SIZES):
        train = TrainSpec(optimizer=optimizer, lr=0.01, batch_size=batch, steps=args.steps, sampling="random",
                          loss="cross_entropy", record_every=max(1, args.steps // 4))
        mixed = ACTIVATIONS if optimizer == "adam" else ("relu", "tanh")
        per = 120 // len(mixed) if optimizer == "adam" else 20
        pops = [[Member(MLPSpec(layers=layers, activation=a, init="xavier"), train, s, data)
                 for a in mixed for s in range(per)],
                [Member(MLPSpec(layers=layers, activation="relu", init="xavier"), train, s, data) for s in range(40)]]
        dims = [data.input_dim, *layers, data.output_dim]
        rows = batch or data.n_train
        macs = rows * sum(a * b for a, b in zip(dims, dims[1:]))
        print(f"{'-'.join(map(str, dims))} {optimizer} at {rows} rows: {macs:,} multiply-adds per member and step",
              flush=True)
        against_todays_path(pops, args.rounds)


def entry_populations(name: str, scale: str, steps: int, rounds: int) -> None:
    """Each population of catalog entry ``name``, ``steps`` steps long, on the kernels and on today's path."""
    groups: dict[tuple, list[Member]] = {}
    for t in catalog_trials(name, scale):
        train = dataclasses.replace(t.train, steps=steps, epochs=None, record_every=steps, grid=None)
        member = Member(t.model, train, t.seed, materialize(t.data))
        groups.setdefault(population_key(member), []).append(member)
    for members in groups.values():
        data, model = members[0].data, members[0].model
        dims = [data.input_dim, *model.layers, data.output_dim]
        rows = data.n_train if members[0].train.full_batch(data.n_train) else members[0].train.batch_size
        macs = rows * sum(a * b for a, b in zip(dims, dims[1:]))
        label = (f"{name} ({scale}): {'-'.join(map(str, dims))} at {rows} rows, {macs:,} multiply-adds per member "
                 "and step")
        net = PopulationMLP([m.model for m in members], [m.seed for m in members], data.input_dim, data.output_dim)
        why = compiled.unsupported(net, members[0].train, [m.train.loss for m in members], data.task)
        if why is not None:
            print(f"{label}: not on the tier whatever its size ({why})")
            continue
        print(label, flush=True)
        against_todays_path([members], rounds)


if __name__ == "__main__":
    main()
