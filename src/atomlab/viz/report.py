"""The HTML report of one experiment, and its fragment for Jupyter.

:func:`render_report` writes ``report.html`` beside the experiment's figures: one self-contained
page (inline CSS, system fonts, no scripts, no network) that reads well from a 390 px phone to a
desktop. It puts the verdict first, quotes the source's conclusion beside ours, then shows the
claims with their statistics, the figures, the numbers, the method with every parameter, and the
provenance of the run.
"""

from __future__ import annotations

import base64
import shutil
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from atomlab.errors import ConfigError
from atomlab.viz._html import (
    DASH,
    badge,
    check_verdict,
    df_table,
    esc,
    flatten,
    fmt_ci,
    fmt_value,
    inline_badge_style,
    kv_table,
    page,
    paras,
    slug,
    write_atomic,
)
from atomlab.viz.atlas import AtlasEntry, render_atlas
from atomlab.viz.style import FigureRecord

__all__ = ["AtlasEntry", "ReportContent", "render_atlas", "render_report", "result_html"]

# Raster figures at most this wide (about 7 inches at 150 dpi) are shown two to a row.
_PAIR_MAX_PX = 1100
_CLAIM_KEYS = ("claim", "verdict", "statistic", "ci", "n_seeds", "test", "note")


@dataclass
class ReportContent:
    """Everything one experiment's report shows, as plain values.

    Parameters
    ----------
    title
        Human title ("Width of a single hidden layer").
    name
        Catalog name (``universal-approximation``).
    source
        Citation: document and section ("Atomic experiments in deep learning, §1").
    question, hypothesis, method
        Text; blank lines separate paragraphs and `backticks` mark code.
    parameters
        Every parameter of the run (nested mappings are shown with dotted keys).
    scale
        ``smoke``, ``quick`` or ``paper``.
    seeds
        Number of seeds per arm (or a description such as ``"0-9"``).
    verdict
        One of supported, refuted, inconclusive, failed.
    verdict_text
        The statistic behind the verdict, one line.
    claims
        One dict per checked claim with keys ``claim``, ``verdict``, ``statistic``, ``ci``
        (a (low, high) pair or text), ``n_seeds``, ``test``, ``note``; missing keys show a dash.
    source_conclusion
        The source's own conclusion, quoted verbatim.
    agreement
        Whether and how our verdict agrees with the source.
    discussion
        Our explanation of the result.
    figures
        The figures; the ``main`` ones come first.
    summary_table
        The result summary (one row per arm, usually).
    provenance
        Versions, seed, threads, wall time, machine, command.
    data_note
        Where the data came from and anything unusual about it.
    sanity
        Warnings about arms that diverged, failed or did not learn; shown in every report (an empty list
        says the checks passed).
    comparison
        A user's comparison rather than a catalog entry: the page speaks of the hypothesis and the arms,
        and has no source sections.
    hypothesis_stated
        For a comparison: whether the user stated a hypothesis (else the arms are set against the
        baseline, and no verdict badge is shown).
    arm_table
        For a comparison: one row per arm (its levels, the metric with its interval, against the baseline).
    per_seed
        For a comparison: the metric of every trial, one row per seed and one column per arm.
    parameter_origins
        Where each parameter's value comes from (``"source text"``, ``"assumed"``, ``"changed: why"``, ``"set for
        this run"``); when given, the parameters table shows it in a third column.
    source_numbers
        The numbers the source reports beside ours (one row each: arm, metric, the source's value, our mean
        and interval, whether the source's value lies inside), or None when the source reports none.
    """

    title: str
    name: str
    source: str = ""
    question: str = ""
    hypothesis: str = ""
    method: str = ""
    parameters: Mapping[str, Any] = field(default_factory=dict)
    scale: str = ""
    seeds: int | str = ""
    verdict: str = "inconclusive"
    verdict_text: str = ""
    claims: Sequence[Mapping[str, Any]] = field(default_factory=list)
    source_conclusion: str = ""
    agreement: str = ""
    discussion: str = ""
    figures: Sequence[FigureRecord] = field(default_factory=list)
    summary_table: pd.DataFrame | None = None
    provenance: Mapping[str, Any] = field(default_factory=dict)
    data_note: str = ""
    sanity: Sequence[str] = ()
    comparison: bool = False
    hypothesis_stated: bool = True
    arm_table: pd.DataFrame | None = None
    per_seed: pd.DataFrame | None = None
    parameter_origins: Mapping[str, str] = field(default_factory=dict)
    source_numbers: pd.DataFrame | None = None

    def __post_init__(self) -> None:
        self.verdict = check_verdict(self.verdict)
        for i, claim in enumerate(self.claims):
            unknown = set(claim) - set(_CLAIM_KEYS)
            if unknown:
                raise ConfigError(
                    f"claim {i} has unknown key(s) {sorted(unknown)}; known: {', '.join(_CLAIM_KEYS)}"
                )
            if claim.get("verdict") is not None:
                check_verdict(claim["verdict"], what=f"verdict of claim {i}")
        names = [f.name for f in self.figures]
        dup = {n for n in names if names.count(n) > 1}
        if dup:
            raise ConfigError(f"figure names must be unique; repeated: {', '.join(sorted(dup))}")

    def ordered_figures(self) -> list[FigureRecord]:
        """Figures with the main ones first, otherwise in the given order."""
        return sorted(self.figures, key=lambda f: not f.main)

    def _repr_html_(self) -> str:
        return result_html(self)


