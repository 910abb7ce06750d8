"""HTML building blocks shared by the report and the atlas: escaping, values, tables, badges, the page.

Everything a caller passes in is text and is escaped here; no caller-supplied HTML reaches a page.
Pages are self-contained: one inline style sheet, system fonts, no scripts, images by relative path.
"""

from __future__ import annotations

import html
import math
import os
import re
import urllib.parse
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from atomlab.errors import ConfigError
from atomlab.viz.style import VERDICT_STYLE

VERDICTS: tuple[str, ...] = tuple(VERDICT_STYLE)
DASH = "\u2014"


def esc(text: object) -> str:
    """Escape any value for HTML text or a quoted attribute."""
    return html.escape("" if text is None else str(text), quote=True)


def check_verdict(verdict: str, what: str = "verdict") -> str:
    """Normalise a verdict to lower case, or raise naming the allowed ones."""
    v = str(verdict).strip().lower()
    if v not in VERDICT_STYLE:
        raise ConfigError(f"unknown {what} {verdict!r}; known: {', '.join(VERDICTS)}")
    return v


def paras(text: str | None, cls: str | None = None) -> str:
    """Plain text to paragraphs: blank lines separate them; `backticks` become <code>."""
    if not text or not str(text).strip():
        return ""
    attr = f' class="{esc(cls)}"' if cls else ""
    out = []
    for block in re.split(r"\n\s*\n", str(text).strip()):
        body = esc(" ".join(line.strip() for line in block.splitlines()))
        body = re.sub(r"`([^`]+)`", r"<code>\1</code>", body)
        out.append(f"<p{attr}>{body}</p>")
    return "\n".join(out)


def fmt_value(v: Any) -> str:
    """Compact text for a table cell: 4 significant digits, lists in brackets, None as a dash."""
    if v is None:
        return DASH
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "NaN"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        if v == 0:
            return "0"
        if v.is_integer() and abs(v) < 1e6:
            return str(int(v))
        a = abs(v)
        return f"{v:.3g}" if a >= 1e5 or a < 1e-3 else f"{v:.4g}"
    if isinstance(v, list | tuple):
        return "[" + ", ".join(fmt_value(x) for x in v) + "]"
    if isinstance(v, np.ndarray):
        return fmt_value(v.tolist())
    if isinstance(v, Mapping):
        return "{" + ", ".join(f"{k}: {fmt_value(x)}" for k, x in v.items()) + "}"
    return str(v)


def fmt_ci(ci: Any) -> str:
    """A confidence interval as [low, high]; text passes through."""
    if ci is None:
        return DASH
    if isinstance(ci, list | tuple | np.ndarray) and len(ci) == 2:
        return f"[{fmt_value(ci[0])}, {fmt_value(ci[1])}]"
    return fmt_value(ci)


def fmt_duration(seconds: float) -> str:
    """12.3 -> '12.3 s', 125 -> '2 min 5 s', 7300 -> '2 h 1 min'."""
    s = float(seconds)
    if s < 60:
        return f"{s:.3g} s"
    if s < 3600:
        return f"{int(s // 60)} min {int(round(s % 60))} s"
    return f"{int(s // 3600)} h {int(round(s % 3600 / 60))} min"


