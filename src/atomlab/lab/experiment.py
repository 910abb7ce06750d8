"""Declaring an experiment, and resolving its configuration for a scale and user overrides."""

from __future__ import annotations

import ast
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from atomlab.errors import ConfigError, unknown_choice
from atomlab.lab.claims import Claim
from atomlab.lab.trial import Trial
from atomlab.registry import Registry

SCALES = ("smoke", "quick", "paper")


#: Where a setting's value comes from, as an entry's ``provenance`` states it. A ``changed`` value says why
#: after a colon: ``"changed: 20,000 steps; at the source's 10,000 no width fits sin(12x)"``.
PROVENANCE = ("source text", "source code", "assumed", "changed")


@dataclass(frozen=True)
class SourceNumber:
    """A number the source reports, shown beside ours on the entry's page and in the atlas scorecard.

    Parameters
    ----------
    metric : str
        The column of the final table it compares with (``"train_mse"``, ``"test_acc"``).
    value : float
        The source's number, in the column's units (an accuracy of 97.4 % is ``0.974``).
    where : dict
        The arm it belongs to (factor levels), e.g. ``{"function": "sin", "hidden_units": 2}``. A list
        value means any of its levels, as in :func:`atomlab.lab.claims.select` (a number the source reads
        off a curve over several arms: ``{"dummy_dims": [200, 500, 1000, 2000]}``); a key may also be a
        level an entry adds itself (memorization's ``budget``).
    what : str
        Where the source says it, in words ("Table 1", "the figure of experiment 6, no PCA").

    Examples
    --------
    >>> SourceNumber("train_mse", 0.422, {"hidden_units": 2}, "code output, sin(12x)").where
    {'hidden_units': 2}
    """

    metric: str
    value: float
    where: dict[str, Any] = field(default_factory=dict)
    what: str = ""


