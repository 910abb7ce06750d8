"""Recorded results: a run kept in the repository in a compact, diffable form, from which the docs pages are made.

``atomlab docs --record RUN_DIR`` reads a finished run's folder (``verdict.json``, ``final.csv``,
``config.json`` and the figures that ``atomlab run`` wrote) and writes ``docs/results/NAME-SCALE.json`` plus,
for a paper run, its main figure in ``docs/results/NAME-SCALE/``. The record holds what a page shows and
nothing it does not: the verdict, each claim's tests (estimate, interval, level, p-value, method, seeds), per
arm the seeds and the per-seed values of the main metric and of every metric the source reports a number for
(with their mean and interval), the resolved settings, the discussion, and a summary of the run's provenance
(versions, machine, wall time, date, git commit).

The JSON is deterministic so that a re-recorded run diffs well: keys sorted, floats rounded to
:data:`SIGNIFICANT` significant digits, non-finite numbers as ``null``, each flat list on one line.
"""

from __future__ import annotations

import ast
import json
import math
import re
import shutil
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from atomlab import stats
from atomlab.errors import ConfigError
from atomlab.lab.experiment import Experiment, experiments
from atomlab.metrics import metric_bounds

#: Layout version of a record; a record of another layout is refused with a clear error.
FORMAT = 1
#: Significant digits kept of every float.
SIGNIFICANT = 6
#: The folder of the records, inside the docs folder.
RESULTS = "results"
#: The provenance kept in a record (the rest, such as the store's path, says nothing about the numbers).
PROVENANCE_KEYS = ("atomlab", "torch", "numpy", "scikit-learn", "python", "machine", "threads", "device",
                   "wall_time_s", "trials", "trials_trained", "trials_from_cache", "finished", "git_commit",
                   "rebuilt_from_run", "rebuilt")
#: Settings that may differ between a record and the declaration without making the record stale.
SEED_SETTINGS = ("seeds", "seeds_rule", "seeds_alpha", "scale")


def round_sig(x: float, digits: int = SIGNIFICANT) -> float | None:
    """``x`` rounded to ``digits`` significant digits; None for NaN and infinities (JSON has neither).

    Examples
    --------
    >>> round_sig(0.123456789), round_sig(123456789.0), round_sig(-2.5e-7 / 3), round_sig(float("nan"))
    (0.123457, 123457000.0, -8.33333e-08, None)
    """
    x = float(x)
    if not math.isfinite(x):
        return None
    return float(f"{x:.{digits}g}")


def rounded(obj: Any, digits: int = SIGNIFICANT) -> Any:
    """A JSON-ready copy of ``obj``: floats rounded (:func:`round_sig`), tuples as lists, NumPy as Python.

    Examples
    --------
    >>> rounded({"a": (1, 2.000000001), "b": np.float32(0.1), "c": [float("inf"), True]})
    {'a': [1, 2.0], 'b': 0.1, 'c': [None, True]}
    """
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, bool) or obj is None or isinstance(obj, int | str):
        return obj
    if isinstance(obj, float):
        return round_sig(obj, digits)
    if isinstance(obj, dict):
        return {str(k): rounded(v, digits) for k, v in obj.items()}
    if isinstance(obj, list | tuple | np.ndarray):
        return [rounded(v, digits) for v in obj]
    return str(obj)


def dumps(obj: Any) -> str:
    """Deterministic JSON text of ``obj`` (rounded first): keys sorted, flat lists on one line, a final newline.

    Examples
    --------
    >>> print(dumps({"b": [1, 2.00000001], "a": {"x": None}}), end="")
    {
     "a": {
      "x": null
     },
     "b": [1, 2.0]
    }
    """
    return _dump(rounded(obj), 0) + "\n"


def _dump(obj: Any, depth: int) -> str:
    # json.dumps has no option for "nested objects indented, leaf lists inline"; one arm's seeds on one line
    # keeps a record short and a changed value a one-line diff.
    pad = " " * (depth + 1)
    if isinstance(obj, dict):
        if not obj:
            return "{}"
        items = [f"{pad}{json.dumps(k, ensure_ascii=False)}: {_dump(obj[k], depth + 1)}" for k in sorted(obj)]
        return "{\n" + ",\n".join(items) + "\n" + " " * depth + "}"
    if isinstance(obj, list) and any(isinstance(x, dict | list) for x in obj):
        return "[\n" + ",\n".join(pad + _dump(x, depth + 1) for x in obj) + "\n" + " " * depth + "]"
    return json.dumps(obj, ensure_ascii=False)


