"""Your own question: vary settings of an MLP, keep the rest fixed, train over seeds, check your hypothesis.

:func:`compare` is the Python twin of ``atomlab compare``. It resolves every setting
(:mod:`atomlab.lab.compare_config`), reads the hypothesis into a claim (:mod:`atomlab.lab.hypothesis`), runs
the trials through the lab's runner and store like any catalog entry, and reports the outcome in the terms of
the question: which arm won and by how much, with the statistic behind it, never "the source concluded".

Without a hypothesis every arm is compared with the first (the baseline), two-sided, and each is reported
as better, worse or indistinguishable; Holm's correction runs over those comparisons as over any
experiment's claims.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from atomlab import stats
from atomlab.errors import ConfigError
from atomlab.lab.claims import Claim, ClaimResult, ClaimTest, Compare, Equivalent, Trend, flip
from atomlab.lab.compare_config import SCHEMA, TASK_METRICS, make_trial, resolve_config
from atomlab.lab.compare_figures import comparison_figures
from atomlab.lab.experiment import Experiment
from atomlab.lab.figures import label
from atomlab.lab.hypothesis import arm_label, level_text, parse_hypothesis
from atomlab.lab.result import Result
from atomlab.metrics import higher_is_better

__all__ = ["Comparison", "compare", "comparison_from_config", "load_config"]


@dataclass
class Comparison(Experiment):
    """A user's comparison: an :class:`~atomlab.lab.experiment.Experiment` that reports arms, not a source.

    Built by :func:`comparison_from_config`; its settings are the comparison's full configuration. Its
    verdict line names the winner and the effect, and its report shows the arms against the baseline (or
    the hypothesis), the sanity checks, every resolved setting and the per-seed results.

    Examples
    --------
    >>> import atomlab
    >>> r = atomlab.compare({"name": "moons", "n_train": 60, "n_test": 60}, vary={"lr": [0.01, 0.1]},
    ...                     model={"layers": [6]}, train={"steps": 40}, seeds=3, cache=False, device="cpu")
    >>> r.experiment.arm_table(r)[["lr", "seeds", "verdict"]].to_dict("records")[0]
    {'lr': '0.01', 'seeds': 3, 'verdict': 'baseline'}
    >>> list(r.experiment.per_seed_table(r).columns)
    ['seed', '0.01', '0.1']
    """

    def _claims_with_results(self, result: Result) -> list[tuple[Claim, ClaimResult]]:
        return list(zip(self.claims_for(result.config), result.claims))

    @property
    def stated(self) -> list[str]:
        """The hypotheses the user stated (empty: every arm against the baseline)."""
        return list(self.settings.get("hypothesis") or [])

    def baseline(self, config: Mapping[str, Any]) -> dict[str, Any]:
        """The first arm: the first level of every factor."""
        return {f: config[f][0] for f in self.factors}

    # ----- words ---------------------------------------------------------------------------------------
    def _phrase(self, claim: Claim, test: ClaimTest, config: Mapping[str, Any]) -> str:
        metric = label(claim.metric)
        r = test.result
        base = self.baseline(config)
        # "Holm-adjusted over m tests (p = ...)" when the comparison made more than one test
        note = f", {test.adjusted}" if test.adjusted else ""
        if isinstance(claim, Compare | Equivalent):
            a, b_name = arm_label(claim.a), arm_label(claim.b)
            b = b_name + (" (baseline)" if not self.stated and claim.b == base else "")
            if math.isnan(r.estimate):
                return f"{a} against {b}: no finite {metric} (every pair has a diverged trial)"
        if isinstance(claim, Compare):
            if test.verdict == "inconclusive":
                more = f"; about {r.seeds_needed} seeds would tell" if r.seeds_needed else ""
                diff = f"{a} − {b_name} =" if len(self.factors) == 1 else "difference"
                return f"{a} and {b} are indistinguishable on {metric}: {diff} {r.describe()}{note}{more}"
            a_wins = (r.estimate > 0) == higher_is_better(claim.metric)
            winner, loser, effect = (a, b, r) if a_wins else (b, a, flip(r))
            return f"{winner} beats {loser} on {metric} by {effect.describe()}{note}"
        if isinstance(claim, Equivalent):
            head = {"supported": f"{a} and {b} are within {claim.margin:g} on {metric}",
                    "refuted": f"{a} and {b} differ by more than {claim.margin:g} on {metric}",
                    "inconclusive": f"cannot tell whether {a} and {b} are within {claim.margin:g} on {metric}"}
            diff = f"{a} − {b_name} =" if len(self.factors) == 1 else "difference"
            return f"{head[test.verdict]}: {diff} {r.describe()}{note}"
        if isinstance(claim, Trend):
            word = "increases" if claim.direction == "increasing" else "decreases"
            other = "decreases" if word == "increases" else "increases"
            head = {"supported": f"{metric} {word} with {claim.factor}",
                    "refuted": f"{metric} {other} with {claim.factor}, against the hypothesis",
                    "inconclusive": f"no clear trend of {metric} with {claim.factor}"}
            return f"{head[test.verdict]}: Spearman rho {r.describe()}{note}"
        return f"{test.verdict}: {r.describe()}{note}"

    def _phrases(self, claim: Claim, res: ClaimResult, config: Mapping[str, Any]) -> str:
        return "; ".join((f"at {t.group}: " if t.group else "") + self._phrase(claim, t, config) for t in res.tests)

    def verdict_line(self, result: Result) -> str:
        """One line: the winner and the effect, with the statistic behind it (see :func:`compare`)."""
        metric = self.metric
        final = result.final
        if metric not in final or not final[metric].notna().any():
            return (f"NO VERDICT: no trial has a finite {label(metric)} ({len(final)} trials diverged or failed); "
                    "see the sanity checks")
        pairs = self._claims_with_results(result)
        if self.stated:
            return " | ".join(f"{res.verdict.upper()}: {res.text} — {self._phrases(claim, res, result.config)}"
                              for claim, res in pairs)
        return "; ".join(self._phrases(claim, res, result.config) for claim, res in pairs)

    # ----- tables ------------------------------------------------------------------------------------
    def arm_table(self, result: Result) -> pd.DataFrame:
        """Per arm: its levels, the metric's mean with its 95% interval, seeds, diverged; without a hypothesis
        also the difference from the baseline, its interval and the verdict (better / worse / indistinguishable)."""
        metric = self.metric
        summary = result.arm_summary(metric)
        config = result.config
        base = self.baseline(config)
        against: dict[str, tuple[ClaimTest, float]] = {}
        if not self.stated:
            tests = [(claim, t) for claim, res in self._claims_with_results(result) for t in res.tests]
            # the p-values Holm's correction judged them by (check_claims corrects over these same tests)
            holm = stats.holm([t.p_value for _, t in tests]) if tests else []
            for (claim, t), p in zip(tests, holm):
                against[arm_label(claim.a)] = (t, float(p))
        rows = []
        for combo in itertools.product(*(config[f] for f in self.factors)):
            levels = dict(zip(self.factors, combo))
            arm = ", ".join(f"{k}={_fmt(v)}" for k, v in levels.items())
            s = summary.get(arm, {})
            row: dict[str, Any] = {f: level_text(v) for f, v in levels.items()}
            mean, ci = s.get(metric, math.nan), s.get("ci", [math.nan, math.nan])
            row[f"{metric} mean [95% CI]"] = (f"{mean:.4g} [{ci[0]:.4g}, {ci[1]:.4g}]" if np.isfinite(mean)
                                            else "no finite value")
            row["seeds"] = s.get("seeds", 0)
            row["diverged"] = s.get("diverged", 0)
            if not self.stated:
                name = arm_label(levels)
                if levels == base:
                    row["vs baseline"], row["p (Holm)"], row["verdict"] = "—", "—", "baseline"
                elif name in against:
                    t, p = against[name]
                    r = t.result
                    row["vs baseline"] = (f"{r.estimate:+.3g} [{r.low:+.3g}, {r.high:+.3g}]"
                                          if np.isfinite(r.estimate) else "no finite pairs")
                    row["p (Holm)"] = p
                    row["verdict"] = _word(t, metric)
            rows.append(row)
        return pd.DataFrame(rows)

    def per_seed_table(self, result: Result) -> pd.DataFrame:
        """The metric of every trial: one row per seed, one column per arm (``diverged`` / ``failed`` spelt out)."""
        final = result.final
        metric = self.metric
        arms = list(dict.fromkeys(final["arm"]))
        labels = {t.arm: arm_label(t.levels) for t in result.trials}
        cells: dict[tuple[int, str], Any] = {}
        for _, row in final.iterrows():
            if row.get("failed", False):
                value: Any = "failed"
            elif row.get("diverged", False):
                step = row.get("diverged_step")
                value = f"diverged (step {int(step)})" if step is not None and np.isfinite(step) else "diverged"
            else:
                value = float(row[metric]) if metric in row and np.isfinite(row[metric]) else None
            cells[(int(row["seed"]), row["arm"])] = value
        seeds = sorted({s for s, _ in cells})
        table = pd.DataFrame([{"seed": s, **{labels[a]: cells.get((s, a)) for a in arms}} for s in seeds])
        return table

    def comparison_dict(self, result: Result) -> dict[str, Any]:
        """What ``verdict.json`` says of the comparison: hypotheses, baseline, and the arm table."""
        table = self.arm_table(result)
        return {"hypothesis": self.stated, "baseline": arm_label(self.baseline(result.config)),
                "metric": self.metric, "arms": json.loads(table.to_json(orient="records"))}


def _fmt(v: Any) -> str:
    """A level as :attr:`Trial.arm` writes it."""
    if isinstance(v, list | tuple):
        return "[" + ",".join(_fmt(x) for x in v) + "]"
    return str(v)


def _word(test: ClaimTest, metric: str) -> str:
    """better / worse / indistinguishable, from a two-sided test's verdict and the sign of its estimate."""
    r = test.result
    if not np.isfinite(r.estimate):
        return "no result"
    if test.verdict != "supported":
        return "indistinguishable"
    return "better" if (r.estimate > 0) == higher_is_better(metric) else "worse"


