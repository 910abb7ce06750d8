"""Declaring an experiment, and resolving its configuration for a scale and user overrides."""

from __future__ import annotations

import ast
import itertools
import math
import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from atomlab.engine.spec import MAX_BATCH, MAX_STEPS
from atomlab.errors import ConfigError, unknown_choice
from atomlab.lab.claims import Claim
from atomlab.lab.trial import Trial
from atomlab.nn.spec import MAX_WIDTH
from atomlab.registry import Registry

SCALES = ("smoke", "quick", "paper")
#: The most seeds a run may ask for (``--seeds``, ``--set seeds=``, ``seeds=`` in Python, ``auto:MAX``).
MAX_SEEDS = 10_000
#: The most examples a data-set setting (``n_train``, ``n_test``) may ask for.
MAX_ROWS = 10_000_000
#: The longest text a ``--set`` value may be: longer ones are refused before they are parsed, since
#: ``ast.literal_eval`` of 100,000 characters can exhaust memory (a MemoryError, not a clear error).
MAX_VALUE_CHARS = 1_000


@dataclass(frozen=True)
class Range:
    """The values a numeric setting may take: ``low <= value <= high`` (ends open where asked).

    Parameters
    ----------
    low, high : float
        The ends.
    whole : bool
        Only whole numbers (a float such as ``1e3`` is accepted when it is whole).
    none : bool
        ``None`` is allowed too (``batch_size=None``: full batch).
    low_open, high_open : bool
        Exclude that end.
    zero_if_default : bool
        0 is allowed too where the setting's declared default is 0 (MNIST's ``n_test=0`` keeps all).

    Examples
    --------
    >>> Range(1, 10, whole=True).check("seeds", 0)
    Traceback (most recent call last):
    ...
    atomlab.errors.ConfigError: seeds must be a whole number from 1 to 10, got 0
    >>> Range(0, 1).check("threshold", 0.5)
    """

    low: float
    high: float
    whole: bool = False
    none: bool = False
    low_open: bool = False
    high_open: bool = False
    zero_if_default: bool = False

    def describe(self) -> str:
        """The allowed values in words: ``a whole number from 1 to 10,000``."""
        if self.whole:
            text = f"a whole number from {self.low:,} to {self.high:,}"
        elif math.isinf(self.high):
            text = f"a finite number {'>' if self.low_open else '>='} {self.low:g}"
        else:
            text = (f"a number in {'(' if self.low_open else '['}{self.low:g}, {self.high:g}"
                    f"{')' if self.high_open else ']'}")
        return text + (", or None" if self.none else "")

    def check(self, key: str, value: Any, default: Any = None, *, shown: str | None = None) -> None:
        """Raise a ConfigError naming ``key``, ``value`` (or the text ``shown``) and the allowed range."""
        if value is None and self.none:
            return
        if self.zero_if_default and value == 0 and default == 0 and not isinstance(value, bool):
            return
        ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)
        if ok and self.whole:
            ok = float(value).is_integer()
        if ok:
            ok = (self.low < value if self.low_open else self.low <= value) and \
                 (value < self.high if self.high_open else value <= self.high)
        if not ok:
            extra = " (0 keeps all, as the default does)" if self.zero_if_default and default == 0 else ""
            given = shown if shown is not None else repr(value)
            raise ConfigError(f"{key} must be {self.describe()}{extra}, got {given}")