def record_path(docs: str | Path, name: str, scale: str) -> Path:
    """Where the record of ``name`` at ``scale`` lives: ``docs/results/NAME-SCALE.json``.

    Examples
    --------
    >>> record_path("docs", "xor-depth", "paper").as_posix()
    'docs/results/xor-depth-paper.json'
    """
    return Path(docs) / RESULTS / f"{name}-{scale}.json"


# ----- building a record from a run folder ------------------------------------------------------------------
def build_record(run_dir: str | Path, experiment: Experiment | None = None) -> dict[str, Any]:
    r"""The record of the run in ``run_dir`` (nothing is written).

    Parameters
    ----------
    run_dir : path
        A folder written by ``atomlab run`` (or ``atomlab report RUN``): ``verdict.json``, ``final.csv`` and
        ``config.json``.
    experiment : Experiment, optional
        The experiment that ran (default: the catalog entry named in ``verdict.json``); its main metric and
        the metrics of its source numbers are recorded per arm and seed.

    Returns
    -------
    dict
        The record, not yet rounded (:func:`dumps` rounds it).

    Raises
    ------
    ConfigError
        A folder without the files of a finished run, or a run of an experiment not in the catalog.

    Examples
    --------
    >>> import json, tempfile
    >>> from atomlab.lab.experiment import Experiment
    >>> exp = Experiment(name="demo", title="Demo", source="000", section="1", question="?", hypothesis="",
    ...                  method="", source_conclusion="", settings={"width": [2, 4], "seeds": 2},
    ...                  factors=["width"], make_trial=lambda c, lv, s: None)
    >>> run = Path(tempfile.mkdtemp())
    >>> _ = (run / "verdict.json").write_text(json.dumps({"experiment": "demo", "scale": "paper",
    ...                                                   "verdict": "inconclusive", "metric": "test_acc"}))
    >>> _ = (run / "config.json").write_text(json.dumps(exp.config("paper")))
    >>> _ = (run / "final.csv").write_text("arm,seed,width,test_acc\nwidth=2,0,2,0.81\nwidth=2,1,2,0.83\n"
    ...                                    "width=4,0,4,0.9\nwidth=4,1,4,0.92\n")
    >>> record = build_record(run, exp)
    >>> [(a["levels"], a["metrics"]["test_acc"]["values"]) for a in record["arms"]]
    [({'width': 2}, [0.81, 0.83]), ({'width': 4}, [0.9, 0.92])]
    >>> build_record(run / "nowhere", exp)
    Traceback (most recent call last):
    ...
    atomlab.errors.ConfigError: no verdict.json in '.../nowhere': record the folder of a finished run ...
    """
    run_dir = Path(run_dir)
    verdict = _read_json(run_dir / "verdict.json")
    exp = experiment if experiment is not None else _experiment(verdict, run_dir)
    config = _read_json(run_dir / "config.json")
    try:
        final = pd.read_csv(run_dir / "final.csv")
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read {run_dir / 'final.csv'}: {exc}; record a folder written by "
                          "`atomlab run`") from None
    metrics = list(dict.fromkeys([verdict.get("metric") or exp.metric, *(n.metric for n in exp.source_numbers)]))
    return {
        "format": FORMAT,
        "experiment": exp.name,
        "scale": verdict.get("scale") or config.get("scale"),
        "verdict": verdict.get("verdict"),
        "verdict_line": verdict.get("verdict_line", ""),
        "agreement": verdict.get("agreement", ""),
        "agrees": verdict.get("agrees"),
        "seeds": int(verdict.get("seeds") or config.get("seeds") or 0),
        "seeds_rule": config.get("seeds_rule"),
        "metric": metrics[0],
        "claims": [_claim(c) for c in verdict.get("claims", [])],
        "arms": _arms(final, config, metrics),
        "trials": len(final),
        "diverged_trials": int(verdict.get("diverged_trials") or 0),
        "failed_trials": int(verdict.get("failed_trials") or 0),
        "discussion": verdict.get("discussion", ""),
        "config": {k: v for k, v in config.items() if k != "scale"},
        "figures": [],
        "provenance": {k: v for k, v in (verdict.get("provenance") or {}).items() if k in PROVENANCE_KEYS},
    }


def _read_json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise ConfigError(f"no {path.name} in {str(path.parent)!r}: record the folder of a finished run "
                          "(`atomlab run NAME --scale paper` writes runs/NAME-paper)") from None
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read {str(path)!r}: {exc}") from None