@dataclass
class Experiment:
    """An atomic experiment: a question, the factor it varies, and a claim the code checks.

    Parameters
    ----------
    name : str
        Registry name (``"universal-approximation"``).
    title : str
        Human title.
    source : str
        Source document id (``"000"``, ``"002"``...).
    section : str
        Where in the source it comes from.
    question, hypothesis, method : str
        What is asked, what is expected, how it is tested.
    source_conclusion : str
        The source's own conclusion, quoted.
    settings : dict
        Every setting with its default (the ``paper`` values unless a scale overrides them);
        factor levels are settings too. ``seeds`` (how many) and ``seed`` (the first) are added.
    factors : sequence of str
        The settings whose values (lists) are crossed to make the arms.
    scales : dict
        ``{"smoke": {...}, "quick": {...}, "paper": {...}}`` overrides of ``settings``.
    make_trial : callable
        ``make_trial(config, levels, seed) -> Trial | list[Trial] | None``.
    claims : sequence of Claim, or callable
        What the code checks; a callable gets the config and returns the claims.
    figures : callable, optional
        ``figures(result, out_dir) -> list[FigureRecord]``.
    discussion : str or callable, optional
        Our explanation, possibly computed from the result.
    metric : str
        The main metric, summarised per arm in ``verdict.json``.
    differences : str
        Where this implementation departs from the source, and why.
    provenance : dict, optional
        For each setting, where its value comes from: one of :data:`PROVENANCE` (``"source text"``,
        ``"source code"``, ``"assumed"``, or ``"changed: why"``). Shown in the settings table.
    source_numbers : sequence of SourceNumber, optional
        Every number the source reports that this entry can compare with, shown beside ours.
    derive : callable, optional
        ``derive(trial, outcome, config) -> {column: value}``: the one hook for per-trial quantities computed from
        what training produced (weights, grids, probes). Run once per trial before the claims, the
        figures and ``final.csv``, so every derived column is in the file a user opens.
    agreement : str or callable, optional
        One sentence on whether the verdict agrees with the source, when the default (supported
        means agreement) does not fit, e.g. when the claim tested is the contrary of the source's.
    """

    name: str
    title: str
    source: str
    section: str
    question: str
    hypothesis: str
    method: str
    source_conclusion: str
    settings: dict[str, Any]
    factors: Sequence[str]
    make_trial: Callable[[dict[str, Any], dict[str, Any], int], Trial | list[Trial] | None]
    claims: Sequence[Claim] | Callable[[dict[str, Any]], Sequence[Claim]] = ()
    scales: dict[str, dict[str, Any]] = field(default_factory=dict)
    figures: Callable[..., list] | None = None
    discussion: str | Callable[..., str] = ""
    metric: str = "test_acc"
    differences: str = ""
    tags: Sequence[str] = ()
    agreement: str | Callable[..., str] | None = None
    derive: Callable[[Trial, Any, dict[str, Any]], dict[str, Any]] | None = None
    provenance: dict[str, str] = field(default_factory=dict)
    source_numbers: Sequence[SourceNumber] = ()

    def __post_init__(self) -> None:
        reserved = {"arm", "seed", "trial", "step", "epoch", "diverged", "diverged_step", "wall_time", "scale"}
        clash = reserved & set(self.factors)
        if clash:
            raise ConfigError(f"experiment {self.name!r}: factor name(s) {sorted(clash)} are reserved "
                              f"(result columns); choose others")
        self.settings = {"seeds": 5, "seed": 0, **self.settings}
        for f in self.factors:
            if f not in self.settings:
                raise ConfigError(f"experiment {self.name!r}: factor {f!r} has no levels in settings")
        for scale in self.scales:
            if scale not in SCALES:
                raise unknown_choice("scale", scale, SCALES)
        for key, origin in self.provenance.items():
            if key not in self.settings:
                raise unknown_choice(f"setting in {self.name!r}'s provenance", key, self.settings)
            if origin.split(":", 1)[0].strip() not in PROVENANCE:
                raise ConfigError(f"experiment {self.name!r}: provenance of {key!r} is {origin!r}; it must start "
                                  f"with one of {', '.join(PROVENANCE)} (\"changed: why\")")

    # ----- configuration ------------------------------------------------------------------
    def config(self, scale: str = "quick", overrides: dict[str, Any] | None = None,
               seeds: int | None = None) -> dict[str, Any]:
        """The resolved settings for ``scale``, then ``overrides`` (validated), then ``seeds``."""
        if scale not in SCALES:
            raise unknown_choice("scale", scale, SCALES)
        cfg = {**self.settings, **self.scales.get(scale, {})}
        for key, value in (overrides or {}).items():
            if key not in cfg:
                raise unknown_choice(f"setting for {self.name}", key, cfg)
            cfg[key] = coerce(key, value, cfg[key], is_factor=key in self.factors)
        if seeds is not None:
            if not isinstance(seeds, int) or seeds < 1:
                raise ConfigError(f"seeds must be a positive integer, got {seeds!r}")
            cfg["seeds"] = seeds
        cfg["scale"] = scale
        return cfg

    def plan(self, cfg: dict[str, Any]) -> list[Trial]:
        """Expand factors x levels x seeds into trials."""
        levels = [list(cfg[f]) for f in self.factors]
        seeds = range(int(cfg["seed"]), int(cfg["seed"]) + int(cfg["seeds"]))
        trials: list[Trial] = []
        for combo in itertools.product(*levels):
            lv = dict(zip(self.factors, combo))
            for seed in seeds:
                made = self.make_trial(cfg, lv, seed)
                if made is None:
                    continue
                trials.extend(made if isinstance(made, list) else [made])
        return trials

    def derive_for(self, cfg: dict[str, Any]) -> Callable[[Trial, Any], dict[str, Any]] | None:
        """The derive hook bound to the configuration ``cfg`` (None when the experiment has none)."""
        if self.derive is None:
            return None
        derive = self.derive
        return lambda trial, outcome: derive(trial, outcome, cfg)

    def claims_for(self, cfg: dict[str, Any]) -> list[Claim]:
        """The claims checked for this configuration."""
        return list(self.claims(cfg) if callable(self.claims) else self.claims)

    def describe(self) -> dict[str, Any]:
        """A JSON-friendly description (for ``atomlab list --format json`` and ``show``)."""
        return {"name": self.name, "title": self.title, "source": self.source, "section": self.section,
                "question": self.question, "hypothesis": self.hypothesis, "method": self.method,
                "factors": list(self.factors), "settings": {k: _plain(v) for k, v in self.settings.items()},
                "scales": {k: {kk: _plain(vv) for kk, vv in v.items()} for k, v in self.scales.items()},
                "source_conclusion": self.source_conclusion,
                "provenance": dict(self.provenance),
                "source_numbers": [{"metric": n.metric, "value": n.value, "where": {k: _plain(v) for k, v in
                                                                                    n.where.items()},
                                    "what": n.what} for n in self.source_numbers]}