#: Settings that mean the same in every entry, checked whenever a user gives them (``--set``, keyword
#: overrides, ``compare``'s levels); an entry states the ranges of its own settings in ``Experiment.bounds``.
SETTING_RANGES: dict[str, Range] = {
    "seeds": Range(1, MAX_SEEDS, whole=True),
    "seed": Range(0, 2**31 - 1, whole=True),
    "steps": Range(1, MAX_STEPS, whole=True, none=True),
    "epochs": Range(1, MAX_STEPS, whole=True, none=True),
    "batch_size": Range(1, MAX_BATCH, whole=True, none=True),
    "n_train": Range(1, MAX_ROWS, whole=True, zero_if_default=True),
    "n_test": Range(1, MAX_ROWS, whole=True, zero_if_default=True),
    "lr": Range(0, math.inf),
    "dropout": Range(0, 1, high_open=True),
    "keep_prob": Range(0, 1, low_open=True),
}
#: Settings holding hidden-layer widths (a width, a list of widths, or a list of such lists as levels).
WIDTH_SETTINGS = ("layers", "hidden_units", "width", "hidden")


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
    bounds : dict, optional
        ``{setting: (low, high)}``: the range of an entry's own numeric setting (every level of a factor),
        checked in :meth:`config` with one clear error; settings common to all entries (``seeds``,
        ``steps``, ``batch_size``...) are checked by :data:`SETTING_RANGES` already.
    choices : dict, optional
        ``{setting: allowed values}``: for a setting (or factor) that names one of a fixed set (an arm
        of a table in the entry), so that an unknown level is refused before anything is planned.
    quick_seed_growth : int, optional
        The default run (``quick``, no ``--seeds``) adds seeds in rounds up to this many times its seeds
        (``--seeds auto:N``); None is :data:`atomlab.lab.api.QUICK_GROWTH`. For an entry whose real but
        small effects need more seeds than one round, when its seeds are cheap.
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
    bounds: dict[str, tuple[float, float]] = field(default_factory=dict)
    choices: dict[str, Sequence[Any]] = field(default_factory=dict)
    quick_seed_growth: int | None = None

    def __post_init__(self) -> None:
        reserved = {"arm", "seed", "trial", "step", "epoch", "diverged", "diverged_step", "wall_time", "scale"}
        clash = reserved & set(self.factors)
        if clash:
            raise ConfigError(f"experiment {self.name!r}: factor name(s) {sorted(clash)} are reserved "
                              f"(result columns); choose others")
        growth = self.quick_seed_growth
        if growth is not None and (isinstance(growth, bool) or not isinstance(growth, int) or not 1 <= growth <= 16):
            raise ConfigError(f"experiment {self.name!r}: quick_seed_growth must be an integer from 1 to 16 (or "
                              f"None for the default); got {growth!r}")
        self.settings = {"seeds": 5, "seed": 0, **self.settings}
        # The first seed is atomlab's numbering in every entry: a source's own seed would not draw the same
        # numbers through different code, so no entry can claim it from its source.
        self.provenance = {"seed": "assumed: atomlab's numbering; a source's own seed would not draw the same "
                                   "numbers here", **self.provenance}
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
        for key in [*self.bounds, *self.choices]:
            if key not in self.settings:
                raise unknown_choice(f"setting in {self.name!r}'s bounds or choices", key, self.settings)

    # ----- configuration ------------------------------------------------------------------
    def config(self, scale: str = "quick", overrides: dict[str, Any] | None = None,
               seeds: int | None = None) -> dict[str, Any]:
        """The resolved settings for ``scale``, then ``overrides`` (validated), then ``seeds``.

        Every override is converted to its default's type and checked against its range (see
        :func:`coerce`, :attr:`bounds`, :attr:`choices`); the resolved number of seeds must be from 1 to
        :data:`MAX_SEEDS`, however it was given.
        """
        if not isinstance(scale, str) or scale not in SCALES:
            raise unknown_choice("scale", scale, SCALES)
        if overrides is not None and not isinstance(overrides, dict):
            raise ConfigError(f"overrides must be a dict of settings, got {overrides!r}")
        cfg = {**self.settings, **self.scales.get(scale, {})}
        for key, value in (overrides or {}).items():
            if key not in cfg:
                raise unknown_choice(f"setting for {self.name}", key, cfg)
            default = cfg[key]
            rule = SETTING_RANGES.get(key)
            if rule is not None and rule.zero_if_default and self.settings.get(key) == 0:
                default = 0  # the entry's own default is 0 ("all"), whatever its scale samples
            cfg[key] = coerce(key, value, default, is_factor=key in self.factors)
        if seeds is not None:
            cfg["seeds"] = seeds
        SETTING_RANGES["seeds"].check("seeds", cfg["seeds"])
        SETTING_RANGES["seed"].check("seed", cfg["seed"])
        for key, (low, high) in self.bounds.items():
            given = (overrides or {}).get(key)
            shown = given if isinstance(given, str) and key not in self.factors else None
            for level in _levels(cfg[key], key in self.factors):
                Range(low, high).check(f"{key} (in {self.name})", level, shown=shown)
        for key, allowed in self.choices.items():
            for level in _levels(cfg[key], key in self.factors):
                if level not in allowed:
                    raise unknown_choice(f"{key} for {self.name}", level, [str(a) for a in allowed])
        cfg["seeds"] = int(cfg["seeds"])
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
                try:
                    made = self.make_trial(cfg, lv, seed)
                except KeyError as exc:
                    # An entry that looks its arms up in a table of its own: a level that is not in the
                    # table is the user's value, not a bug, when it is the missing key.
                    bad = [f for f, v in lv.items() if isinstance(v, str | int) and exc.args and v == exc.args[0]]
                    if not bad:
                        raise
                    declared = _levels(self.settings[bad[0]], True)
                    raise ConfigError(f"{self.name} has no arm for {bad[0]}={lv[bad[0]]!r}; its declared levels "
                                      f"are: {', '.join(map(str, declared))}") from None
                if made is None:
                    continue
                trials.extend(made if isinstance(made, list) else [made])
        return trials

    def check_metrics(self, cfg: dict[str, Any], trials: Sequence[Trial]) -> None:
        """Refuse, before training, a metric that training cannot produce (``compare(metric="nosuch")``).

        The columns are known in advance only for a plan of population trials (MLPs) without a
        ``derive`` hook: the levels, and the losses and accuracies (or mean squared errors) the
        engine records for the task of the data. Other plans are not checked here.

        Examples
        --------
        >>> from atomlab.engine import TrainSpec
        >>> from atomlab.lab.trial import DataSpec
        >>> from atomlab.nn import MLPSpec
        >>> exp = Experiment(name="doc", title="", source="", section="", question="", hypothesis="", method="",
        ...                  source_conclusion="", settings={"lr": [0.1]}, factors=["lr"], metric="test_accuracy",
        ...                  make_trial=lambda c, lv, s: Trial(lv, s, DataSpec("moons"), MLPSpec(), TrainSpec(steps=1)))
        >>> cfg = exp.config("quick")
        >>> exp.check_metrics(cfg, exp.plan(cfg))  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        atomlab.errors.ConfigError: unknown metric of doc 'test_accuracy'; did you mean 'test_acc'? known: ...
        """
        if self.derive is not None or not trials or any(t.kind != "population" for t in trials):
            return
        from atomlab.lab.data import materialize

        task = materialize(trials[0].data).task
        known = {"train_loss", "test_loss", *(("train_acc", "test_acc") if task == "classification"
                                               else ("train_mse", "test_mse")), "wall_time", "step", "epoch"}
        for t in trials:
            known |= set(t.levels)
            if t.train is not None and t.train.unit_spread:
                known |= {f"unit_spread_{k}" for k in range(len(t.model.layers))}
        named = [self.metric, *(getattr(c, "metric", None) for c in self.claims_for(cfg))]
        for metric in named:
            if metric is not None and metric not in known:
                raise unknown_choice(f"metric of {self.name}", metric, sorted(known))

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