def _locate(fig: FigureRecord, out_dir: Path) -> Path:
    """The figure's file: absolute, or relative to the report folder, or to the working directory."""
    p = fig.path
    for cand in ([p] if p.is_absolute() else [out_dir / p, Path.cwd() / p]):
        if cand.is_file():
            return cand.resolve()
    raise ConfigError(f"figure {fig.name!r}: no file at {p} (looked beside the report and in the working directory)")


def _figure_src(fig: FigureRecord, out_dir: Path) -> str:
    """Relative link from the report to the figure, copying it beside the report when it lives elsewhere."""
    src = _locate(fig, out_dir)
    root = out_dir.resolve()
    try:
        rel = src.relative_to(root)
    except ValueError:
        dest = root / "figures" / f"{slug(fig.name)}{src.suffix.lower()}"
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dest)
        rel = dest.relative_to(root)
    return esc("/".join(_quote(part) for part in rel.parts))


def _quote(part: str) -> str:
    return urllib.parse.quote(part)


def _inline_badge(verdict: str | None) -> str:
    if not verdict:
        return DASH
    return f'<span style="{inline_badge_style(verdict)}">{esc(check_verdict(verdict))}</span>'


def _pixel_width(path: Path) -> int | None:
    """Natural width of a raster image in pixels (None when unknown, e.g. SVG)."""
    try:
        from PIL import Image

        with Image.open(path) as im:
            return int(im.size[0])
    except Exception:  # not an image Pillow reads; layout falls back to full width
        return None


def _figures_html(content: ReportContent, out_dir: Path) -> str:
    figs = content.ordered_figures()
    if not figs:
        return '<p class="muted">No figures (the experiment produced none).</p>'
    out, pair = [], []
    for i, fig in enumerate(figs, start=1):
        src = _figure_src(fig, out_dir)
        width = _pixel_width(_locate(fig, out_dir))
        # Main figures and wide ones (grids of panels) take the full column; small ones go two abreast.
        full = fig.main or width is None or width > _PAIR_MAX_PX
        block = (
            f'<figure class="fig{" main" if fig.main else ""}" id="fig-{esc(slug(fig.name))}">'
            f'<a href="{src}"><img src="{src}" alt="{esc(fig.caption)}" loading="lazy"></a>'
            f"<figcaption><strong>Figure {i}.</strong> {esc(fig.caption)}</figcaption></figure>"
        )
        if full:
            if pair:  # keep the reading order: a waiting half-width figure goes out first
                out.append(f'<div class="fig-grid">{"".join(pair)}</div>')
                pair = []
            out.append(block)
        else:
            pair.append(block)
            if len(pair) == 2:
                out.append(f'<div class="fig-grid">{"".join(pair)}</div>')
                pair = []
    if pair:
        out.append(f'<div class="fig-grid">{"".join(pair)}</div>')
    return "".join(out)