# ----- building the experiment -----------------------------------------------------------------------------
def comparison_claims(cfg: Mapping[str, Any]) -> list[Claim]:
    """The claims of a configuration: its hypotheses, or every arm against the baseline (two-sided).

    Examples
    --------
    >>> from atomlab.lab.compare_config import resolve_config
    >>> cfg = resolve_config(data="moons", vary={"activation": ["relu", "tanh", "gelu"]}, train={"steps": 5})
    >>> [(c.describe(), c.direction) for c in comparison_claims(cfg)]
    [('tanh against relu (baseline)', 'different'), ('gelu against relu (baseline)', 'different')]
    >>> comparison_claims({**cfg, "hypothesis": ["gelu > relu"]})[0].direction
    'greater'
    """
    factors = list(cfg["factors"])
    levels = {f: list(cfg[f]) for f in factors}
    metric = cfg["metric"]
    if cfg.get("hypothesis"):
        allowed = next((m for m in TASK_METRICS.values() if metric in m), None)
        return [parse_hypothesis(h, levels, metric, metrics=allowed) for h in cfg["hypothesis"]]
    combos = [dict(zip(factors, c)) for c in itertools.product(*levels.values())]
    base = combos[0]
    return [Compare(metric, arm, base, direction="different",
                    text=f"{arm_label(arm)} against {arm_label(base)} (baseline)")
            for arm in combos[1:]]


