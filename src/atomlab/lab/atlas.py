"""The atlas: one page over every experiment of a run directory, rebuilt from files on disk."""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path
from typing import Any

from atomlab._version import __version__

SOURCES = {
    "000": "000 — Atomic Experiments in Deep Learning (Abid, 2018)",
    "002": "002 — What 2D data reveals about deep nets (Gupta)",
    "003": "003 — Backpropagation from scratch and an MNIST CNN (problem set)",
    "004": "004 — Initialisation, depth, width and dropout (course problem set)",
}

CONTRADICTION = [
    "000 (Atomic Experiments, initializers) reports that an all-zero initialisation 'eventually trains', and "
    "blames numerical noise for breaking the symmetry. 004 (part 1) says zero-initialised weights never move.",
    "Both run here, on the same engine: see the `initializers` and `zero-initialization` reports. With ReLU and "
    "all-zero weights and biases every hidden activation is relu(0) = 0, so every hidden gradient is exactly "
    "zero: nothing but the output bias moves (004 is right). With sigmoid the hidden units do move, but every "
    "unit of a layer receives the same gradient, so the units stay exact copies (their spread stays 0 in float32 "
    "and float64 alike): the network trains, but as a network of one unit per layer. That is what 000 saw "
    "'eventually training', and it is symmetry, not noise, that limits it.",
]


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
            verdict_text=f"{v.get('statistic', '')} ({v.get('seeds')} seeds per arm)",
            source_conclusion=v.get("source_conclusion", ""), agreement=v.get("agreement", ""),
            agrees=v.get("agrees"),
            thumbnail=os.path.relpath(thumb, base) if thumb is not None and thumb.exists() else None,
            thumbnail_caption=main.get("caption", "") if main else "",
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
    sections = {}
    if names & {"initializers", "zero-initialization"}:
        sections["Where the sources disagree: the all-zero initialisation"] = CONTRADICTION
    return render_atlas(entries, root, header=header, sections=sections or None)