def flatten(d: Mapping[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    """Nested mappings to (dotted key, value) rows, in insertion order."""
    rows: list[tuple[str, Any]] = []
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, Mapping) and v:
            rows.extend(flatten(v, key + "."))
        else:
            rows.append((key, v))
    return rows


def _is_num(v: Any) -> bool:
    return isinstance(v, int | float | np.integer | np.floating) and not isinstance(v, bool | np.bool_)


def kv_table(d: Mapping[str, Any], *, key_head: str = "Name", value_head: str = "Value",
             durations: bool = False) -> str:
    """A two-column table of a (possibly nested) mapping."""
    if not d:
        return f"<p class=\"muted\">{DASH}</p>"
    body = []
    for k, v in flatten(d):
        if durations and _is_num(v) and ("wall" in k.lower() or k.lower().endswith("_s")):
            text = fmt_duration(v)
        else:
            text = fmt_value(v)
        body.append(f"<tr><th scope=\"row\"><code>{esc(k)}</code></th><td>{esc(text)}</td></tr>")
    return (
        f'<div class="table-wrap"><table class="kv"><thead><tr><th scope="col">{esc(key_head)}</th>'
        f'<th scope="col">{esc(value_head)}</th></tr></thead><tbody>{"".join(body)}</tbody></table></div>'
    )


def df_table(df: pd.DataFrame, *, max_rows: int | None = None, caption: str | None = None) -> str:
    """A DataFrame as an escaped HTML table in a horizontally scrolling wrapper."""
    if df is None or df.empty:
        return f"<p class=\"muted\">{DASH}</p>"
    # An index carries meaning when it is named, has several levels or holds labels; a bare integer
    # index (often shuffled by sorting) is just row numbers and is dropped.
    idx = df.index
    show_index = (
        idx.name is not None or isinstance(idx, pd.MultiIndex) or not pd.api.types.is_integer_dtype(idx.dtype)
    )
    frame = df.reset_index() if show_index else df.reset_index(drop=True)
    more = 0
    if max_rows is not None and len(frame) > max_rows:
        more = len(frame) - max_rows
        frame = frame.head(max_rows)
    num_cols = {c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])
                and not pd.api.types.is_bool_dtype(frame[c])}
    num = ' class="num"'
    head = "".join(f'<th scope="col"{num if c in num_cols else ""}>{esc(c)}</th>' for c in frame.columns)
    rows = []
    for rec in frame.itertuples(index=False, name=None):
        cells = "".join(
            f"<td{num if c in num_cols else ''}>{esc(fmt_value(v))}</td>"
            for c, v in zip(frame.columns, rec)
        )
        rows.append(f"<tr>{cells}</tr>")
    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    tall = " tall" if len(frame) > 25 else ""
    note = f'<p class="muted small">{more} more rows not shown.</p>' if more else ""
    return (
        f'<div class="table-wrap{tall}"><table class="data">{cap}<thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>{note}"
    )


def badge(verdict: str, *, large: bool = False, cls: str = "badge", text: str | None = None) -> str:
    """Verdict badge: colour, symbol and the word (or ``text``), so colour is never the only cue."""
    v = check_verdict(verdict)
    symbol = VERDICT_STYLE[v][2]
    size = " lg" if large else ""
    return (
        f'<span class="{cls} v-{v}{size}"><span class="sym" aria-hidden="true">{esc(symbol)}</span>'
        f"{esc(v if text is None else text)}</span>"
    )


def inline_badge_style(verdict: str) -> str:
    """Inline style of a badge, for fragments shown where style sheets may be stripped (Jupyter)."""
    bg, fg, _ = VERDICT_STYLE[check_verdict(verdict)]
    return (
        f"background:{bg};color:{fg};padding:2px 10px;border-radius:999px;font-weight:600;"
        "font-size:0.9em;white-space:nowrap"
    )


def slug(text: str) -> str:
    """An HTML id from any text."""
    s = re.sub(r"[^A-Za-z0-9]+", "-", str(text)).strip("-").lower()
    return s or "x"


def href(path: str | os.PathLike[str], base: Path) -> str:
    """A relative, percent-encoded link from pages in ``base`` to ``path`` (absolute or relative to base)."""
    p = Path(path)
    rel = os.path.relpath(p, base) if p.is_absolute() else str(p)
    return urllib.parse.quote(Path(rel).as_posix())


def write_atomic(path: Path, text: str) -> Path:
    """Write text to a temporary file beside ``path`` and rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}.{os.getpid()}.tmp"
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def _verdict_css() -> str:
    return "\n".join(f".v-{v}{{background:{bg};color:{fg}}}" for v, (bg, fg, _) in VERDICT_STYLE.items())


BASE_CSS = (
    """