def _describe_settings(cfg: Mapping[str, Any]) -> str:
    model, train = cfg["model"], cfg["train"]
    roles = cfg["factors"]
    varied = ", ".join(f"{f} ({', '.join(level_text(v) for v in cfg[f])})" for f in roles)
    layers = "varied" if {"layers", "width", "depth"} & set(roles) else f"hidden layers {model.get('layers')}"
    activation = "" if "activation" in roles else f", {model.get('activation')} activation"
    length = f"{train.get('steps')} steps" if train.get("steps") else f"{train.get('epochs')} epochs"
    batch = "full batches" if train.get("batch_size") is None else f"batches of {train.get('batch_size')}"
    optimizer = "" if "optimizer" in roles else f"{train.get('optimizer')} "
    lr = "" if "lr" in roles else f" at learning rate {train.get('lr'):g}"
    data = cfg["dataset"].get("name") or ", ".join(cfg.get("data", []))
    seed_note = ("the same data set for every seed (data seed "
                 f"{cfg['data_seed']})" if cfg.get("data_seed") is not None else "a fresh draw of the data per seed")
    return (f"An MLP ({layers}{activation}, {model.get('init')} initialisation) trained by {optimizer}"
            f"{'(varied) ' if not optimizer else ''}for {length} with {batch}{lr} on {data}, varying {varied}. "
            f"Every arm is trained from the same {stats.counted(cfg['seeds'])} (initial weights and batch order; "
            f"{seed_note}), so arms are compared seed by seed (paired). The table of settings below lists every "
            "value, defaults included.")