def _experiment(verdict: dict[str, Any], run_dir: Path) -> Experiment:
    name = verdict.get("experiment")
    if name not in experiments:
        raise ConfigError(f"{str(run_dir)!r} holds a run of {name!r}, which is not a catalog entry; only catalog "
                          f"entries have docs pages (known: {', '.join(experiments.names())})")
    return experiments.get(name)


def _claim(c: dict[str, Any]) -> dict[str, Any]:
    tests = [{"group": t.get("group", ""), "statistic": t.get("statistic", ""), "estimate": t.get("estimate"),
              "low": (t.get("ci") or [None, None])[0], "high": (t.get("ci") or [None, None])[1],
              "level": t.get("level"), "p_value": t.get("p_value"), "method": t.get("method", ""),
              "adjusted": t.get("adjusted", ""), "n_seeds": t.get("n_seeds"), "verdict": t.get("verdict"),
              "seeds_needed": t.get("seeds_needed"), "detail": t.get("detail", "")}
             for t in c.get("tests", [])]
    return {"text": c.get("text", ""), "verdict": c.get("verdict"), "check": bool(c.get("check")), "tests": tests}


_ARM_KEY = re.compile(r"(?:^|, )([A-Za-z_]\w*)=")


def _arms(final: pd.DataFrame, config: dict[str, Any], metrics: Sequence[str]) -> list[dict[str, Any]]:
    """Per arm, in the run's order: its levels, seeds, diverged and failed trials, and each metric per seed."""
    if final.empty or "arm" not in final.columns:
        return []
    final = final.assign(arm=final["arm"].fillna("").astype(str))  # an experiment without factors has arm ""
    arms = []
    for label, rows in final.groupby("arm", sort=False):
        # The arm's label names its level columns (``Trial.arm``); final.csv has their values, as text for lists.
        keys = [k for k in _ARM_KEY.findall(str(label)) if k in rows.columns]
        first = rows.iloc[0]
        levels = {k: _level(first[k], config.get(k)) for k in keys}
        seeds = sorted(int(s) for s in rows["seed"].unique())
        entry: dict[str, Any] = {"arm": str(label), "levels": levels, "seeds": seeds,
                                 "diverged": int(rows["diverged"].astype(bool).sum()) if "diverged" in rows else 0,
                                 "failed": int(rows["failed"].astype(bool).sum()) if "failed" in rows else 0,
                                 "metrics": {}}
        for metric in metrics:
            if metric not in rows.columns or not pd.api.types.is_numeric_dtype(rows[metric]):
                continue
            by_seed = rows.groupby("seed")[metric].agg(lambda v: v.mean(skipna=False))
            values = [float(by_seed.get(s, math.nan)) for s in seeds]
            entry["metrics"][metric] = {"values": values, **summary(values, metric)}
        arms.append(entry)
    return arms


def _level(raw: Any, declared: Any) -> Any:
    """A level read back from final.csv as the value the declaration gives (lists come back as text)."""
    if isinstance(raw, np.generic):
        raw = raw.item()
    for level in declared if isinstance(declared, list) else []:
        plain = tuple(level) if isinstance(level, list) else level
        if str(plain) == str(raw) or (_number(plain) and _number(raw) and float(plain) == float(raw)):
            return level
    if isinstance(raw, str) and raw[:1] in "([":
        try:
            parsed = ast.literal_eval(raw)
        except (ValueError, SyntaxError):
            return raw
        return list(parsed) if isinstance(parsed, tuple) else parsed
    return raw


def _number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def summary(values: Sequence[float], metric: str) -> dict[str, Any]:
    """``n``, ``mean``, ``low``, ``high``: the finite values' mean and 95 % interval inside the metric's bounds.

    Examples
    --------
    >>> s = summary([0.9, 0.92, float("nan"), 0.91], "test_acc")
    >>> s["n"], round(s["mean"], 3), s["low"] < s["mean"] < s["high"] <= 1
    (3, 0.91, True)
    """
    finite = np.asarray(values, dtype=float)
    finite = finite[np.isfinite(finite)]
    try:
        mean, low, high = stats.mean_interval(finite, bounds=metric_bounds(metric))
    except ConfigError:  # a value outside the range the metric's name promises: the interval without bounds
        mean, low, high = stats.mean_interval(finite)
    return {"n": int(len(finite)), "mean": mean, "low": low, "high": high}


