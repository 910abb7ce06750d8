"""Where a catalog entry's time goes on the compiled kernel tier: per population, and inside a step.

    NUMBA_NUM_THREADS=1 OMP_NUM_THREADS=1 .venv/bin/python benchmarks/profile_kernel_tier.py \\
        universal-approximation --scale paper --fraction 0.2

Part 1 trains every population of the entry with :class:`~atomlab.engine.PopulationTrainer` (one
process, the kernels compiled beforehand) and splits each one's wall time into the kernel calls
(``train_steps``), the evaluations at record points, writing the weights back, the prediction grid and
the rest (building the population, Python between calls). ``--fraction`` shortens training (steps and
the record interval alike, so the number of record points stays the same).

Part 2 times one population's kernel with each part of a step left out in turn (forward products,
activation, loss, backward products, activation derivative, optimiser update): a copy of
``atomlab/engine/_kernels.py`` in which every such call is guarded by a run-time flag. The parts are
measured inside the kernel because alone they compile differently (literal sizes and offsets) and run
at a different speed; a part's cost is how much the step gets faster without it.

With ``--against-todays-path``, part 3 trains each population on the kernels and on the path ``auto``
would otherwise take (``backend="numpy"``: the NumPy fast path where it applies, else autograd), with
the tier's size limit (:data:`~atomlab.engine.compiled.MAX_STEP_MACS`) lifted, in interleaved rounds:
where the limit should lie.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import re
import sys
import tempfile
import time
import types
from pathlib import Path

import numpy as np
import torch

from atomlab.bench.catalog_bench import catalog_trials
from atomlab.engine import compiled
from atomlab.engine.population import Member, PopulationTrainer, _Data, population_key
from atomlab.lab.data import materialize
from atomlab.nn.population import PopulationMLP

#: Calls of ``train_steps`` that part 2 can leave out, and the flag bit of each.
PARTS = {"_dense": 1, "_activate": 2, "_output_loss": 4, "_dense_backward": 8, "_activate_backward": 16,
         "_update": 32}
LABELS = {1: "dense products, forward", 2: "activation", 4: "loss and its gradient",
          8: "dense products, backward", 16: "activation derivative", 32: "optimiser update"}


def populations(name: str, scale: str, fraction: float) -> list[list[Member]]:
    """The entry's populations as the runner groups them, training shortened by ``fraction``."""
    groups: dict[tuple, list[Member]] = {}
    for t in catalog_trials(name, scale):
        train = t.train
        if fraction != 1.0:  # steps or epochs, and the record interval where there is one
            length = ({"steps": max(1, int(train.steps * fraction))} if train.steps is not None
                      else {"epochs": max(1, int(train.epochs * fraction))})
            every = {} if train.record_every is None else {"record_every": max(1, int(train.record_every * fraction))}
            train = dataclasses.replace(train, **length, **every)
        m = Member(t.model, train, t.seed, materialize(t.data))
        groups.setdefault(population_key(m), []).append(m)
    return list(groups.values())


def population_breakdown(pops: list[list[Member]]) -> None:
    """Part 1: each population's wall time, split by where it is spent."""
    spent: dict[str, float] = {}
    calls: dict[str, int] = {}

    def timed(owner, attr: str, label: str) -> None:
        fn = getattr(owner, attr)

        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[label] = spent.get(label, 0.0) + time.perf_counter() - start
                calls[label] = calls.get(label, 0) + 1

        setattr(owner, attr, wrapper)

    timed(compiled._kernels(), "train_steps", "kernel (train_steps)")
    timed(PopulationTrainer, "_evaluate", "evaluation at record points")
    timed(PopulationTrainer, "_predict_grid", "prediction grid")
    timed(compiled.KernelTier, "write_back", "weights written back")
    PopulationTrainer(pops[0][:1], device="cpu").run()  # compile / load the kernels
    spent.clear()
    calls.clear()
    total, trials = 0.0, 0
    for members in pops:
        start = time.perf_counter()
        outs = PopulationTrainer(members, device="cpu").run()
        seconds = time.perf_counter() - start
        total += seconds
        trials += len(members)
        steps = outs[0].info["steps"]
        print(f"  {members[0].model.layers} x{len(members)} ({outs[0].info['backend']}): {seconds:.3f} s, "
              f"{steps} steps, {seconds / steps * 1e6:.1f} us a step")
    print(f"  all: {total:.3f} s = {trials / total:.1f} models/s")
    for label in sorted(spent, key=spent.get, reverse=True):
        print(f"    {label:30s} {spent[label]:7.3f} s {100 * spent[label] / total:5.1f}%  ({calls[label]} calls)")
    rest = total - sum(spent.values())
    print(f"    {'the rest (setup, Python)':30s} {rest:7.3f} s {100 * rest / total:5.1f}%")


