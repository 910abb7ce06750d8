"""The result of running an experiment: tidy tables, verdict, figures, report."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from atomlab.engine.outcome import Outcome
from atomlab.lab.claims import VERDICTS, ClaimResult, metric_bounds
from atomlab.lab.trial import Trial
from atomlab.stats import counted

METRICS = ("train_loss", "test_loss", "train_acc", "test_acc", "train_mse", "test_mse")


def _cell(v: Any) -> Any:
    return tuple(v) if isinstance(v, list) else v


def tidy_table(trials: list[Trial], outcomes: list[Outcome]) -> pd.DataFrame:
    """One row per trial and recorded step."""
    rows = []
    for t, o in zip(trials, outcomes):
        base = {"trial": t.key, "arm": t.arm, "seed": t.seed, **{k: _cell(v) for k, v in t.levels.items()}}
        for r in o.rows:
            rows.append({**base, **r, "diverged": o.diverged, "diverged_step": o.diverged_step})
    return pd.DataFrame(rows)


def final_table(trials: list[Trial], outcomes: list[Outcome],
                derive: Callable[[Trial, Outcome], dict[str, Any]] | None = None) -> pd.DataFrame:
    """One row per trial: its last recorded metrics (NaN where the trial diverged), then ``derive``'s columns.

    ``derive(trial, outcome) -> {column: value}`` is the experiment's one hook for per-trial quantities
    computed from what training produced (a settling step, a surface's disagreement with the truth); it is
    not called for diverged or failed trials, whose derived columns are NaN. The derived column names are kept in
    ``final.attrs["derived"]``.

    Examples
    --------
    >>> from atomlab.engine.outcome import Outcome
    >>> from atomlab.lab.trial import DataSpec, Trial
    >>> t = Trial({"width": 4}, 0, DataSpec("moons"), {})
    >>> o = Outcome(rows=[{"step": 10, "train_acc": 0.9, "test_acc": 0.8}])
    >>> final_table([t], [o], derive=lambda t, o: {"gap": o.final["train_acc"] - o.final["test_acc"]})[
    ...     ["width", "test_acc", "gap"]].round(3).to_dict("records")
    [{'width': 4, 'test_acc': 0.8, 'gap': 0.1}]
    """
    rows = []
    derived: dict[str, None] = {}
    for t, o in zip(trials, outcomes):
        row = {"trial": t.key, "arm": t.arm, "seed": t.seed, **{k: _cell(v) for k, v in t.levels.items()}}
        last = o.final
        for k, v in last.items():
            if k in ("step", "epoch"):
                row[k] = v
            else:
                row[k] = math.nan if o.diverged or o.failed else v
        row.update({"diverged": o.diverged, "diverged_step": o.diverged_step, "wall_time": o.wall_time,
                    "failed": o.failed})
        if o.failed:
            row["error"] = o.error
        if derive is not None and not (o.diverged or o.failed):
            extra = derive(t, o)
            derived.update(dict.fromkeys(extra))
            row.update(extra)
        rows.append(row)
    final = pd.DataFrame(rows)
    for column in derived:
        if column not in final:
            final[column] = math.nan
    final.attrs["derived"] = list(derived)
    return final


def _rel(path: Any, base: Path | None) -> str:
    p = Path(path)
    if base is not None:
        try:
            return str(p.resolve().relative_to(Path(base).resolve()))
        except ValueError:
            pass
    return str(p)


def agreement_text(result: Result) -> str:
    """Whether our verdict agrees with the source's claim, in one sentence."""
    exp = result.experiment
    custom = getattr(exp, "agreement", None)
    if custom:
        return custom(result) if callable(custom) else str(custom)
    return {"supported": "Our measurement agrees with the source's claim.",
            "refuted": "Our measurement contradicts the source's claim.",
            "inconclusive": "At this number of seeds our measurement neither confirms nor refutes the source's "
                            "claim."}.get(result.verdict, "")


@dataclass
class Result:
    """What :func:`atomlab.run` returns.

    Attributes
    ----------
    experiment : Experiment
        The experiment that ran.
    config : dict
        The resolved settings (scale, overrides and seeds applied).
    trials, outcomes : list
        Each trial and what training it produced (same order).
    table : DataFrame
        Tidy: one row per trial and recorded step.
    final : DataFrame
        One row per trial with its final metrics.
    verdict : str
        supported, refuted or inconclusive.
    claims : list of ClaimResult
        Each claim's verdict and statistics.
    figures : list
        ``FigureRecord`` of each figure written.
    out_dir, report_path : Path or None
        Where the outputs were written.
    provenance : dict
        Versions, threads, machine, wall time, how many trials were trained or cached.
    """

    experiment: Any
    config: dict[str, Any]
    trials: list[Trial]
    outcomes: list[Outcome]
    table: pd.DataFrame
    final: pd.DataFrame
    verdict: str = "inconclusive"
    claims: list[ClaimResult] = field(default_factory=list)
    figures: list[Any] = field(default_factory=list)
    out_dir: Path | None = None
    report_path: Path | None = None
    provenance: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.experiment.name

    def select(self, **levels: Any) -> list[tuple[Trial, Outcome]]:
        """The (trial, outcome) pairs whose factor levels equal ``levels``."""
        out = []
        for t, o in zip(self.trials, self.outcomes):
            if all(_cell(t.levels.get(k)) == _cell(v) for k, v in levels.items()):
                out.append((t, o))
        return out

    def arm_summary(self, metric: str | None = None) -> dict[str, dict[str, Any]]:
        """Per arm: mean of the main metric, its interval (:func:`atomlab.stats.mean_interval`), seeds, diverged."""
        from atomlab import stats

        metric = metric or self.experiment.metric
        out: dict[str, dict[str, Any]] = {}
        if metric not in self.final:
            return out
        for arm, sub in self.final.groupby("arm", sort=False):
            values = sub[metric].to_numpy(dtype=float)
            finite = values[np.isfinite(values)]
            mean, low, high = stats.mean_interval(finite, bounds=metric_bounds(metric))
            out[str(arm)] = {metric: mean, "std": float(finite.std(ddof=1)) if len(finite) > 1 else 0.0,
                             "ci": [low, high], "seeds": int(len(finite)), "diverged": int(sub["diverged"].sum())}
        return out

    def summary_table(self) -> pd.DataFrame:
        """Per arm: mean and standard deviation over seeds of every numeric column of the final table.

        Recorded metrics, the trial kind's measurements and the experiment's derived columns alike.
        """
        factors = [f for f in self.experiment.factors if f in self.final]
        bookkeeping = {"seed", "step", "epoch", "diverged", "diverged_step", "wall_time", *factors}
        numeric = [m for m in self.final.columns if m not in bookkeeping
                   and pd.api.types.is_numeric_dtype(self.final[m]) and not pd.api.types.is_bool_dtype(self.final[m])]
        if not numeric:
            return self.final.head(0)
        frame = self.final.assign(**{f: self.final[f].map(str) for f in factors})
        agg = frame.groupby(factors or ["arm"], sort=False)[numeric].agg(["mean", "std"])
        agg.columns = [f"{m} {s}" for m, s in agg.columns]
        agg["seeds"] = frame.groupby(factors or ["arm"], sort=False)["seed"].nunique()
        agg["diverged"] = frame.groupby(factors or ["arm"], sort=False)["diverged"].sum()
        return agg.reset_index()

    @property
    def checks(self) -> list[ClaimResult]:
        """The claims that hold by exact arithmetic (counted apart from the experiment's claims)."""
        return [c for c in self.claims if c.check]

    def verdict_line(self) -> str:
        """``name [scale]: VERDICT — what was claimed and what the data show``, in one line.

        An experiment with a ``verdict_line(result)`` method of its own (a comparison: the winner and the
        effect) phrases it itself.
        """
        own = getattr(self.experiment, "verdict_line", None)
        if callable(own):
            return own(self)
        head = f"{self.name} [{self.config.get('scale')}]: {self.verdict.upper()}"
        statistical = [c for c in self.claims if not c.check]
        if len(self.claims) == 1:
            return f"{head} — {self.claims[0].summary()}"
        tally = {v: sum(c.verdict == v for c in statistical) for v in VERDICTS}
        parts = [f"{counted(len(statistical), 'claim')}: "
                 + ", ".join(f"{n} {v}" for v, n in tally.items() if n)] if statistical else []
        if self.checks:
            passed = sum(c.verdict == "supported" for c in self.checks)
            parts.append(f"{passed} of {counted(len(self.checks), 'check')} passed")
        seeds = int(self.config.get("seeds", 0))
        return f"{head} — " + "; ".join(parts) + f" ({counted(seeds, 'seed')} per arm)"

    def verdict_dict(self) -> dict[str, Any]:
        """The content of ``verdict.json``."""
        def clean(x):
            if isinstance(x, float) and not math.isfinite(x):
                return None
            if isinstance(x, np.generic):
                return clean(x.item())
            if isinstance(x, dict):
                return {k: clean(v) for k, v in x.items()}
            if isinstance(x, list | tuple):
                return [clean(v) for v in x]
            return x

        return clean({
            "experiment": self.name, "scale": self.config.get("scale"), "verdict": self.verdict,
            "verdict_line": self.verdict_line(),
            "claim": " AND ".join(c.text for c in self.claims),
            "statistic": " | ".join(c.summary() for c in self.claims),
            "seeds": int(self.config.get("seeds", 0)),
            "metric": self.experiment.metric,
            "arms": self.arm_summary(),
            "claims": [{"text": c.text, "verdict": c.verdict, "method": c.method, "check": c.check,
                        "tests": [{"group": t.group, "statistic": t.statistic, "estimate": t.estimate,
                                   "ci": list(t.ci), "level": t.level, "n_seeds": t.n_seeds,
                                   "p_value": t.p_value, "method": t.method, "adjusted": t.adjusted,
                                   "verdict": t.verdict, "seeds_needed": t.seeds_needed, "detail": t.detail}
                                  for t in c.tests]}
                       for c in self.claims],
            "diverged_trials": int(self.final["diverged"].sum()) if "diverged" in self.final else 0,
            "failed_trials": int(self.final["failed"].sum()) if "failed" in self.final else 0,
            "title": self.experiment.title, "question": self.experiment.question,
            "agreement": agreement_text(self), "agrees": {"supported": True, "refuted": False}.get(self.verdict),
            "figures": [{"name": f.name, "path": _rel(f.path, self.out_dir), "caption": f.caption, "main": f.main}
                        for f in self.figures],
            "source": self.experiment.source, "section": self.experiment.section,
            "source_conclusion": self.experiment.source_conclusion,
            "discussion": self.discussion(),
            "source_numbers": [b.to_dict() for b in self.beside_source()],
            "provenance": self.provenance,
            "sanity": self.sanity(),
            **({"comparison": self.experiment.comparison_dict(self)}
               if callable(getattr(self.experiment, "comparison_dict", None)) else {}),
        })

    def sanity(self) -> list[str]:
        """Warnings about arms that diverged, failed or did not learn (see :mod:`atomlab.lab.sanity`)."""
        from atomlab.lab.sanity import sanity_notes

        return sanity_notes(self)
    def discussion(self) -> str:
        """The experiment's discussion of this result (computed from it when the experiment says how)."""
        text = self.experiment.discussion
        return str(text(self) if callable(text) else text or "")

    def beside_source(self) -> list[Any]:
        """Every number the source reports beside our mean and interval (:func:`atomlab.lab.sources.beside_ours`)."""
        from atomlab.lab.sources import beside_ours

        return beside_ours(getattr(self.experiment, "source_numbers", ()), self.final)

    def agreement(self) -> str:
        """Whether our verdict agrees with the source's claim, in one sentence (see :func:`agreement_text`)."""
        return agreement_text(self)

    def _repr_html_(self) -> str:
        # the report reads results, never the reverse at import time: this is the one way back, for notebooks
        from atomlab.lab.report import result_fragment

        return result_fragment(self)

    def __repr__(self) -> str:
        return f"<Result {self.verdict_line()}>"