def _plain(v: Any) -> Any:
    if isinstance(v, tuple):
        return [_plain(x) for x in v]
    if isinstance(v, list):
        return [_plain(x) for x in v]
    if isinstance(v, int | float | str | bool) or v is None:
        return v
    return str(v)


def _split_top_level(text: str) -> list[str]:
    """Split at commas outside brackets: ``"a, max(x, y)"`` -> ``["a", "max(x, y)"]``."""
    parts, depth, cur = [], 0, []
    for ch in text:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append("".join(cur).strip())
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur).strip())
    return [p for p in parts if p]


def _parse_text(text: str) -> Any:
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        parts = _split_top_level(text)
        if len(parts) > 1:
            return [_parse_text(t) for t in parts]
        return text


def coerce(key: str, value: Any, default: Any, *, is_factor: bool = False) -> Any:
    """Convert a user value (often a string from ``--set``) to the type of the default.

    Examples
    --------
    >>> coerce("steps", "200", 100)
    200
    >>> coerce("hidden_units", "2,4,8", [2, 4, 16], is_factor=True)
    [2, 4, 8]
    >>> coerce("function", "maximum(x, y) - 1", ["sine"], is_factor=True)
    ['maximum(x, y) - 1']
    >>> coerce("steps", "many", 100)
    Traceback (most recent call last):
    ...
    atomlab.errors.ConfigError: bad value for 'steps': 'many' is not a int (default 100)
    """
    parsed = _parse_text(value) if isinstance(value, str) else value
    if is_factor or isinstance(default, list | tuple):
        items = list(parsed) if isinstance(parsed, list | tuple) else [parsed]
        if is_factor and isinstance(default, list | tuple) and default and isinstance(default[0], list | tuple):
            # levels that are themselves lists (layer widths): a flat list is one level
            if items and not isinstance(items[0], list | tuple):
                items = [items]
        sample = default[0] if isinstance(default, list | tuple) and default else None
        # items are parsed already: coerce their type, never re-parse a string (it may hold commas)
        return [v if sample is None or isinstance(sample, list | tuple) or isinstance(v, type(sample))
                else coerce(key, v, sample) for v in items]
    if default is None or isinstance(parsed, type(default)):
        return parsed
    try:
        if isinstance(default, bool):
            if str(parsed).lower() in ("true", "1", "yes"):
                return True
            if str(parsed).lower() in ("false", "0", "no"):
                return False
            raise ValueError
        if isinstance(default, int) and isinstance(parsed, float) and parsed.is_integer():
            return int(parsed)
        if isinstance(default, float) and isinstance(parsed, int | float):
            return float(parsed)
        if isinstance(default, str):
            return str(parsed)
        raise ValueError
    except ValueError:
        raise ConfigError(f"bad value for {key!r}: {value!r} is not a {type(default).__name__} "
                          f"(default {default!r})") from None


#: The catalog: every registered experiment, by name.
experiments: Registry[Experiment] = Registry("experiment")


def register_experiment(exp: Experiment, *, overwrite: bool = False) -> Experiment:
    """Add ``exp`` to the catalog (so the CLI and :func:`atomlab.run` find it)."""
    return experiments.add(exp.name, exp, overwrite=overwrite)