def _flagged_kernels() -> types.ModuleType:
    """A copy of the kernels module whose ``train_steps`` takes a last argument ``skip`` (flag bits)."""
    path = Path(compiled._kernels().__file__)
    src = path.read_text().replace('"cache": True', '"cache": False')
    head, body = src.split("def train_steps(", 1)
    body = re.sub(r"scratch(, chunk)?\):\n", lambda m: m.group(0)[:-3] + ", skip):\n", body, count=1)

    def guard(match: re.Match) -> str:
        return f"{match.group(1)}if not (skip & {PARTS[match.group(2)]}): {match.group(2)}("

    body = re.sub(r"^(\s+)(" + "|".join(PARTS) + r")\(", guard, body, flags=re.M)
    module_path = Path(tempfile.mkdtemp(prefix="atomlab-profile-")) / "flagged_kernels.py"
    module_path.write_text(head + "def train_steps(" + body)
    spec = importlib.util.spec_from_file_location("flagged_kernels", module_path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["flagged_kernels"] = module
    spec.loader.exec_module(module)
    return module


def step_breakdown(members: list[Member], steps: int, rounds: int) -> None:
    """Part 2: the kernel's time a step, and what leaving out each part saves."""
    masks = [0, *LABELS, sum(LABELS)]
    # enough steps for every round (a minibatch population's index stream ends with its training)
    total = steps * len(masks) * rounds + 2
    members = [dataclasses.replace(m, train=dataclasses.replace(m.train, epochs=None, steps=total)) for m in members]
    spec = members[0].train
    data = _Data([m.data for m in members], spec.torch_dtype, torch.device("cpu"))
    net = PopulationMLP([m.model for m in members], [m.seed for m in members], members[0].data.input_dim,
                        members[0].data.output_dim, dtype=spec.torch_dtype, device=torch.device("cpu"))
    tier = compiled.KernelTier(net, spec, [m.train.loss for m in members], np.array([m.train.lr for m in members]),
                               np.array([m.train.reg_lambda for m in members]), data.X_train.numpy(),
                               data.y_train.numpy(), shared=data.shared, seeds=[m.seed for m in members],
                               n_train=data.n_train)
    flagged = _flagged_kernels()
    skip = 0
    tier.K = types.SimpleNamespace(**{k: getattr(flagged, k) for k in dir(flagged) if not k.startswith("__")})
    tier.K.train_steps = lambda *args: flagged.train_steps(*args, skip)
    tier.train(2)  # compile
    best = {m: float("inf") for m in masks}
    for _ in range(rounds):
        for skip in masks:  # noqa: B007 (read by the lambda above)
            start = time.perf_counter()
            tier.train(tier.step + steps)
            best[skip] = min(best[skip], (time.perf_counter() - start) / steps * 1e6)
    lanes = [g.lanes for g in tier.groups]
    print(f"  {members[0].model.layers} x{len(members)} in lanes {lanes}, {tier.rows} examples a step: "
          f"{best[0]:.1f} us a step (best of {rounds} x {steps} steps)")
    for m, label in LABELS.items():
        saved = best[0] - best[m]
        print(f"    {label:30s} {saved:7.1f} us {100 * saved / best[0]:5.1f}%")
    rest = best[0] - sum(best[0] - best[m] for m in LABELS)
    print(f"    {'the rest (guard, loops)':30s} {rest:7.1f} us {100 * rest / best[0]:5.1f}%  "
          f"(all parts left out: {best[sum(LABELS)]:.1f} us)")


def against_todays_path(pops: list[list[Member]], rounds: int) -> None:
    """Part 3: each population on the kernels and on today's path, interleaved; best of ``rounds``."""
    compiled.MAX_STEP_MACS = 10**12
    for members in pops:
        best: dict[str, float] = {}
        paths: dict[str, str] = {}
        for backend in ("kernel", "numpy"):
            PopulationTrainer(members[:2], device="cpu", backend=backend).run()  # compile, allocate
        for _ in range(rounds):
            for backend in ("kernel", "numpy"):
                start = time.perf_counter()
                outs = PopulationTrainer(members, device="cpu", backend=backend).run()
                best[backend] = min(best.get(backend, float("inf")), time.perf_counter() - start)
                paths[backend] = outs[0].info["backend"]
        print(f"  {members[0].model.layers} x{len(members)}: kernels {best['kernel']:.3f} s, {paths['numpy']} "
              f"{best['numpy']:.3f} s ({best['numpy'] / best['kernel']:.2f}x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name", nargs="?", default="universal-approximation")
    parser.add_argument("--scale", default="paper")
    parser.add_argument("--fraction", type=float, default=0.2, help="fraction of each trial's steps (part 1)")
    parser.add_argument("--population", type=int, default=-1, help="which population part 2 times (index)")
    parser.add_argument("--steps", type=int, default=300, help="steps a round in part 2")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--against-todays-path", action="store_true", help="part 3 (see the module docstring)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    pops = populations(args.name, args.scale, args.fraction)
    print(f"{args.name} at {args.scale} scale, x{args.fraction} of its steps: {len(pops)} populations")
    population_breakdown(pops)
    print("inside the kernel:")
    step_breakdown(pops[args.population], args.steps, args.rounds)
    if args.against_todays_path:
        print("the kernels against today's path (MAX_STEP_MACS lifted), best of the rounds:")
        against_todays_path(pops, args.rounds)


if __name__ == "__main__":
    main()
