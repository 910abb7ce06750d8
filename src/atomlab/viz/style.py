"""One visual style for every atomlab figure: palette, level colours, rcParams, saving.

The palette is Okabe & Ito's (2008) eight colours, chosen to stay distinguishable under the common
forms of colour-vision deficiency. Every plotting function in :mod:`atomlab.viz` takes its colours from
here, so the same level (``relu``, ``16 units``, ``resampled``) has the same colour in every figure of
an experiment.
"""

from __future__ import annotations

import os
from collections.abc import Hashable, Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib as mpl
import matplotlib.pyplot as plt
from cycler import cycler
from matplotlib.colors import LinearSegmentedColormap, to_hex
from matplotlib.figure import Figure

from atomlab.errors import ConfigError

__all__ = [
    "OKABE_ITO",
    "PALETTE",
    "CLASS_COLORS",
    "SURFACE_CMAP",
    "VERDICT_STYLE",
    "FigureRecord",
    "apply_style",
    "class_colors",
    "level_colors",
    "save_figure",
]

#: The eight Okabe–Ito colours by name.
OKABE_ITO: dict[str, str] = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}

#: Order in which levels receive colours. Yellow comes last: it is hard to see on white.
PALETTE: tuple[str, ...] = tuple(
    OKABE_ITO[k]
    for k in ("blue", "orange", "bluish_green", "vermillion", "reddish_purple", "sky_blue", "black", "yellow")
)

#: Colours of classes 0, 1, 2, ... in scatter plots and decision regions. Class 0 is blue and class 1
#: vermillion, matching the two ends of :data:`SURFACE_CMAP`.
CLASS_COLORS: tuple[str, ...] = tuple(
    OKABE_ITO[k]
    for k in ("blue", "vermillion", "bluish_green", "reddish_purple", "orange", "sky_blue", "yellow", "black")
)

#: Diverging map for P(class 1): blue (class 0) through near-white (0.5) to vermillion (class 1).
SURFACE_CMAP = LinearSegmentedColormap.from_list(
    "atomlab_surface", [OKABE_ITO["blue"], "#F7F7F7", OKABE_ITO["vermillion"]]
)

#: Verdict badge colours (background, text) and symbol. The hues are Okabe–Ito's, darkened where needed
#: so that the badge text reaches a WCAG AA contrast ratio of 4.5; the verdict is also always spelled out.
VERDICT_STYLE: dict[str, tuple[str, str, str]] = {
    "supported": ("#0072B2", "#FFFFFF", "\u2713"),
    "refuted": ("#B84F00", "#FFFFFF", "\u2717"),
    "inconclusive": ("#E69F00", "#000000", "?"),
    "failed": ("#4D4D4D", "#FFFFFF", "!"),
}

_STYLE_RC: dict[str, Any] = {
    "font.family": "sans-serif",
    "font.size": 11,
    "axes.titlesize": 12,
    "axes.titleweight": "regular",
    "axes.labelsize": 11,
    "xtick.labelsize": 10,
    "ytick.labelsize": 10,
    "legend.fontsize": 10,
    "legend.title_fontsize": 10,
    "legend.frameon": False,
    "figure.titlesize": 13,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.axisbelow": True,
    "grid.color": "#DDDDDD",
    "grid.linewidth": 0.6,
    "axes.prop_cycle": cycler(color=list(PALETTE)),
    "lines.linewidth": 1.8,
    "lines.markersize": 5.5,
    "image.cmap": "cividis",
    "savefig.dpi": 150,
    "savefig.facecolor": "white",
    "figure.facecolor": "white",
    # Stable element ids make SVG output byte-identical across runs.
    "svg.hashsalt": "atomlab",
}

_FORMATS = ("png", "svg", "pdf")
# Drop timestamps and tool versions from file metadata, so the same figure gives the same bytes.
_METADATA: dict[str, dict[str, Any]] = {
    "png": {"Software": None},
    "svg": {"Date": None, "Creator": None},
    "pdf": {"CreationDate": None, "Creator": None, "Producer": None},
}


def apply_style(**overrides: Any) -> AbstractContextManager[None]:
    """Return a context manager that applies the atomlab rcParams.

    Readable font sizes, no top or right spines, a light grid below the data and the Okabe–Ito
    colour cycle. Figures must be *created* inside the context for the style to apply.

    Parameters
    ----------
    **overrides
        rcParams to set on top of the atomlab style (for example ``{"font.size": 9}`` as
        ``apply_style(**{"font.size": 9})``).

    Returns
    -------
    contextlib.AbstractContextManager
        A :func:`matplotlib.rc_context`; also usable as a decorator.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> with apply_style():
    ...     fig, ax = plt.subplots()
    ...     spine_shown = ax.spines["top"].get_visible()
    >>> plt.close(fig)
    >>> spine_shown
    False
    """
    return mpl.rc_context({**_STYLE_RC, **overrides})


