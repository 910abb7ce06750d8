"""The atlas: one page over every experiment of a run directory, rebuilt from files on disk."""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path
from typing import Any

from atomlab._version import __version__
from atomlab.stats import counted

SOURCES = {
    "000": "000 — Atomic Experiments in Deep Learning (Abid, 2018)",
    "002": "002 — What 2D data reveals about deep nets (Gupta)",
    "003": "003 — Backpropagation from scratch and an MNIST CNN (problem set)",
    "004": "004 — Initialisation, depth, width and dropout (course problem set)",
}

CONTRADICTION = [
    "000 (Atomic Experiments, initializers) reports that an all-zero initialisation 'eventually trains', and "
    "blames numerical noise for breaking the symmetry. 004 (part 1, problem A) says a zero-initialised ReLU "
    "network never moves (part i) and that a zero-initialised sigmoid network changes only after about 3,500 "
    "epochs, into a poorly fitting straight line (part ii). Read together, they do not disagree.",
    "Both run here, on the same engine: see the `initializers` and `zero-initialization` reports. ReLU from zero "
    "weights and zero biases never moves: every hidden activation is relu(0) = 0, so every hidden gradient is "
    "exactly zero and only the output bias learns (004, part i). With the playground's own biases of 0.1 the "
    "ReLU activations are 0.1 and the weights do move. Sigmoid from zero weights moves from the first step. In "
    "every case each unit of a layer receives the same gradient as its neighbours, so the units stay copies and "
    "the network computes what one unit per layer would: a monotone function of one projection, whose boundary "
    "is a straight line. That is enough for 000's two Gaussians with a shared covariance, which a hyperplane "
    "separates best (the all-zero sigmoid network beats chance there), and not for 004's circle, which no line "
    "separates: 004's 'poorly fit straight line'.",
    "Rounding noise exists but does not decide it: in 004's small network (4 units, batches of 10) the copies "
    "stay bit-identical; in 000's (100, 100) network they differ by about the machine epsilon and some seeds "
    "amplify the difference over thousands of steps, yet float32 and float64 reach the same test accuracy seed "
    "by seed. What 000 saw 'eventually training' is symmetry that a straight line can live with, not noise.",
]


def family_summary(verdicts: list[dict[str, Any]], *, q: float = 0.05) -> list[str]:
    """The atlas read as one family of claims: how many stay decisive under a false-discovery control.

    Each experiment decides its own claims with Holm's correction (its family-wise error stays at 5 %).
    Across an atlas of many experiments some decisive verdicts are expected by chance; the
    Benjamini-Hochberg procedure over the raw p-values of every statistical test keeps the expected share of
    false discoveries among the decisive ones at ``q``. Checks (exact arithmetic) are counted apart.

    Examples
    --------
    >>> test = lambda p, v: {"p_value": p, "verdict": v}
    >>> v = [{"claims": [{"check": False, "verdict": "supported", "tests": [test(0.001, "supported")]},
    ...                  {"check": False, "verdict": "supported", "tests": [test(0.04, "supported")]},
    ...                  {"check": True, "verdict": "supported", "tests": [test(0.0, "supported")]}]}]
    >>> family_summary(v)[0].split(";")[0]
    '2 claims decided by statistics in 1 experiment'
    """
    from atomlab import stats

    claims = [c for v in verdicts for c in v.get("claims", []) if not c.get("check")]
    checks = [c for v in verdicts for c in v.get("claims", []) if c.get("check")]
    tests = [t for c in claims for t in c.get("tests", [])]
    p_values = [t.get("p_value") if t.get("p_value") is not None else 1.0 for t in tests]
    adjusted = iter(stats.benjamini_hochberg(p_values, q=q) if p_values else [])
    decisive = kept = 0
    for c in claims:
        fdr = [next(adjusted) for _ in c.get("tests", [])]
        if c.get("verdict") not in ("supported", "refuted"):
            continue
        decisive += 1
        deciding = [p for t, p in zip(c["tests"], fdr) if t.get("verdict") == c["verdict"]]
        kept += bool(deciding) and all(p < q for p in deciding)
    n_exp = len(verdicts)
    passed = sum(c.get("verdict") == "supported" for c in checks)
    return [
        f"{stats.counted(len(claims), 'claim')} decided by statistics in {stats.counted(n_exp, 'experiment')}; "
        f"{decisive} decisive under each experiment's Holm correction (family-wise error 5 % per experiment), "
        f"{kept} of them still decisive under a Benjamini-Hochberg false-discovery control at {q:.0%} over all "
        f"{stats.counted(len(tests), 'test')} of the atlas.",
        f"{stats.counted(len(checks), 'check')} (claims that hold by exact arithmetic, such as an output size or a "
        f"weight that cannot move) are counted apart: {passed} passed.",
    ]