def comparison_from_config(cfg: Mapping[str, Any]) -> Comparison:
    """The :class:`Comparison` of a resolved configuration (:func:`~atomlab.lab.compare_config.resolve_config`).

    Examples
    --------
    >>> from atomlab.lab.compare_config import resolve_config
    >>> exp = comparison_from_config(resolve_config(data="moons", vary={"lr": [0.01, 0.1]}, train={"steps": 20}))
    >>> exp.factors, [c.describe() for c in exp.claims_for(exp.config())]
    (['lr'], ['0.1 against 0.01 (baseline)'])
    """
    factors = list(cfg["factors"])
    data = cfg["dataset"].get("name") or "several data sets"
    levels = [level_text(v) for v in cfg[factors[0]]]
    if len(factors) == 1 and len(levels) <= 4:
        title = f"{' vs '.join(levels)} on {data}"
    else:
        title = f"{' × '.join(factors)} on {data}"
    hyps = list(cfg.get("hypothesis") or [])
    metric = cfg["metric"]
    settings = {k: v for k, v in cfg.items() if k != "scale"}
    return Comparison(
        name=cfg["name"], title=title, source="user", section="atomlab.compare",
        question=f"How does {' and '.join(factors)} change the {label(metric)} of an MLP on {data}?",
        hypothesis=("; ".join(hyps) if hyps else "None stated: every arm is compared with the baseline (the first "
                    "arm), two-sided, and called better, worse or indistinguishable."),
        method=_describe_settings(cfg), source_conclusion="", settings=settings, factors=factors,
        make_trial=make_trial, claims=comparison_claims, metric=metric, figures=comparison_figures)


def load_config(config: str | os.PathLike | Mapping[str, Any]) -> dict[str, Any]:
    """A comparison's configuration from its ``config.json`` (or a dict), checked, its plugins loaded.

    A plugin file that changed since the run was recorded is loaded anyway, with a warning: its trials
    are trained again (the cache key holds the file's digest), and the numbers may differ.

    Examples
    --------
    >>> from atomlab.lab.compare_config import resolve_config
    >>> cfg = resolve_config(data="moons", vary={"lr": [0.01, 0.1]}, train={"steps": 5})
    >>> load_config(cfg)["train"]["steps"]
    5
    >>> load_config({"seeds": 3})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    atomlab.errors.ConfigError: the configuration is not the config.json of a comparison ...
    """
    from atomlab.lab.plugins import load_entry_points, load_plugin

    if isinstance(config, Mapping):
        cfg = dict(config)
        where = "the configuration"
    else:
        path = Path(config)
        if path.is_dir():
            path = path / "config.json"
        try:
            cfg = json.loads(path.read_text())
        except OSError as exc:
            raise ConfigError(f"cannot read the configuration {str(path)!r}: {exc.strerror or exc}") from None
        except ValueError as exc:
            raise ConfigError(f"{str(path)!r} is not JSON: {exc}") from None
        where = str(path)
    if not isinstance(cfg, dict) or cfg.get("atomlab_compare") != SCHEMA:
        raise ConfigError(f"{where} is not the config.json of a comparison (no \"atomlab_compare\": {SCHEMA}); "
                          "catalog runs are repeated with `atomlab run NAME`")
    load_entry_points()
    for p in cfg.get("plugins") or []:
        plugin = load_plugin(p.get("path") or p["spec"])
        if p.get("sha256") and plugin.sha256 != p["sha256"]:
            warnings.warn(f"plugin {p['spec']!r} changed since the run was recorded: its trials are trained again "
                          "and the numbers may differ", RuntimeWarning, stacklevel=3)
    for key in ("factors", "dataset", "model", "train", "metric", "name", "seeds", "seed"):
        if key not in cfg:
            raise ConfigError(f"{where} lacks {key!r}; write it with atomlab compare, or give every setting")
    for factor in cfg["factors"]:
        if factor not in cfg or not cfg[factor]:
            raise ConfigError(f"{where}: factor {factor!r} has no levels")
    exp = comparison_from_config(cfg)
    exp.claims_for(cfg)  # read the hypotheses now
    for combo in itertools.product(*(cfg[f] for f in cfg["factors"])):
        make_trial(cfg, dict(zip(cfg["factors"], combo)), int(cfg["seed"]))
    return cfg


