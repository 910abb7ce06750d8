"""Ad-hoc controlled comparisons: vary one or more settings, keep the rest fixed, over seeds."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from atomlab.engine.spec import TrainSpec
from atomlab.errors import ConfigError
from atomlab.lab.api import run_experiment
from atomlab.lab.claims import Compare
from atomlab.lab.experiment import Experiment
from atomlab.lab.result import Result
from atomlab.lab.trial import DataSpec, Trial
from atomlab.nn.spec import MLPSpec

_MODEL_KEYS = {f.name for f in dataclasses.fields(MLPSpec)}
_TRAIN_KEYS = {f.name for f in dataclasses.fields(TrainSpec)}


def compare(*, dataset: str | dict[str, Any] = "surface2d", vary: dict[str, list[Any]],
            model: dict[str, Any] | None = None, train: dict[str, Any] | None = None, seeds: int = 5,
            metric: str = "test_acc", data_seed: int | None = 0, name: str = "compare",
            out: str | Path | None = None, cache: bool = True, device: str = "auto",
            grid: int | None = None) -> Result:
    """Compare settings of an MLP on one data set, each level against the first, over seeds.

    Parameters
    ----------
    dataset : str or dict
        A registered data set name, or ``{"name": ..., **params}``.
    vary : dict of str to list
        The factor(s) and their levels. Keys are fields of :class:`~atomlab.nn.MLPSpec`
        (``activation``, ``layers``, ``init``, ``dropout``...), of :class:`~atomlab.engine.TrainSpec`
        (``lr``, ``optimizer``, ``loss``, ``batch_size``...), or parameters of the data set. The first
        level of the first factor is the baseline.
    model, train : dict
        Fixed settings of the model and the recipe.
    seeds : int
        Seeds per arm (initial weights and data order; the data set is the same for all unless
        ``data_seed`` is None, in which case it is drawn from each trial's seed).
    metric : str
        The metric compared (``test_acc``, ``test_loss``, ``train_mse``...).
    name : str
        Name used in the report.
    out : path, optional
        Where to write the report; nothing is written when None.

    Returns
    -------
    Result
        With one claim per non-baseline level: "level beats the baseline on ``metric``".

    Examples
    --------
    >>> r = compare(dataset={"name": "moons", "n_train": 100, "n_test": 100}, vary={"activation": ["relu", "tanh"]},
    ...             train={"steps": 30, "lr": 0.01}, seeds=2, cache=False, device="cpu")
    >>> sorted(r.final["activation"].unique())
    ['relu', 'tanh']
    """
    if not vary:
        raise ConfigError("compare needs at least one factor in vary, e.g. vary={'activation': ['relu', 'tanh']}")
    data = {"name": dataset} if isinstance(dataset, str) else dict(dataset)
    data_name = data.pop("name")
    model = dict(model or {})
    train = {"steps": 500, **(train or {})}
    for key, levels in vary.items():
        if not isinstance(levels, list | tuple) or len(levels) < 1:
            raise ConfigError(f"vary[{key!r}] must be a non-empty list of levels, got {levels!r}")
    factors = list(vary)

    def make_trial(cfg, levels, seed):
        m, t, d = dict(model), dict(train), dict(data)
        for key, value in levels.items():
            if key in _MODEL_KEYS:
                m[key] = tuple(value) if key == "layers" else value
            elif key in _TRAIN_KEYS:
                t[key] = value
            else:
                d[key] = value
        if grid:
            t.setdefault("grid", grid)
        return Trial(levels, seed, DataSpec(data_name, d, seed if data_seed is None else data_seed),
                     MLPSpec(**m), TrainSpec(**t))

    first = factors[0]
    base = vary[first][0]
    direction = "smaller" if metric.endswith(("loss", "mse")) else "greater"
    claims = [Compare(metric, {first: lvl}, {first: base}, direction=direction,
                      by=factors[1:] or None, text=f"{first}={lvl} beats {first}={base} on {metric}")
              for lvl in vary[first][1:]]
    exp = Experiment(
        name=name, title=f"Comparison of {', '.join(factors)} on {data_name}", source="user",
        section="atomlab.compare", question=f"How does {', '.join(factors)} change {metric}?",
        hypothesis="", method=f"MLP {model} trained with {train} on {data_name} {data}; {seeds} seeds per arm.",
        source_conclusion="", settings={**vary, "seeds": seeds}, factors=factors, make_trial=make_trial,
        claims=claims, metric=metric, figures=_compare_figures)
    return run_experiment(exp, scale="quick", out=out, report=out is not None, cache=cache, device=device)


def _compare_figures(result: Result, out_dir: Path, formats=("png",)):
    from atomlab.lab.figures import curves_figure

    return [curves_figure(result, out_dir, metric=result.experiment.metric, hue=result.experiment.factors[0],
                          formats=formats)]