# ----- writing and reading records --------------------------------------------------------------------------
def write_record(run_dir: str | Path, docs: str | Path, *, experiment: Experiment | None = None,
                 figures: bool | None = None) -> Path:
    """Record the run in ``run_dir`` into ``docs/results/NAME-SCALE.json`` (replacing an earlier record).

    Parameters
    ----------
    run_dir : path
        The folder of a finished run (see :func:`build_record`).
    docs : path
        The docs folder of the repository.
    experiment : Experiment, optional
        As for :func:`build_record`.
    figures : bool, optional
        Copy the run's main figure (PNG) into ``docs/results/NAME-SCALE/`` (default: only for ``paper`` runs,
        the ones the pages show).

    Returns
    -------
    Path
        The record's path.

    Examples
    --------
    >>> import tempfile
    >>> write_record(tempfile.mkdtemp(), "docs")
    Traceback (most recent call last):
    ...
    atomlab.errors.ConfigError: no verdict.json in '...': record the folder of a finished run ...
    """
    record = build_record(run_dir, experiment)
    path = record_path(docs, record["experiment"], record["scale"])
    path.parent.mkdir(parents=True, exist_ok=True)
    folder = path.with_suffix("")
    shutil.rmtree(folder, ignore_errors=True)  # figures of an earlier record must not outlive it
    if figures if figures is not None else record["scale"] == "paper":
        record["figures"] = _copy_figures(Path(run_dir), folder)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(dumps(record), encoding="utf-8")
    tmp.replace(path)
    return path


def _copy_figures(run_dir: Path, folder: Path) -> list[dict[str, Any]]:
    verdict = _read_json(run_dir / "verdict.json")
    figures = verdict.get("figures") or []
    # The main figure only (the first when none is marked): the report of the run holds the others, and each
    # re-record adds its PNGs to the repository's history.
    copied = []
    for fig in [f for f in figures if f.get("main")] or figures[:1]:
        src = run_dir / fig.get("path", "")
        png = src if src.suffix.lower() == ".png" else src.with_suffix(".png")
        if not png.is_file():
            continue
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(png, folder / png.name)
        copied.append({"name": fig.get("name", png.stem), "file": f"{folder.name}/{png.name}",
                       "caption": fig.get("caption", ""), "main": bool(fig.get("main"))})
    return copied


def run_folders(paths: Iterable[str | Path]) -> tuple[list[Path], list[str]]:
    """The run folders under ``paths``: each path is a run's folder, or a folder of them (``run --all``'s).

    Returns the folders to record and, for each one skipped, why (a failed entry of an atlas).

    Examples
    --------
    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp())
    >>> for name in ("a", "b"):
    ...     (root / name).mkdir()
    >>> _ = (root / "a" / "verdict.json").write_text("{}")
    >>> _ = (root / "b" / "error.txt").write_text("Traceback ...")
    >>> found, skipped = run_folders([root])
    >>> [p.name for p in found], [s.split(": ", 1)[1] for s in skipped]
    (['a'], ['its last run failed (error.txt)'])
    """
    found: list[Path] = []
    skipped: list[str] = []
    for given in paths:
        path = Path(given)
        if (path / "verdict.json").is_file():
            found.append(path)
            continue
        if not path.is_dir():
            raise ConfigError(f"no run folder at {str(path)!r}")
        inner = sorted(p for p in path.iterdir() if p.is_dir() and ((p / "verdict.json").is_file()
                                                                      or (p / "error.txt").is_file()))
        if not inner:
            raise ConfigError(f"{str(path)!r} holds no run (no verdict.json in it or in its folders)")
        for p in inner:
            error, verdict = p / "error.txt", p / "verdict.json"
            if error.is_file() and (not verdict.is_file() or error.stat().st_mtime > verdict.stat().st_mtime):
                skipped.append(f"{p}: its last run failed (error.txt)")
            else:
                found.append(p)
    return found, skipped


def load_record(path: str | Path) -> dict[str, Any]:
    """Read one record, checking its layout.

    Raises
    ------
    ConfigError
        Unreadable, or of another layout than :data:`FORMAT`.

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "x-paper.json"
    >>> _ = path.write_text(dumps({"format": FORMAT, "experiment": "x", "scale": "paper"}))
    >>> load_record(path)["experiment"]
    'x'
    >>> _ = path.write_text('{"format": 0}')
    >>> load_record(path)
    Traceback (most recent call last):
    ...
    atomlab.errors.ConfigError: '...x-paper.json' is a record of layout 0; this atomlab reads layout 1: re-record it ...
    """
    path = Path(path)
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read the record {str(path)!r}: {exc}") from None
    if not isinstance(record, dict) or record.get("format") != FORMAT:
        got = record.get("format") if isinstance(record, dict) else None
        raise ConfigError(f"{str(path)!r} is a record of layout {got!r}; this atomlab reads layout {FORMAT}: "
                          "re-record it (docs/developing.md, 'Regenerating the docs')")
    return record