def compare(data: str | Mapping[str, Any] = "surface2d", *, vary: Mapping[str, Sequence[Any]] | None = None,
            model: Mapping[str, Any] | None = None, train: Mapping[str, Any] | None = None,
            seeds: int | str = 5, seed: int = 0, metric: str | None = None,
            hypothesis: str | Sequence[str] | None = None, plugins: Sequence[str | os.PathLike] = (),
            data_seed: int | None = 0, name: str | None = None, out: str | os.PathLike | None = None,
            config: str | os.PathLike | Mapping[str, Any] | None = None, cache: bool = True, device: str = "auto",
            workers: int | None = None, progress: bool = False, events: str | os.PathLike | None = None,
            formats: tuple[str, ...] = ("png",), dataset: str | Mapping[str, Any] | None = None) -> Result:
    """Compare settings of an MLP on a data set over seeds, and check your hypothesis.

    Every combination of the levels in ``vary`` is an *arm*; each arm is trained from the same seeds, so
    arms are compared seed by seed. Every other setting is fixed at the value you give or at its default,
    and all of them are written to ``config.json`` and shown in the report.

    Parameters
    ----------
    data : str or dict, default "surface2d"
        A registered data set (``atomlab list datasets``), or ``{"name": ..., **parameters}``
        (``{"name": "spirals", "noise": 0.1}``).
    vary : dict of str to list
        The factors and their levels, e.g. ``{"activation": ["relu", "tanh", "snake"]}``; two or more
        factors are crossed. A factor is any field of :class:`~atomlab.nn.MLPSpec` (``activation``,
        ``layers``, ``init``, ``dropout`` ...), of :class:`~atomlab.engine.TrainSpec` (``lr``,
        ``optimizer``, ``batch_size``, ``loss``, ``steps`` ...), a parameter of the data set (``noise``,
        ``n_train`` ...), ``data`` (the data set itself), or ``width`` / ``depth`` (every hidden layer's
        width, the number of hidden layers). Prefix ``model.``, ``train.`` or ``data.`` where a name is
        ambiguous. The first level of each factor makes the baseline arm.
    model, train : dict, optional
        Fixed settings of the network and of the recipe. Unset ones take their defaults; the recipe's
        are Adam at a learning rate of 0.01, batches of 64, for 1,000 steps.
    seeds : int or str, default 5
        Seeds per arm, or ``"auto"`` / ``"auto:MAX"`` to add seeds in rounds until the claims are decisive.
    seed : int, default 0
        The first seed (seeds are ``seed, seed + 1, ...``).
    metric : str, optional
        What is compared: ``test_acc`` (default for classification), ``test_mse`` (default for
        regression), ``train_acc``, ``test_loss`` ...
    hypothesis : str or list of str, optional
        ``"snake > relu"``, ``"snake < relu"`` (on the metric's value), ``"snake = relu within 0.01"``,
        ``"increases with width"`` / ``"decreases with FACTOR"``; arms are named by a level or by
        ``factor=level``. Without one, every arm is compared with the baseline, two-sided, and called
        better, worse or indistinguishable.
    plugins : list of str or path, optional
        Files (``"my_acts.py"``) or modules (``"my_package.acts"``) that register activations, data sets,
        losses ... (see :mod:`atomlab.lab.plugins`); loaded before anything is checked, in worker processes
        too, and recorded in ``config.json``. Installed ``atomlab.plugins`` entry points load as well.
    data_seed : int or None, default 0
        The seed of the data set, the same for every trial; None draws the data from each trial's seed.
    name : str, optional
        Name of the run (default ``compare-FACTORS-DATA``).
    out : path, optional
        Where to write the report (``report.html``, ``config.json``, ``final.csv``, figures); nothing
        is written when None.
    config : path or dict, optional
        A comparison's ``config.json`` (or its folder): repeat that run exactly, every setting taken from
        the file. The settings arguments above must then be left at their defaults.
    cache, device, workers
        Reuse trials from the trial store; ``"auto"``, ``"cpu"`` or ``"cuda"``; worker processes.
    progress : bool, default False
        A progress bar on stderr, in steps of training.
    events : path, optional
        Write JSON-lines events here (start, each trial, the verdict).
    formats : tuple of str
        Figure formats.
    dataset : str or dict, optional
        The former name of ``data``.

    Returns
    -------
    Result
        ``result.verdict_line()`` names the winner and the effect; ``result.final`` has one row per trial;
        in a notebook the result shows its verdict and main figure.

    Raises
    ------
    ConfigError
        Before any training, naming the bad value and the allowed ones: an unknown data set, factor,
        setting, metric or arm, an empty list of levels, a plugin that cannot be loaded or registers
        something not callable, or a hypothesis that cannot be read.

    Examples
    --------
    >>> import atomlab
    >>> r = atomlab.compare("moons", vary={"activation": ["relu", "tanh"]}, model={"layers": [8]},
    ...                     train={"steps": 60, "lr": 0.05}, seeds=3, hypothesis="tanh > relu",
    ...                     cache=False, device="cpu")
    >>> sorted(r.final["activation"].unique()), r.verdict in ("supported", "refuted", "inconclusive")
    (['relu', 'tanh'], True)
    >>> r.verdict_line().startswith(f"{r.verdict.upper()}: tanh > relu — ")  # then the winner and the effect
    True
    """
    from atomlab.lab.api import run_experiment
    from atomlab.lab.plugins import load_plugins
    from atomlab.lab.progress import Progress

    if dataset is not None:
        if data != "surface2d":
            raise ConfigError("give the data set once: data= (dataset= is its former name)")
        data = dataset
    rounds_spec = None
    if config is not None:
        given = {"vary": vary, "model": model, "train": train, "hypothesis": hypothesis, "name": name,
                 "metric": metric, "plugins": tuple(plugins) or None}
        clash = [k for k, v in given.items() if v is not None]
        clash += [k for k, v, d in (("data", data, "surface2d"), ("seeds", seeds, 5), ("seed", seed, 0),
                                    ("data_seed", data_seed, 0)) if v != d]
        if clash:
            raise ConfigError(f"config= repeats a recorded run with its own settings; drop {', '.join(clash)} (or "
                              "edit the file)")
        cfg = load_config(config)
    else:
        if vary is None:
            raise ConfigError("compare needs vary= (the factors and their levels), e.g. vary={'activation': "
                              "['relu', 'tanh']}, or config= (a recorded comparison's config.json)")
        records = [p.to_dict() for p in load_plugins(plugins)]
        if isinstance(seeds, str):
            from atomlab.lab.api import seed_rounds

            seed_rounds(seeds, 5)  # checked now
            rounds_spec, seeds = seeds, 5
        cfg = resolve_config(data=data, vary=vary, model=model, train=train, seeds=seeds, seed=seed, metric=metric,
                             hypothesis=hypothesis, plugins=records, data_seed=data_seed, name=name)
    exp = comparison_from_config(cfg)
    reporter = Progress(bar=progress, events=events)
    try:
        arms = math.prod(len(cfg[f]) for f in cfg["factors"])
        reporter.event("start", name=cfg["name"], arms=arms, seeds=cfg["seeds"], trials=arms * int(cfg["seeds"]),
                       out=None if out is None else str(out), config=cfg)
        # a number of seeds given is kept (no extra round): the quick scale's second round is for the catalog
        fixed = int(cfg["seeds"]) if rounds_spec is None else rounds_spec
        result = run_experiment(exp, scale="quick", seeds=fixed, out=out, report=out is not None, cache=cache,
                                device=device, progress=reporter, formats=formats, workers=workers)
        from atomlab.lab.sanity import sanity_notes

        reporter.event("verdict", verdict=result.verdict, line=result.verdict_line(), sanity=sanity_notes(result),
                       report=None if result.report_path is None else str(result.report_path))
    finally:
        reporter.close()
    return result