def level_colors(levels: Iterable[Hashable], *, palette: Sequence[str] = PALETTE) -> dict[Hashable, str]:
    """Give each level of a factor its colour, deterministically by level order.

    The i-th distinct level (in the order given) gets the i-th palette colour, so passing the
    experiment's full list of levels gives the same colour to a level in every figure, even in
    figures that show only some of the levels. Beyond the palette's length the levels are ordinal
    in practice (11 dimensionalities, 9 data set sizes), so they are spread along the colour-blind
    safe sequential map *cividis* instead.

    Parameters
    ----------
    levels
        The levels, in the order they should be coloured. Duplicates are ignored.
    palette
        Colours to draw from (default: :data:`PALETTE`).

    Returns
    -------
    dict
        Level -> hex colour string.

    Examples
    --------
    >>> level_colors(["relu", "tanh", "relu"])
    {'relu': '#0072B2', 'tanh': '#E69F00'}
    >>> len(set(level_colors(range(12)).values()))
    12
    """
    unique = list(dict.fromkeys(levels))
    if len(unique) <= len(palette):
        return {lvl: palette[i] for i, lvl in enumerate(unique)}
    cmap = mpl.colormaps["cividis"]
    n = len(unique)
    # Stop short of cividis's pale yellow end, which disappears on white.
    return {lvl: to_hex(cmap(0.9 * i / (n - 1))) for i, lvl in enumerate(unique)}


def class_colors(n_classes: int) -> list[str]:
    """Return the colours of classes ``0 .. n_classes - 1`` (blue, vermillion, green, ...).

    Examples
    --------
    >>> class_colors(2)
    ['#0072B2', '#D55E00']
    """
    if n_classes < 1:
        raise ConfigError(f"n_classes must be >= 1, got {n_classes}")
    if n_classes <= len(CLASS_COLORS):
        return list(CLASS_COLORS[:n_classes])
    return list(level_colors(range(n_classes)).values())


@dataclass(frozen=True)
class FigureRecord:
    """A saved figure and the sentence that tells the reader what to look at.

    Parameters
    ----------
    name
        Short identifier, unique within an experiment (used as an HTML anchor).
    path
        Where the image file is (PNG for pages; SVG also works).
    caption
        One sentence saying what to look at, e.g. "Test accuracy rises with depth and saturates
        beyond 4 layers; bands are 95% t-intervals over 10 seeds." Also the image's alt text.
    main
        Whether this is the experiment's headline figure (shown first and used as its thumbnail).
    """

    name: str
    path: Path
    caption: str
    main: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", Path(self.path))
        if not self.caption.strip():
            raise ConfigError(f"figure {self.name!r} needs a caption saying what to look at")


def save_figure(
    fig: Figure,
    stem: str | os.PathLike[str],
    formats: Sequence[str] = ("png",),
    *,
    dpi: int = 150,
    close: bool = True,
) -> list[Path]:
    """Save a figure in one or more formats, atomically, and close it.

    Parameters
    ----------
    fig
        The figure.
    stem
        Path without extension (``out/figures/accuracy``); a known extension is stripped. Missing
        parent folders are created.
    formats
        Any of ``"png"`` (for the page), ``"svg"`` and ``"pdf"`` (for print).
    dpi
        Resolution of raster output.
    close
        Close the figure afterwards (the default), releasing its memory.

    Returns
    -------
    list of Path
        The written files, in the order of ``formats``.

    Examples
    --------
    >>> import tempfile, matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> _ = ax.plot([0, 1], [0, 1])
    >>> with tempfile.TemporaryDirectory() as d:
    ...     paths = save_figure(fig, Path(d) / "line", formats=("png", "svg"))
    ...     [p.suffix for p in paths], all(p.stat().st_size > 0 for p in paths)
    (['.png', '.svg'], True)
    """
    bad = [f for f in formats if f not in _FORMATS]
    if bad or not formats:
        raise ConfigError(f"unknown figure format {bad[0] if bad else '(none)'!r}; known: {', '.join(_FORMATS)}")
    stem = Path(stem)
    if stem.suffix.lstrip(".") in _FORMATS:
        stem = stem.with_suffix("")
    stem.parent.mkdir(parents=True, exist_ok=True)
    written = []
    try:
        for fmt in dict.fromkeys(formats):
            final = stem.parent / f"{stem.name}.{fmt}"
            tmp = stem.parent / f".{stem.name}.{fmt}.{os.getpid()}.tmp"
            try:
                with mpl.rc_context({"svg.hashsalt": "atomlab"}):
                    fig.savefig(tmp, format=fmt, dpi=dpi, bbox_inches="tight", metadata=_METADATA[fmt])
                os.replace(tmp, final)
            except BaseException:
                tmp.unlink(missing_ok=True)
                raise
            written.append(final)
    finally:
        if close:
            plt.close(fig)
    return written