def _levels(value: Any, is_factor: bool) -> list[Any]:
    """The values to check of a setting: each level of a factor, else the value itself."""
    return list(value) if is_factor and isinstance(value, list | tuple) else [value]


def _widths(value: Any) -> list[Any]:
    """Every width in a width setting: ``4``, ``[4, 8]`` or ``[[4, 4], [8]]``."""
    if isinstance(value, list | tuple):
        return [w for v in value for w in _widths(v)]
    return [value]


def _check_setting(key: str, value: Any, default: Any, is_factor: bool, shown: str | None = None) -> None:
    """Check a user's value of a setting common to every entry against :data:`SETTING_RANGES`.

    ``shown`` is the text the user gave, named in the error (``'1e30'`` rather than the integer it became).
    """
    if key in SETTING_RANGES:
        sample = default[0] if is_factor and isinstance(default, list | tuple) and default else default
        for level in _levels(value, is_factor):
            SETTING_RANGES[key].check(key, level, sample, shown=None if is_factor else shown)
    elif key in WIDTH_SETTINGS:
        for width in _widths(value):
            Range(1, MAX_WIDTH, whole=True).check(f"{key} (a hidden-layer width)", width)


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
    except (MemoryError, RecursionError):
        raise ConfigError(f"the value {text[:40]!r}... is nested too deeply to read") from None
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
    >>> coerce("steps", "many", 100)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    atomlab.errors.ConfigError: bad value for 'steps': 'many'; steps must be a whole number from 1 to 100,000,000...
    >>> coerce("epochs", "0", 100)
    Traceback (most recent call last):
    ...
    atomlab.errors.ConfigError: epochs must be a whole number from 1 to 100,000,000, or None, got 0
    """
    if isinstance(value, str) and len(value) > MAX_VALUE_CHARS:
        raise ConfigError(f"the value for {key!r} ({value[:20]!r}...) is {len(value):,} characters long; at most "
                          f"{MAX_VALUE_CHARS:,} are allowed")
    result = _coerce(key, value, default, is_factor)
    _check_setting(key, result, default, is_factor, shown=value if isinstance(value, str) else None)
    return result


def _coerce(key: str, value: Any, default: Any, is_factor: bool) -> Any:
    parsed = _parse_text(value) if isinstance(value, str) else value
    if is_factor or isinstance(default, list | tuple):
        items = list(parsed) if isinstance(parsed, list | tuple) else [parsed]
        if is_factor and isinstance(default, list | tuple) and default and isinstance(default[0], list | tuple):
            # levels that are themselves lists (layer widths): a flat list is one level
            if items and not isinstance(items[0], list | tuple):
                items = [items]
        sample = default[0] if isinstance(default, list | tuple) and default else None
        # items are parsed already: coerce their type, never re-parse a string (it may hold commas)
        return [v if sample is None or isinstance(sample, list | tuple) or _same_type(v, sample)
                else _coerce(key, v, sample, False) for v in items]
    if default is None or _same_type(parsed, default):
        return parsed
    try:
        if isinstance(parsed, bool) and not isinstance(default, bool):
            raise ValueError  # True is an int to Python, but epochs=True is a mistake, not one epoch
        if isinstance(default, bool):
            if str(parsed).lower() in ("true", "1", "yes"):
                return True
            if str(parsed).lower() in ("false", "0", "no"):
                return False
            raise ValueError
        if isinstance(default, int) and isinstance(parsed, float) and parsed.is_integer():
            # past 2**53 a float is no exact count: keep it, so a range check names 1e+30, not its digits
            return int(parsed) if abs(parsed) <= 2**53 else parsed
        if isinstance(default, float) and isinstance(parsed, int | float):
            return float(parsed)
        if isinstance(default, str):
            return str(parsed)
        raise ValueError
    except ValueError:
        if key in SETTING_RANGES:
            raise ConfigError(f"bad value for {key!r}: {value!r}; {key} must be "
                              f"{SETTING_RANGES[key].describe()}") from None
        name = type(default).__name__
        raise ConfigError(f"bad value for {key!r}: {value!r} is not {'an' if name[0] in 'aeiou' else 'a'} {name} "
                          f"(default {default!r})") from None


def _same_type(value: Any, default: Any) -> bool:
    """``value`` has ``default``'s type (a bool is not taken for an int, nor an int for a bool)."""
    return isinstance(value, type(default)) and isinstance(value, bool) == isinstance(default, bool)


#: The catalog: every registered experiment, by name (experiments are declarations, not callables).
experiments: Registry[Experiment] = Registry("experiment", callables=False)


def register_experiment(exp: Experiment, *, overwrite: bool = False) -> Experiment:
    """Add ``exp`` to the catalog (so the CLI and :func:`atomlab.run` find it)."""
    return experiments.add(exp.name, exp, overwrite=overwrite)