:root{--fg:#1f2328;--muted:#59636e;--bg:#ffffff;--panel:#f6f8fa;--line:#d1d9e0;--accent:#0072B2;
--font:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,"Noto Sans",sans-serif;
--mono:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;font:16px/1.6 var(--font);color:var(--fg);background:var(--bg)}
.wrap{max-width:1060px;margin:0 auto;padding:0 24px}
a{color:#005a8c}
a:hover{color:#003f63}
header.page{background:var(--panel);border-bottom:1px solid var(--line);padding:28px 0 24px}
.eyebrow{font-size:.78rem;letter-spacing:.08em;text-transform:uppercase;color:var(--muted);margin:0 0 6px}
.eyebrow code{text-transform:none;letter-spacing:0;font-size:.9rem}
h1{font-size:1.95rem;line-height:1.2;margin:0 0 10px;letter-spacing:-.01em}
h2{font-size:1.3rem;line-height:1.3;margin:0 0 14px;padding-bottom:6px;border-bottom:1px solid var(--line)}
h3{font-size:1rem;margin:0 0 8px}
section{margin:36px 0}
p{margin:0 0 12px}
.muted{color:var(--muted)}
.small{font-size:.85rem}
code{font-family:var(--mono);font-size:.86em;background:var(--panel);border:1px solid var(--line);
padding:.05em .3em;border-radius:4px;overflow-wrap:anywhere}
.badge,.tally{display:inline-flex;align-items:center;gap:.4em;padding:.16em .75em;border-radius:999px;
font-weight:650;font-size:.82rem;letter-spacing:.02em;white-space:nowrap;line-height:1.5}
.badge.lg{font-size:1rem;padding:.28em 1em}
.sym{font-weight:800}
"""
    + _verdict_css()
    + """
.panel{background:var(--panel);border:1px solid var(--line);border-radius:10px;padding:16px 18px}
.panel>:last-child{margin-bottom:0}
.two{display:grid;grid-template-columns:1fr 1fr;gap:18px}
blockquote{margin:0 0 10px;padding:2px 0 2px 14px;border-left:4px solid #9aa4ae;font-style:italic}
blockquote p:last-child{margin-bottom:0}
.cite{color:var(--muted);font-size:.85rem}
.table-wrap{overflow-x:auto;-webkit-overflow-scrolling:touch;border:1px solid var(--line);border-radius:8px;
max-width:100%;background-color:#fff;
background-image:linear-gradient(to right,#fff 30%,rgba(255,255,255,0)),
linear-gradient(to left,#fff 30%,rgba(255,255,255,0)),
radial-gradient(farthest-side at 0 50%,rgba(0,0,0,.16),rgba(0,0,0,0)),
radial-gradient(farthest-side at 100% 50%,rgba(0,0,0,.16),rgba(0,0,0,0));
background-position:left center,right center,left center,right center;background-repeat:no-repeat;
background-size:40px 100%,40px 100%,14px 100%,14px 100%;background-attachment:local,local,scroll,scroll}
.table-wrap.tall{max-height:560px;overflow-y:auto}
table{border-collapse:collapse;width:100%;font-size:.9rem}
caption{caption-side:top;text-align:left;padding:8px 10px;color:var(--muted)}
th,td{padding:7px 12px;border-bottom:1px solid var(--line);text-align:left;vertical-align:baseline}
thead th{background:var(--panel);font-weight:600;white-space:nowrap;position:sticky;top:0;z-index:1}
tbody tr:last-child>*{border-bottom:0}
tbody tr:hover{background:#fafbfc}
th.num,td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
table.kv th[scope=row]{font-weight:400;white-space:nowrap;width:1%}
footer.page{border-top:1px solid var(--line);color:var(--muted);font-size:.85rem;padding:18px 0 40px;margin-top:48px}
nav.toc{font-size:.9rem;margin:18px 0 0;display:flex;flex-wrap:wrap;gap:6px 16px}
nav.toc a{color:var(--muted);text-decoration:none;border-bottom:1px dotted var(--muted)}
@media (max-width:720px){
.wrap{padding:0 16px}
h1{font-size:1.5rem}
.two{grid-template-columns:1fr}
section{margin:28px 0}
}
@media print{header.page{background:none}.table-wrap{overflow:visible;max-height:none}a{color:inherit}}
"""
)


def page(title: str, body: str, *, css: str = "") -> str:
    """A complete, self-contained HTML5 page."""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="generator" content="atomlab">\n'
        f"<title>{esc(title)}</title>\n<style>{BASE_CSS}{css}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n"
    )
