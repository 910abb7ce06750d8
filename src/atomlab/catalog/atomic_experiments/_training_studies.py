"""What 000's experiments 7-12 (activation functions to regularisation) declare in common.

000 is "Atomic Experiments in Deep Learning" (Abid, 2018); its code lives in ``experiments.py`` of
the AtomsOfDeepLearning repository. Every one of these experiments trains a sigmoid MLP with
Glorot-uniform weights *and biases*, linear outputs, Adam (lr 0.003) and a fresh random minibatch
of 64 each step, mostly on the two-Gaussian mixture. This module holds what they share:

- the names of 000's losses, computed as 000 computes them on the network's *linear outputs*
  (``logit_mse`` ... in :mod:`atomlab.nn.losses`) or on softmax probabilities (the built-ins);
- small figure helpers. (Models timed alone use the ``solo`` trial kind, :mod:`atomlab.engine.kinds.solo`.)
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from atomlab import stats
from atomlab.lab import DataSpec

SOURCE = "000"
SECTION = "Atomic Experiments in Deep Learning (Abid, 2018), experiment {n}: {title}"


#: The loss names of 000 -> registered names, for losses on the linear outputs (000's code) or on
#: softmax probabilities (atomlab's built-ins). Cross-entropy, hinge and the constant control
#: are the same in both.
LOSS_NAMES = {
    "logits": {"mse": "logit_mse", "mae": "logit_mae", "fourth_power": "logit_fourth_power"},
    "probabilities": {"mse": "mse", "mae": "mae", "fourth_power": "fourth_power"},
}
OUTPUTS = tuple(LOSS_NAMES)


def loss_name(loss: str, outputs: str) -> str:
    """The registered loss for 000's ``loss`` compared on ``outputs`` ("logits" or "probabilities")."""
    if outputs not in LOSS_NAMES:
        from atomlab.errors import unknown_choice

        raise unknown_choice("outputs", outputs, OUTPUTS)
    return LOSS_NAMES[outputs].get(loss, loss)


# ----- data -----------------------------------------------------------------------------------
def class_sep(value: Any) -> float | str:
    """A separation setting as the generator wants it: ``"1/i"`` stays a rule, numbers become floats."""
    text = str(value).replace(" ", "").lower()
    if text in ("1/i", "1/(i)", "inverse"):
        return "1/i"
    try:
        return float(text)
    except ValueError:
        from atomlab.errors import ConfigError

        raise ConfigError(f"bad class_sep {value!r}; give a number or '1/i'") from None


def mixture(cfg: dict[str, Any], seed: int) -> DataSpec:
    """000's two-Gaussian mixture for trial ``seed`` (000 draws a new mixture for every repetition)."""
    return DataSpec("gaussian_mixture", {"n_features": int(cfg["d"]), "class_sep": class_sep(cfg["class_sep"]),
                                         "n_train": int(cfg["n_train"]), "n_test": int(cfg["n_test"])},
                    seed=seed)


# ----- numbers in words --------------------------------------------------------------------------
def interval(values, bounds: tuple[float, float] | None = None) -> tuple[float, float]:
    """The 95% interval of the mean of the finite ``values`` (:func:`atomlab.stats.mean_interval`)."""
    v = np.asarray(values, dtype=float)
    return stats.mean_interval(v[np.isfinite(v)], bounds=bounds)[1:]


def ci_text(values, fmt: str = ".3g", bounds: tuple[float, float] | None = None) -> str:
    """``mean [low, high]`` of the finite ``values`` over seeds (:func:`atomlab.stats.mean_interval`)."""
    v = np.asarray(values, dtype=float)
    mean, low, high = stats.mean_interval(v[np.isfinite(v)], bounds=bounds)
    return f"{mean:{fmt}} [{low:{fmt}}, {high:{fmt}}]"


# ----- figures --------------------------------------------------------------------------------
def style():
    """The atomlab figure style (``atomlab.viz.style.apply_style``)."""
    from atomlab.viz import style as _style

    return _style.apply_style()


def colors(levels: Sequence[Any]) -> dict[Any, Any]:
    """One colour per level, the same in every figure of an experiment."""
    from atomlab.viz import style as _style

    return _style.level_colors(list(levels))


def save(fig, out_dir, name: str, caption: str, *, main: bool = False, formats=("png",), dpi: int = 100,
         palette: bool = False):
    """Save ``fig`` as ``out_dir/name.<fmt>`` and return its record.

    100 dpi keeps the pages light; ``palette`` re-encodes the PNG with 256 colours, which shrinks
    figures of many thin anti-aliased lines (weight trajectories) several times over.
    """
    from atomlab.viz import style as _style

    paths = _style.save_figure(fig, Path(out_dir) / name, formats=formats, dpi=dpi)
    if palette:
        from PIL import Image

        for path in paths:
            if path.suffix == ".png":
                with Image.open(path) as im:
                    small = im.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
                small.save(path, optimize=True)
    return _style.FigureRecord(name=name, path=paths[0], caption=caption, main=main)


def band(ax, x, values: np.ndarray, color, label: str | None = None, ls: str = "-", marker: str | None = None,
         alpha: float = 0.18, clip: tuple[float, float] | None = None) -> None:
    """Mean over rows of ``values`` (seeds x points) with a 95% band over seeds, inside the range ``clip``."""
    values = np.asarray(values, dtype=float)
    mean, lo, hi = np.array([stats.mean_interval(col[np.isfinite(col)], bounds=clip) for col in values.T]).T
    ax.plot(x, mean, ls, color=color, label=label, marker=marker, ms=3)
    if values.shape[0] > 1:
        ax.fill_between(x, lo, hi, color=color, alpha=alpha, lw=0)


def curves(table: pd.DataFrame, metric: str, x: str = "step", **where: Any) -> tuple[np.ndarray, np.ndarray]:
    """``(x values, seeds x points array)`` of ``metric`` among the rows matching ``where``."""
    df = table
    for k, v in where.items():
        df = df[df[k].map(lambda c: tuple(c) if isinstance(c, list) else c) == v]
    pivot = df.pivot_table(index="seed", columns=x, values=metric, aggfunc="mean")
    return pivot.columns.to_numpy(dtype=float), pivot.to_numpy(dtype=float)


def dot_ci(ax, labels: Sequence[str], groups: Sequence[np.ndarray], color_map: dict | None = None,
           jitter: bool = True, bounds: tuple[float, float] | None = None) -> None:
    """Per label: the seeds as faint dots and the mean with its 95% interval as a bar."""
    rng = np.random.default_rng(0)
    for i, (lab, vals) in enumerate(zip(labels, groups)):
        vals = np.asarray(vals, dtype=float)
        vals = vals[np.isfinite(vals)]
        c = (color_map or {}).get(lab, "C0")
        xs = i + (rng.uniform(-0.12, 0.12, len(vals)) if jitter else np.zeros(len(vals)))
        ax.plot(xs, vals, "o", color=c, alpha=0.35, ms=3)
        if len(vals):
            mean, low, high = stats.mean_interval(vals, bounds=bounds)
            ax.errorbar([i], [mean], yerr=[[mean - low], [high - mean]],
                        fmt="s", color=c, ms=6, capsize=4, lw=1.8)
    ax.set_xticks(range(len(labels)))
    ax.set_xticklabels(labels)
