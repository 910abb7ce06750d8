"""Turning a :class:`Result` into the HTML report (the drawing itself lives in ``atomlab.viz``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only: lab.result imports this module to show a Result in a notebook
    import pandas as pd

    from atomlab.lab.result import Result


def report_content(result: Result):
    """The :class:`atomlab.viz.report.ReportContent` of ``result``."""
    from atomlab.viz.report import ReportContent

    exp = result.experiment
    discussion = result.discussion()
    if exp.differences:
        discussion = (discussion + "\n\nWhere this differs from the source: " + exp.differences).strip()
    claims = []
    for c in result.claims:
        for t in c.tests:
            claim = f"{c.text} [{t.group}]" if t.group else c.text
            notes = [t.detail]
            if t.seeds_needed:
                notes.append(f"about {t.seeds_needed} seeds would give this test 80% power at its level")
            kind = "check (exact)" if c.check else f"{100 * t.level:.3g}% interval"
            claims.append({"claim": ("check: " if c.check else "") + claim, "verdict": t.verdict,
                           "statistic": f"{t.statistic} = {t.estimate:+.3g}", "ci": t.ci, "n_seeds": t.n_seeds,
                           "test": "; ".join(p for p in (t.method, kind, t.adjusted) if p),
                           "note": "; ".join(n for n in notes if n)})
    params = {k: v for k, v in result.config.items()}
    beside = result.beside_source()
    data_notes = sorted({getattr(o, "info", {}).get("data_note", "") for o in result.outcomes} - {""})
    extras = {}
    if callable(getattr(exp, "comparison_dict", None)):  # a user's comparison: arms and hypothesis, no source
        extras = {"comparison": True, "arm_table": exp.arm_table(result), "per_seed": exp.per_seed_table(result),
                  "hypothesis_stated": bool(exp.stated)}
    return ReportContent(
        sanity=result.sanity(), **extras,
        title=exp.title, name=exp.name, source=f"{exp.source} — {exp.section}", question=exp.question,
        hypothesis=exp.hypothesis, method=exp.method, parameters=params, scale=result.config.get("scale", ""),
        seeds=int(result.config.get("seeds", 0)), verdict=result.verdict,
        verdict_text=result.verdict_line(), claims=claims, source_conclusion=exp.source_conclusion,
        agreement=result.agreement(), discussion=discussion, figures=list(result.figures),
        summary_table=result.summary_table(), provenance=result.provenance,
        data_note="; ".join(data_notes), parameter_origins=parameter_origins(result),
        source_numbers=beside_table(beside) if beside else None,
    )


def parameter_origins(result: Result) -> dict[str, str]:
    """Where each setting of the run comes from: the entry's provenance, or that this run set it.

    A value that differs from the declaration at the run's scale was set for this run (``--set``,
    ``--seeds``), whatever the declaration says of the declared value.
    """
    from atomlab.lab.experiment import SCALES
    from atomlab.lab.pages import origin_text, value_text
    from atomlab.lab.recorded import rounded

    exp = result.experiment
    provenance = getattr(exp, "provenance", None) or {}
    scale = result.config.get("scale")
    declared = exp.config(scale) if scale in SCALES else {}
    out = {}
    for key, value in result.config.items():
        if key == "scale":
            continue
        if key in declared and rounded(declared[key]) != rounded(value):
            out[key] = f"set for this run (declared: {value_text(rounded(declared[key]))})"
        elif provenance:
            out[key] = origin_text(provenance.get(key))
    return out


def beside_table(beside) -> pd.DataFrame:
    """The source's numbers beside ours, one row each (for the report's table)."""
    import pandas as pd

    return pd.DataFrame([{"arm": b.arm, "metric": b.number.metric, "source": b.number.value,
                          "where the source says it": b.number.what or None, "ours: mean": b.mean,
                          "low": b.low, "high": b.high, "seeds": b.n, "source in our interval": b.outcome}
                         for b in beside])


def write_report(result: Result, out: Path) -> Path:
    """Write ``out/report.html`` and return its path."""
    from atomlab.viz.report import render_report

    return render_report(report_content(result), out)


def result_fragment(result: Result) -> str:
    """HTML for Jupyter: verdict, summary table, main figure.

    A result run without an output folder has drawn no figure yet: its figures are drawn into a
    temporary folder for the fragment (the main one is embedded in the HTML, so the folder can go).
    """
    import tempfile

    from atomlab.viz.report import result_html

    content = report_content(result)
    if result.figures or result.experiment.figures is None or result.final.empty:
        return result_html(content, base_dir=result.out_dir)
    with tempfile.TemporaryDirectory(prefix="atomlab-figures-") as tmp:
        try:
            content.figures = list(result.experiment.figures(result, Path(tmp)))
        except Exception as exc:  # a notebook display must not raise: say why there is no figure
            content.figures = []
            content.sanity = [*content.sanity, f"no figure: drawing it failed ({type(exc).__name__}: {exc})"]
        return result_html(content, base_dir=tmp)
