"""The atlas: one ``index.html`` over every experiment's report, grouped by source document."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from atomlab.stats import counted
from atomlab.viz._html import (
    DASH,
    VERDICTS,
    badge,
    check_verdict,
    esc,
    fmt_duration,
    fmt_value,
    href,
    page,
    paras,
    slug,
    write_atomic,
)

__all__ = ["AtlasEntry", "render_atlas", "scorecard_html"]

Sections = Mapping[str, Sequence[str] | str] | Sequence[tuple[str, Sequence[str] | str]]


@dataclass
class AtlasEntry:
    """One experiment's card in the atlas.

    Parameters
    ----------
    name
        Catalog name (also the card's anchor).
    title
        Human title.
    source
        The source document; cards are grouped by it, in order of first appearance.
    question
        The experiment's question.
    verdict
        supported, refuted, inconclusive or failed.
    report
        Path of the experiment's ``report.html``: relative to the atlas folder, or absolute.
    section
        Section of the source document the experiment reproduces.
    verdict_text
        The statistic behind the verdict, one line.
    source_conclusion
        The source's conclusion, quoted.
    agreement
        One sentence on whether our verdict agrees with the source.
    agrees
        True / False when it plainly does / does not; None when partly or not applicable.
    thumbnail
        Path of the main figure (relative to the atlas folder, or absolute), or None.
    thumbnail_caption
        Alt text of the thumbnail (the figure's caption).
    numbers_reproduced
        ``(inside, total)``: how many of the numbers the source reports lie inside our interval, of how many;
        None when the run did not compare them (a run of an older atomlab).
    """

    name: str
    title: str
    source: str
    question: str
    verdict: str
    report: str | os.PathLike[str]
    section: str = ""
    verdict_text: str = ""
    source_conclusion: str = ""
    agreement: str = ""
    agrees: bool | None = None
    thumbnail: str | os.PathLike[str] | None = None
    thumbnail_caption: str = ""
    numbers_reproduced: tuple[int, int] | None = None

    def __post_init__(self) -> None:
        self.verdict = check_verdict(self.verdict, what=f"verdict of {self.name!r}")


_ATLAS_CSS = """
.totals{display:flex;flex-wrap:wrap;gap:8px;margin:16px 0 6px;align-items:center}
.tally.total{background:#fff;color:var(--fg);border:1px solid var(--line)}
.facts{display:flex;flex-wrap:wrap;gap:4px 20px;color:var(--muted);font-size:.88rem;margin-top:10px}
.facts b{color:var(--fg);font-weight:600}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,300px),1fr));gap:18px}
.card{display:flex;flex-direction:column;border:1px solid var(--line);border-radius:12px;
background:#fff;overflow:hidden}
.card .thumb{display:block;background:#fff;border-bottom:1px solid var(--line);aspect-ratio:16/10}
.card .thumb img{display:block;width:100%;height:100%;object-fit:contain}
.card .nothumb{display:flex;align-items:center;justify-content:center;color:var(--muted);font-size:.85rem;
background:var(--panel);border-bottom:1px solid var(--line);aspect-ratio:16/10}
.card-body{padding:14px 16px 16px;display:flex;flex-direction:column;gap:8px;flex:1}
.card h3{font-size:1.05rem;line-height:1.3;margin:0}
.card h3 a{color:var(--fg);text-decoration:none}
.card h3 a:hover{text-decoration:underline}
.card p{margin:0;font-size:.92rem}
.card .sec{color:var(--muted);font-size:.82rem}
.card blockquote{font-size:.88rem;margin:0;color:#3d444d}
.card .vt{font-family:var(--mono);font-size:.8rem;overflow-wrap:anywhere}
.card .more{margin-top:auto;font-size:.9rem;font-weight:600}
.row{display:flex;flex-wrap:wrap;gap:6px;align-items:center}
.agree{font-size:.78rem;font-weight:600;padding:.12em .6em;border-radius:999px;border:1.5px solid;white-space:nowrap}
.agree.yes{color:#005a8c;border-color:#0072B2}
.agree.no{color:#8a3b00;border-color:#B84F00;border-style:dashed}
.agree.na{color:var(--muted);border-color:var(--line)}
.lbl{font-size:.72rem;letter-spacing:.08em;text-transform:uppercase;color:var(--muted);font-weight:600}
.notes p{max-width:75ch}
.sc-verdict{display:inline-flex;align-items:center;gap:.4em;padding:.16em .75em;border-radius:999px;
font-weight:650;font-size:.82rem;white-space:nowrap;line-height:1.5}
"""


def _agree_tag(agrees: bool | None, verdict: str) -> str:
    if verdict == "failed" and agrees is None:
        return '<span class="agree na">not compared</span>'
    if agrees is True:
        return '<span class="agree yes">\u2713 agrees with source</span>'
    if agrees is False:
        return '<span class="agree no">\u2260 disagrees with source</span>'
    return '<span class="agree na">partly / n.a.</span>'


def _card(e: AtlasEntry, base: Path) -> str:
    link = esc(href(e.report, base))
    if e.thumbnail is not None:
        alt = e.thumbnail_caption or f"Main figure of {e.title}"
        thumb = (
            f'<a class="thumb" href="{link}">'
            f'<img src="{esc(href(e.thumbnail, base))}" alt="{esc(alt)}" loading="lazy"></a>'
        )
    else:
        thumb = '<div class="nothumb">no figure</div>'
    quote = (
        f'<div><span class="lbl">Source concluded</span><blockquote>{esc(e.source_conclusion)}</blockquote></div>'
        if e.source_conclusion
        else ""
    )
    return (
        f'<article class="card" id="exp-{esc(slug(e.name))}">{thumb}<div class="card-body">'
        f'<div class="row">{badge(e.verdict)}{_agree_tag(e.agrees, e.verdict)}</div>'
        f'<h3><a href="{link}">{esc(e.title)}</a></h3>'
        + (f'<p class="sec">{esc(e.section)}</p>' if e.section else "")
        + f"<p>{esc(e.question)}</p>"
        + (f'<p class="vt">{esc(e.verdict_text)}</p>' if e.verdict_text else "")
        + quote
        + (f"<p>{esc(e.agreement)}</p>" if e.agreement else "")
        + f'<a class="more" href="{link}">Read the report \u2192</a></div></article>'
    )


def _numbers_text(numbers: tuple[int, int] | None) -> str:
    if numbers is None:
        return "not compared"
    inside, total = numbers
    return f"{inside} of {total}" if total else "none declared"


def scorecard_html(entries: Sequence[AtlasEntry], base: Path) -> str:
    """The reproduction scorecard: per entry, the source's claim, our verdict, agreement, numbers reproduced.

    Examples
    --------
    >>> e = AtlasEntry(name="width", title="Width", source="000", question="?", verdict="supported",
    ...                report="width/report.html", source_conclusion="Wider is better.", agrees=True,
    ...                numbers_reproduced=(2, 3))
    >>> html = scorecard_html([e], Path("."))
    >>> "Wider is better." in html and "2 of 3" in html
    True
    """
    rows = []
    for e in entries:
        rows.append(
            f'<tr><th scope="row"><a href="{esc(href(e.report, base))}">{esc(e.title)}</a></th>'
            # the scorecard's verdict looks like a badge but is not one: each card has the atlas's one badge
            f"<td>{esc(e.source_conclusion or DASH)}</td><td>{badge(e.verdict, cls='sc-verdict')}</td>"
            f"<td>{_agree_tag(e.agrees, e.verdict)}</td>"
            f'<td class="num">{esc(_numbers_text(e.numbers_reproduced))}</td></tr>'
        )
    compared = [e.numbers_reproduced for e in entries if e.numbers_reproduced and e.numbers_reproduced[1]]
    inside, total = sum(n[0] for n in compared), sum(n[1] for n in compared)
    summary = (
        f'<p class="muted small">Numbers reproduced: how many of the numbers the source reports lie inside our '
        f"95% interval for the same arm (each report lists them). In all: {inside} of {total}, over "
        f"{counted(len(compared), 'experiment')} whose source reports numbers we "
        "compare.</p>"
    )
    return (
        '<section class="notes" id="scorecard"><h2>Reproduction scorecard</h2>' + summary
        + '<div class="table-wrap"><table class="data"><thead><tr><th scope="col">Experiment</th>'
        '<th scope="col">The source\'s claim</th><th scope="col">Our verdict</th><th scope="col">Agreement</th>'
        '<th scope="col" class="num">Numbers reproduced</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div></section>"
    )


def _fact(key: str, value: Any) -> str:
    if isinstance(value, Mapping):
        text = " · ".join(f"{k} {fmt_value(v)}" for k, v in value.items())
    elif isinstance(value, int | float) and not isinstance(value, bool) and "wall" in key.lower():
        text = fmt_duration(value)
        key = key.removesuffix("_s")
    else:
        text = fmt_value(value)
    label = key.replace("_", " ")
    return f"<span>{esc(label[:1].upper() + label[1:])}: <b>{esc(text)}</b></span>"


def _sections_html(sections: Sections | None) -> str:
    if not sections:
        return ""
    items = sections.items() if isinstance(sections, Mapping) else sections
    out = []
    for heading, body in items:
        text = [body] if isinstance(body, str) else list(body)
        out.append(
            f'<section class="notes" id="{esc(slug(heading))}"><h2>{esc(heading)}</h2>'
            + "".join(paras(t) for t in text)
            + "</section>"
        )
    return "".join(out)


def render_atlas(
    entries: Sequence[AtlasEntry],
    out_dir: str | Path,
    *,
    header: Mapping[str, Any],
    sections: Sections | None = None,
) -> Path:
    """Write ``out_dir/index.html``: every experiment as a card, grouped by source document.

    Each card shows the verdict badge, whether it agrees with the source, the question, the
    thumbnail of the main figure, the source's conclusion and a link to the report. The header
    counts the verdicts and lists the run's facts. After the cards, the reproduction scorecard
    (:func:`scorecard_html`) lists every experiment in one table.

    Parameters
    ----------
    entries
        The experiments, in display order within their source.
    out_dir
        Folder of the atlas (created if missing). Relative paths in the entries are relative to it.
    header
        ``title`` and ``intro`` (text) are shown as such; every other key is a fact of the run
        (``versions`` as a mapping, ``machine``, ``wall_time_s``, ``command``, ...).
    sections
        Optional free text after the cards: heading -> paragraphs (plain text, escaped here), e.g.
        ``{"Where the sources disagree": ["...", "..."]}``.

    Returns
    -------
    Path
        The written ``index.html``.

    Examples
    --------
    >>> import tempfile
    >>> e = AtlasEntry(name="width", title="Width", source="Atomic experiments", question="Does width help?",
    ...                verdict="supported", report="width/report.html")
    >>> with tempfile.TemporaryDirectory() as d:
    ...     text = render_atlas([e], d, header={"title": "atomlab atlas"}).read_text()
    >>> text.count('class="badge v-supported"'), text.count('class="sc-verdict v-supported"')  # card, scorecard
    (1, 1)
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    base = out.resolve()
    head = dict(header)
    title = str(head.pop("title", "atomlab atlas"))
    intro = str(head.pop("intro", ""))

    groups: dict[str, list[AtlasEntry]] = {}
    for e in entries:
        groups.setdefault(e.source, []).append(e)

    counts = {v: sum(e.verdict == v for e in entries) for v in VERDICTS}
    tallies = [f'<span class="tally total">{len(entries)} experiments</span>']
    tallies += [
        badge(v, cls="tally", text=f"{n} {v}")
        for v, n in counts.items()
        if n
    ]
    n_yes = sum(e.agrees is True for e in entries)
    n_no = sum(e.agrees is False for e in entries)
    agree_line = (
        f'<p class="muted small">Agreement with the sources: {n_yes} agree, {n_no} disagree, '
        f"{len(entries) - n_yes - n_no} partly or not applicable.</p>"
    )
    facts = "".join(_fact(k, v) for k, v in head.items())
    toc = "".join(
        f'<a href="#src-{esc(slug(src))}">{esc(src)} ({len(es)})</a>' for src, es in groups.items()
    ) + ('<a href="#scorecard">Reproduction scorecard</a>' if entries else "")
    header_html = (
        '<header class="page"><div class="wrap">'
        '<p class="eyebrow">atomlab · atlas of experiments</p>'
        f"<h1>{esc(title)}</h1>{paras(intro, cls='muted')}"
        f'<div class="totals">{"".join(tallies)}</div>{agree_line}'
        f'<div class="facts">{facts}</div>'
        + (f'<nav class="toc" aria-label="Sources">{toc}</nav>' if toc else "")
        + "</div></header>"
    )
    body = []
    for src, es in groups.items():
        sub = {v: sum(e.verdict == v for e in es) for v in VERDICTS}
        summary = ", ".join(f"{n} {v}" for v, n in sub.items() if n)
        body.append(
            f'<section class="source-group" id="src-{esc(slug(src))}"><h2>{esc(src)}</h2>'
            f'<p class="muted small">{counted(len(es), "experiment")}: {esc(summary)}</p>'
            f'<div class="cards">{"".join(_card(e, base) for e in es)}</div></section>'
        )
    if entries:
        body.append(scorecard_html(entries, base))
    else:
        body.append(f'<section><p class="muted">No experiments {DASH} nothing was run.</p></section>')
    body.append(_sections_html(sections))
    footer = (
        '<footer class="page"><div class="wrap">Generated by atomlab. Each report and figure is a file beside '
        "this page; nothing is loaded from the network.</div></footer>"
    )
    html_text = page(title, f'{header_html}<main class="wrap">{"".join(body)}</main>{footer}', css=_ATLAS_CSS)
    return write_atomic(out / "index.html", html_text)