def load_records(docs: str | Path) -> dict[tuple[str, str], dict[str, Any]]:
    """Every record under ``docs/results``, by ``(experiment, scale)``.

    Examples
    --------
    >>> import tempfile
    >>> docs = Path(tempfile.mkdtemp())
    >>> for scale in ("quick", "paper"):
    ...     path = record_path(docs, "x", scale)
    ...     path.parent.mkdir(exist_ok=True)
    ...     _ = path.write_text(dumps({"format": FORMAT, "experiment": "x", "scale": scale}))
    >>> sorted(load_records(docs))
    [('x', 'paper'), ('x', 'quick')]
    """
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for path in sorted((Path(docs) / RESULTS).glob("*.json")):
        record = load_record(path)
        out[(record["experiment"], record["scale"])] = record
    return out


def arms_frame(record: dict[str, Any]) -> pd.DataFrame:
    """The recorded per-seed values as a table: one row per arm and seed, level columns and one column per metric.

    Level values that are lists come back as tuples, as in a run's final table, so the rows are selected the
    way a claim selects them.

    Examples
    --------
    >>> rec = {"arms": [{"levels": {"layers": [4, 4]}, "seeds": [0, 1],
    ...                  "metrics": {"test_acc": {"values": [0.9, None]}}}]}
    >>> arms_frame(rec).to_dict("records")
    [{'layers': (4, 4), 'seed': 0, 'test_acc': 0.9}, {'layers': (4, 4), 'seed': 1, 'test_acc': nan}]
    """
    rows = []
    for arm in record.get("arms", []):
        levels = {k: tuple(v) if isinstance(v, list) else v for k, v in arm.get("levels", {}).items()}
        for i, seed in enumerate(arm.get("seeds", [])):
            row = {**levels, "seed": seed}
            for metric, m in arm.get("metrics", {}).items():
                value = m["values"][i]
                row[metric] = math.nan if value is None else float(value)
            rows.append(row)
    return pd.DataFrame(rows)


def stale(record: dict[str, Any], experiment: Experiment) -> list[str]:
    """How the record no longer matches the declaration, in words (empty when it matches).

    A setting whose recorded value differs from the declared one at the record's scale (the seed count
    aside: a record may use more seeds), a claim that is no longer declared, or a metric the source reports a
    number for that the record lacks.

    Examples
    --------
    >>> from atomlab.lab.experiment import Experiment
    >>> exp = Experiment(name="demo", title="Demo", source="000", section="1", question="?", hypothesis="",
    ...                  method="", source_conclusion="", settings={"width": [2, 4], "steps": 500},
    ...                  factors=["width"], make_trial=lambda c, lv, s: None)
    >>> record = {"scale": "paper", "config": {**exp.config("paper"), "steps": 200, "seeds": 20}}
    >>> stale(record, exp)
    ['`steps` was 200; declared now: 500']
    """
    notes = []
    declared = rounded(experiment.config(record["scale"]))
    used = rounded(record.get("config", {}))
    for key in sorted(set(declared) | set(used)):
        if key in SEED_SETTINGS:
            continue
        if key not in used:
            notes.append(f"setting `{key}` is new (declared now: {_text(declared[key])})")
        elif key not in declared:
            notes.append(f"setting `{key}` is no longer declared (recorded: {_text(used[key])})")
        elif declared[key] != used[key]:
            notes.append(f"`{key}` was {_text(used[key])}; declared now: {_text(declared[key])}")
    recorded = [c["text"] for c in record.get("claims", [])]
    for claim in experiment.claims_for(experiment.config(record["scale"])):
        if claim.describe() not in recorded:
            notes.append(f"claim \"{claim.describe()}\" is not in the record")
    have = {m for arm in record.get("arms", []) for m in arm.get("metrics", {})}
    for metric in dict.fromkeys(n.metric for n in experiment.source_numbers):
        if metric not in have and record.get("arms"):
            notes.append(f"metric `{metric}` (a source number's) was not recorded")
    return notes


def _text(v: Any) -> str:
    return json.dumps(v, ensure_ascii=False)