def _claims_html(claims: Sequence[Mapping[str, Any]]) -> str:
    if not claims:
        return '<p class="muted">No separate claims; see the verdict above.</p>'
    num = ' class="num"'
    head = "".join(
        f'<th scope="col"{num if h == "Seeds" else ""}>{h}</th>'
        for h in ("Claim", "Verdict", "Statistic", "CI", "Seeds", "Test", "Note")
    )
    rows = []
    for c in claims:
        v = c.get("verdict")
        cells = [
            f"<td>{esc(c.get('claim') or DASH)}</td>",
            f"<td>{badge(v) if v else DASH}</td>",
            f'<td class="stat">{esc(fmt_value(c.get("statistic")))}</td>',
            f'<td class="stat">{esc(fmt_ci(c.get("ci")))}</td>',
            f'<td class="num">{esc(fmt_value(c.get("n_seeds")))}</td>',
            f"<td>{esc(c.get('test') or DASH)}</td>",
            f"<td>{esc(c.get('note') or DASH)}</td>",
        ]
        rows.append(f"<tr>{''.join(cells)}</tr>")
    return (
        f'<div class="table-wrap"><table class="claims"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def _parameters_html(parameters: Mapping[str, Any], origins: Mapping[str, str]) -> str:
    """The parameters, with where each value comes from when ``origins`` says it."""
    if not origins:
        return kv_table(parameters, key_head="Parameter")
    rows = "".join(
        f'<tr><th scope="row"><code>{esc(k)}</code></th><td>{esc(fmt_value(v))}</td>'
        f"<td>{esc(origins.get(k.split('.')[0]) or DASH)}</td></tr>"
        for k, v in flatten(parameters)
    )
    return (
        '<div class="table-wrap"><table class="kv"><thead><tr><th scope="col">Parameter</th>'
        '<th scope="col">Value</th><th scope="col">Where the value comes from</th></tr></thead>'
        f"<tbody>{rows}</tbody></table></div>"
    )


_REPORT_CSS = """
.head-grid{display:flex;flex-wrap:wrap;gap:10px 14px;align-items:center;margin-top:14px}
.verdict-text{font-family:var(--mono);font-size:.9rem;overflow-wrap:anywhere}
.meta{display:flex;flex-wrap:wrap;gap:4px 18px;color:var(--muted);font-size:.9rem;margin-top:12px}
.meta b{color:var(--fg);font-weight:600}
.label{font-size:.75rem;letter-spacing:.08em;text-transform:uppercase;color:var(--muted);margin:0 0 6px;font-weight:600}
.ours .badge{margin-bottom:8px}
figure{margin:0 0 28px}
figure img{display:block;max-width:100%;height:auto;margin:0 auto;border:1px solid var(--line);
border-radius:8px;background:#fff}
figure.main img{width:100%;object-fit:contain}
figcaption{font-size:.92rem;color:var(--muted);margin-top:8px;max-width:75ch}
.fig-grid{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:22px}
@media (max-width:720px){.fig-grid{grid-template-columns:minmax(0,1fr)}}
td.stat{font-family:var(--mono);font-size:.84rem;white-space:nowrap}
table.claims td:first-child{min-width:14em}
.facts{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:0 0 14px}
.facts dt{color:var(--muted)}
.facts dd{margin:0}
.sanity{border-left:4px solid #E69F00}
.sanity ul{margin:0;padding-left:1.2em}
"""


#: What the sanity section says when no check fired.
SANITY_PASSED = ("No warnings: no arm diverged or failed, and every arm learned (on its training data, at least "
                 "halfway from chance to a perfect score, and a training loss that fell by 10% or more).")


def _sanity_html(notes: Sequence[str]) -> str:
    if not notes:
        return f'<p class="muted">{esc(SANITY_PASSED)}</p>'
    items = "".join(f"<li>{esc(n)}</li>" for n in notes)
    return f'<div class="panel sanity"><ul>{items}</ul></div>'


def _comparison_body(c: ReportContent, out_dir: Path) -> str:
    """The page of a user's comparison: hypothesis and verdict, arms, sanity, figures, numbers, settings."""
    sections: list[tuple[str, str, str]] = []
    sections.append(("question", "Question and hypothesis", (
        '<div class="two">'
        f'<div class="panel"><p class="label">Question</p>{paras(c.question) or DASH}</div>'
        f'<div class="panel"><p class="label">Hypothesis</p>{paras(c.hypothesis) or DASH}</div>'
        "</div>"
    )))
    if c.arm_table is not None:
        sections.append(("arms", "Arms", df_table(c.arm_table)))
    sections.append(("sanity", "Sanity checks", _sanity_html(c.sanity)))
    tests_note = "" if c.hypothesis_stated else (
        '<p class="muted">No hypothesis was stated, so each arm is tested against the baseline two-sided: '
        "<em>supported</em> means that it differs (the sign of the statistic says which way), <em>inconclusive</em> "
        "that the data cannot tell them apart.</p>")
    sections.append(("tests", "Tests", tests_note + _claims_html(c.claims)))
    sections.append(("figures", "Figures", _figures_html(c, out_dir)))
    if c.per_seed is not None:
        sections.append(("per-seed", "Per-seed results", df_table(c.per_seed)))
    if c.summary_table is not None:
        sections.append(("results", "Every metric per arm", df_table(c.summary_table)))
    sections.append(("settings", "Method and every setting", (
        f"{paras(c.method)}{kv_table(c.parameters, key_head='Setting')}"
    )))
    if c.data_note:
        sections.append(("data", "Data", paras(c.data_note)))
    sections.append(("provenance", "Provenance", kv_table(c.provenance, key_head="Item", durations=True)))
    toc = "".join(f'<a href="#{sid}">{esc(h)}</a>' for sid, h, _ in sections)
    header = (
        '<header class="page"><div class="wrap">'
        f'<p class="eyebrow">atomlab comparison · <code>{esc(c.name)}</code></p>'
        f"<h1>{esc(c.title)}</h1>"
        f'<div class="head-grid">{badge(c.verdict, large=True) if c.hypothesis_stated else ""}'
        f'<span class="verdict-text">{esc(c.verdict_text)}</span></div>'
        f'<div class="meta"><span>Seeds <b>{esc(fmt_value(c.seeds))}</b></span></div>'
        f'<nav class="toc" aria-label="Sections">{toc}</nav>'
        "</div></header>"
    )
    body = "".join(f'<section id="{sid}"><h2>{esc(h)}</h2>{html}</section>' for sid, h, html in sections)
    footer = ('<footer class="page"><div class="wrap">Generated by atomlab compare. config.json beside this page '
              "repeats the run: <code>atomlab compare --config config.json</code>.</div></footer>")
    return f'{header}<main class="wrap">{body}</main>{footer}'


def _report_body(c: ReportContent, out_dir: Path) -> str:
    if c.comparison:
        return _comparison_body(c, out_dir)
    sections: list[tuple[str, str, str]] = []  # (id, heading, html)

    sections.append(("question", "Question and hypothesis", (
        '<div class="two">'
        f'<div class="panel"><p class="label">Question</p>{paras(c.question) or DASH}</div>'
        f'<div class="panel"><p class="label">Hypothesis</p>{paras(c.hypothesis) or DASH}</div>'
        "</div>"
    )))
    sections.append(("verdict", "Our verdict beside the source's", (
        '<div class="two">'
        '<div class="panel theirs"><p class="label">The source concluded</p>'
        f"<blockquote>{paras(c.source_conclusion) or '<p>' + DASH + '</p>'}</blockquote>"
        f'<p class="cite">{esc(c.source) if c.source else ""}</p></div>'
        '<div class="panel ours"><p class="label">We found</p>'
        f'<div>{badge(c.verdict, large=True)}</div>'
        f'<p class="verdict-text">{esc(c.verdict_text or DASH)}</p>'
        f'<p class="label">Agreement</p>{paras(c.agreement) or "<p>" + DASH + "</p>"}</div>'
        "</div>"
    )))
    sections.append(("claims", "Claims checked", _claims_html(c.claims)))
    sections.append(("sanity", "Sanity checks", _sanity_html(c.sanity)))
    if c.source_numbers is not None:
        sections.append(("source-numbers", "The source's numbers beside ours", (
            '<p class="muted small">Each number the source reports, beside our mean over seeds for the same arm '
            "and its 95% interval; the last column says whether the source's number lies inside it.</p>"
            + df_table(c.source_numbers))))
    sections.append(("figures", "Figures", _figures_html(c, out_dir)))
    if c.discussion:
        sections.append(("discussion", "Discussion", paras(c.discussion)))
    if c.summary_table is not None:
        sections.append(("results", "Results", df_table(c.summary_table)))
    facts = (
        '<dl class="facts">'
        f"<dt>Scale</dt><dd>{esc(c.scale or DASH)}</dd>"
        f"<dt>Seeds</dt><dd>{esc(fmt_value(c.seeds) if c.seeds != '' else DASH)}</dd>"
        "</dl>"
    )
    sections.append(("method", "Method", (
        f"{paras(c.method)}{facts}<h3>Parameters</h3>"
        f"{_parameters_html(c.parameters, c.parameter_origins)}"
    )))
    if c.data_note:
        sections.append(("data", "Data", paras(c.data_note)))
    sections.append(("provenance", "Provenance", kv_table(c.provenance, key_head="Item", durations=True)))

    toc = "".join(f'<a href="#{sid}">{esc(head)}</a>' for sid, head, _ in sections)
    meta = []
    if c.scale:
        meta.append(f"<span>Scale <b>{esc(c.scale)}</b></span>")
    if c.seeds != "":
        meta.append(f"<span>Seeds <b>{esc(fmt_value(c.seeds))}</b></span>")
    if c.claims:
        meta.append(f"<span>Claims <b>{len(c.claims)}</b></span>")
    header = (
        '<header class="page"><div class="wrap">'
        f'<p class="eyebrow">atomlab experiment · <code>{esc(c.name)}</code></p>'
        f"<h1>{esc(c.title)}</h1>"
        + (f'<p class="muted">Source: {esc(c.source)}</p>' if c.source else "")
        + f'<div class="head-grid">{badge(c.verdict, large=True)}'
        f'<span class="verdict-text">{esc(c.verdict_text)}</span></div>'
        f'<div class="meta">{"".join(meta)}</div>'
        f'<nav class="toc" aria-label="Sections">{toc}</nav>'
        "</div></header>"
    )
    body = "".join(f'<section id="{sid}"><h2>{esc(head)}</h2>{html}</section>' for sid, head, html in sections)
    footer = (
        '<footer class="page"><div class="wrap">Generated by atomlab. '
        "Figures and data files sit beside this page; it loads nothing from the network.</div></footer>"
    )
    return f'{header}<main class="wrap">{body}</main>{footer}'


def render_report(content: ReportContent, out_dir: str | Path) -> Path:
    """Write the experiment's report page, ``out_dir/report.html``.

    Figures are linked by relative path; any figure outside ``out_dir`` is first copied into
    ``out_dir/figures/`` so that the folder is complete on its own. The page is written atomically.

    Parameters
    ----------
    content
        What the report shows.
    out_dir
        Folder of the report (created if missing).

    Returns
    -------
    Path
        The written ``report.html``.

    Raises
    ------
    atomlab.errors.ConfigError
        When a figure's file does not exist.

    Examples
    --------
    >>> import tempfile
    >>> c = ReportContent(title="Demo", name="demo", verdict="supported", parameters={"lr": 0.1})
    >>> with tempfile.TemporaryDirectory() as d:
    ...     text = render_report(c, d).read_text()
    >>> "<code>lr</code>" in text and "supported" in text
    True
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    html_text = page(f"{content.title} · atomlab", _report_body(content, out), css=_REPORT_CSS)
    return write_atomic(out / "report.html", html_text)


def result_html(content: ReportContent, *, base_dir: str | Path | None = None, max_rows: int = 20) -> str:
    """An HTML fragment of the result for Jupyter's ``_repr_html_``.

    Verdict badge and statistic, the claims, the main figure embedded as a base64 data URI (so it
    shows without the files beside it), and the head of the summary table. Styles are inline, since
    notebook front ends may strip style sheets.

    Parameters
    ----------
    content
        The report content.
    base_dir
        Folder against which relative figure paths are resolved (default: the working directory).
    max_rows
        Rows of the summary table shown.

    Returns
    -------
    str

    Examples
    --------
    >>> frag = result_html(ReportContent(title="Demo", name="demo", verdict="refuted", verdict_text="d = -0.4"))
    >>> "refuted" in frag and "d = -0.4" in frag
    True
    """
    c = content
    v = c.verdict
    parts = [
        '<div class="atomlab-result" style="font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;'
        'line-height:1.5;max-width:920px">',
        f'<div style="font-size:1.15em;font-weight:600;margin-bottom:4px">{esc(c.title)} '
        f'<code style="font-weight:400;font-size:.8em">{esc(c.name)}</code></div>',
        f'<div style="margin:6px 0 10px">{_inline_badge(v) if c.hypothesis_stated else ""} '
        f'<span style="font-family:monospace">{esc(c.verdict_text)}</span></div>',
    ]
    if c.sanity:
        parts.append('<ul style="margin:4px 0 10px;padding-left:1.2em;color:#8a4b00">'
                     + "".join(f"<li>{esc(n)}</li>" for n in c.sanity) + "</ul>")
    if c.comparison and c.arm_table is not None:
        parts.append(df_table(c.arm_table, max_rows=max_rows))
    elif c.claims:
        rows = "".join(
            f"<tr><td style='text-align:left'>{esc(cl.get('claim') or DASH)}</td>"
            f"<td>{_inline_badge(cl.get('verdict'))}</td>"
            f"<td style='font-family:monospace'>{esc(fmt_value(cl.get('statistic')))}</td>"
            f"<td style='font-family:monospace'>{esc(fmt_ci(cl.get('ci')))}</td>"
            f"<td>{esc(fmt_value(cl.get('n_seeds')))}</td></tr>"
            for cl in c.claims
        )
        parts.append(
            "<table><thead><tr><th style='text-align:left'>Claim</th><th>Verdict</th><th>Statistic</th>"
            f"<th>CI</th><th>Seeds</th></tr></thead><tbody>{rows}</tbody></table>"
        )
    figs = c.ordered_figures()
    if figs:
        fig = figs[0]
        base = Path(base_dir) if base_dir is not None else Path.cwd()
        try:
            path = _locate(fig, base)
        except ConfigError:
            parts.append(f"<p><em>Figure file not found: {esc(fig.path)}</em></p>")
        else:
            png = path.with_suffix(".png")
            path = png if png.is_file() else path
            mime = "image/svg+xml" if path.suffix.lower() == ".svg" else "image/png"
            data = base64.b64encode(path.read_bytes()).decode("ascii")
            parts.append(
                f'<figure style="margin:10px 0"><img src="data:{mime};base64,{data}" alt="{esc(fig.caption)}" '
                f'style="max-width:100%;height:auto"><figcaption style="font-size:.9em;color:#59636e">'
                f"{esc(fig.caption)}</figcaption></figure>"
            )
    if c.summary_table is not None and not c.summary_table.empty and not c.comparison:
        parts.append(df_table(c.summary_table, max_rows=max_rows))
    parts.append("</div>")
    return "".join(parts)
