"""Where BLAS overtakes the compiled kernels: synthetic populations around ``MAX_STEP_MACS``.

    NUMBA_NUM_THREADS=1 OMP_NUM_THREADS=1 .venv/bin/python benchmarks/kernel_crossover.py

Each size trains twice, in interleaved rounds (``profile_kernel_tier.py``'s part 3, with the tier's
size limit lifted): on the kernels and on the path ``auto`` takes otherwise. Adam 2-w-w-2 MLPs on
moons at batch b, 120 members of six activations (activation-functions' mix: autograd) and 40 of one
(the NumPy fast path); SGD 2-w-w-w-w-2 nets at batch b (or full batch), 40 members of one activation and
40 of two. :data:`atomlab.engine.compiled.MAX_STEP_MACS` is set from these ratios.
"""

from __future__ import annotations

import argparse

import torch
from profile_kernel_tier import against_todays_path

from atomlab.data import make_dataset
from atomlab.engine import Member, TrainSpec
from atomlab.nn import MLPSpec

#: (layers, batch or None for full batch, optimiser): the sizes measured.
SIZES = [((30, 30), 64, "adam"), ((30, 30), 256, "adam"), ((45, 45), 128, "adam"), ((60, 60), 64, "adam"),
         ((10, 10, 10, 10), None, "sgd"), ((20, 20, 20, 20), 256, "sgd"), ((40, 40, 40, 40), 100, "sgd")]
ACTIVATIONS = ("relu", "tanh", "square", "sin", "sign", "identity")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(1)
    data = make_dataset("moons", random_state=0, n_train=1000, n_test=200, noise=0.2)
    for layers, batch, optimizer in SIZES:
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


if __name__ == "__main__":
    main()
