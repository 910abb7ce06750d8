"""Which populations of every catalog entry the compiled kernel tier trains, and why it passes over the others.

For each entry and scale, groups the entry's population trials as the runner does (``population_key``),
asks :func:`atomlab.engine.compiled.unsupported` about each population and counts the answers: ``kernel``
or the reason (a loss, a layer too wide, too many multiply-adds a step, batch norm...). Run it on two
checkouts and compare the JSON to see which entries' numbers a change of the tier can move (their
populations changed path) and so must be re-recorded::

    PYTHONPATH=src .venv/bin/python benchmarks/tier_coverage.py --out coverage.json
"""

from __future__ import annotations

import argparse
import collections
import json
import warnings

import atomlab
from atomlab.engine import compiled
from atomlab.engine.population import Member, PopulationTrainer, _Data, population_key
from atomlab.errors import ConfigError
from atomlab.lab.data import materialize
from atomlab.nn.population import PopulationMLP


def coverage(name: str, scale: str, most_trials: int = 400) -> dict[str, int]:
    """How many of the entry's populations (among its first ``most_trials`` trials) each path takes."""
    exp = atomlab.get_experiment(name)
    trials = [t for t in exp.plan(exp.config(scale)) if t.kind == "population"][:most_trials]
    groups: dict[tuple, list[Member]] = collections.defaultdict(list)
    for t in trials:
        member = Member(t.model, t.train, t.seed, materialize(t.data))
        groups[population_key(member)].append(member)
    counts: collections.Counter[str] = collections.Counter()
    for members in groups.values():
        members = members[:2]  # the path depends on the shapes and the recipe, not on the number of members
        trainer = PopulationTrainer(members)
        data = _Data([m.data for m in members], trainer.dtype, trainer.device)
        net = PopulationMLP([m.model for m in members], [m.seed for m in members], members[0].data.input_dim,
                            members[0].data.output_dim, dtype=trainer.dtype, device=trainer.device)
        n_max = max(data.n_train)
        spec = trainer.spec
        why = compiled.unsupported(net, spec, [m.train.loss for m in members], data.task,
                                   masked=data.train_mask is not None,
                                   rows=n_max if spec.full_batch(n_max) else spec.batch_size)
        counts["kernel" if why is None else why.split(" (")[0]] += 1
    return dict(counts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", action="append", help="quick, paper (repeatable; default both)")
    parser.add_argument("--out", help="write the counts as JSON here too")
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore")
    out = {}
    for name in atomlab.experiments():
        for scale in args.scale or ["quick", "paper"]:
            try:
                counts = coverage(name, scale)
            except ConfigError as exc:  # e.g. full MNIST not present
                counts = {"not planned": 1}
                print(f"{name} [{scale}]: {exc}".splitlines()[0])
            if counts:
                out[f"{name}/{scale}"] = counts
                print(f"{name} [{scale}]: {counts}")
    if args.out:
        with open(args.out, "w") as f:
            json.dump(out, f, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