def _numbers_reproduced(verdict: dict[str, Any]) -> tuple[int, int] | None:
    """``(inside, total)`` of the source's numbers in a ``verdict.json``; None when the run did not compare them."""
    numbers = verdict.get("source_numbers")
    if numbers is None:
        return None
    return sum(n.get("inside") is True for n in numbers), len(numbers)


def _entry_from(dir_: Path, base: Path):
    from atomlab.viz.atlas import AtlasEntry

    verdict_path = dir_ / "verdict.json"
    error_path = dir_ / "error.txt"
    newer_error = error_path.exists() and (not verdict_path.exists()
                                           or error_path.stat().st_mtime > verdict_path.stat().st_mtime)
    if verdict_path.exists() and not newer_error:
        v = json.loads(verdict_path.read_text())
        figures = v.get("figures") or []
        main = next((f for f in figures if f.get("main")), figures[0] if figures else None)
        thumb = (dir_ / main["path"]) if main else None
        return AtlasEntry(
            name=v["experiment"], title=v.get("title") or v["experiment"], source=v.get("source", ""),
            question=v.get("question", ""), verdict=v.get("verdict", "inconclusive"),
            report=os.path.relpath(dir_ / "report.html", base), section=v.get("section", ""),
            verdict_text=v.get("verdict_line") or f"{v.get('statistic', '')} ({counted(v.get('seeds'))} per arm)",
            source_conclusion=v.get("source_conclusion", ""), agreement=v.get("agreement", ""),
            agrees=v.get("agrees"),
            thumbnail=os.path.relpath(thumb, base) if thumb is not None and thumb.exists() else None,
            thumbnail_caption=main.get("caption", "") if main else "",
            numbers_reproduced=_numbers_reproduced(v),
        ), v
    if error_path.exists():
        reason = error_path.read_text().strip().splitlines()[-1] if error_path.read_text().strip() else "failed"
        return AtlasEntry(name=dir_.name, title=dir_.name, source="", question="", verdict="failed",
                          report=os.path.relpath(error_path, base), verdict_text=reason,
                          agreement="The experiment failed to run; see error.txt."), None
    return None, None


def write_atlas(root: Path, *, wall_time: float | None = None, failures: dict[str, str] | None = None) -> Path:
    """Write ``root/index.html`` from every ``root/*/verdict.json`` (and ``error.txt`` of failures).

    Parameters
    ----------
    root : Path
        A run directory holding one folder per experiment.
    wall_time : float, optional
        Seconds the whole run took (shown in the header).
    failures : dict, optional
        Experiments that failed in this run, with their error.
    """
    from atomlab.viz.atlas import render_atlas

    root = Path(root)
    from atomlab.errors import ConfigError

    if not root.is_dir():
        raise ConfigError(f"no run directory at {str(root)!r}; run `atomlab run --all --out DIR` first")
    entries, verdicts = [], []
    for dir_ in sorted(p for p in root.iterdir() if p.is_dir()):
        entry, v = _entry_from(dir_, root)
        if entry is not None:
            entries.append(entry)
        if v is not None:
            verdicts.append(v)
    if not entries:
        raise ConfigError(f"no experiment results under {str(root)!r} (expected NAME/verdict.json)")
    order = list(SOURCES)
    entries.sort(key=lambda e: (order.index(e.source) if e.source in order else len(order), e.name))
    for e in entries:
        e.source = SOURCES.get(e.source, e.source or "failed entries")
    scales = sorted({v.get("scale") for v in verdicts if v.get("scale")})
    walls = [v.get("provenance", {}).get("wall_time_s") or 0 for v in verdicts]
    prov = verdicts[0].get("provenance", {}) if verdicts else {}
    header: dict[str, Any] = {
        "title": "atomlab atlas",
        "intro": "Every atomic experiment of the source documents, re-run with seeds, each with its checked "
                 "verdict beside the source's own conclusion. Open a card for the full report.",
        "scale": ", ".join(scales),
        "experiments": len(entries),
        "failed": len(failures or {}) or sum(e.verdict == "failed" for e in entries),
        "wall_time_s": round(wall_time if wall_time is not None else sum(walls), 1),
        "machine": prov.get("machine") or f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores",
        "versions": {"atomlab": __version__, "torch": prov.get("torch", ""), "numpy": prov.get("numpy", ""),
                     "python": prov.get("python", platform.python_version())},
        "written": time.strftime("%Y-%m-%d %H:%M"),
    }
    names = {e.name for e in entries}
    sections = {"The atlas as one family of claims": family_summary(verdicts)}
    if names & {"initializers", "zero-initialization"}:
        sections["Where the sources seem to disagree: the all-zero initialisation"] = CONTRADICTION
    return render_atlas(entries, root, header=header, sections=sections)
