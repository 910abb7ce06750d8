"""Small helpers shared by the plotting modules: column checks, labels, level order, legends."""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Sequence
from typing import Literal

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from atomlab.errors import ConfigError

LegendPlace = Literal["auto", "right", "below", "none"]

# Axis labels for the columns of the tidy result table; anything else is prettified from its name.
_LABELS: dict[str, str] = {
    "step": "Training step",
    "epoch": "Epoch",
    "train_loss": "Training loss",
    "test_loss": "Test loss",
    "train_acc": "Training accuracy",
    "test_acc": "Test accuracy",
    "train_mse": "Training MSE",
    "test_mse": "Test MSE",
    "hidden_units": "Hidden units",
    "n_train": "Training set size (n)",
    "lr": "Learning rate",
    "batch_size": "Batch size",
    "arm": "Arm",
    "seed": "Seed",
}


def pretty(col: str | None) -> str:
    """Human label for a column name: 'test_acc' -> 'Test accuracy', 'keep_prob' -> 'Keep prob'."""
    if col is None:
        return ""
    if col in _LABELS:
        return _LABELS[col]
    text = str(col).replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def require_columns(df: pd.DataFrame, cols: Iterable[str | None], what: str = "result table") -> None:
    """Raise ConfigError naming the first missing column and the available ones."""
    for c in cols:
        if c is not None and c not in df.columns:
            known = ", ".join(map(str, df.columns))
            raise ConfigError(f"column {c!r} is not in the {what}; columns: {known}")


def ordered_levels(values: pd.Series) -> list[Hashable]:
    """Levels in display order: categorical order, numeric ascending, else first appearance."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        present = set(values.dropna().unique())
        return [c for c in values.cat.categories if c in present]
    uniq = list(pd.unique(values.dropna()))
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return sorted(uniq)
    return uniq


def fmt_level(v: object) -> str:
    """Compact label for a level: 16 -> '16', 0.5 -> '0.5', 1e-4 -> '0.0001'."""
    if isinstance(v, bool | np.bool_):
        return str(bool(v))
    if isinstance(v, int | np.integer):
        return str(int(v))
    if isinstance(v, float | np.floating):
        f = float(v)
        if math.isfinite(f) and f.is_integer() and abs(f) < 1e6:
            return str(int(f))
        return f"{f:.4g}"
    return str(v)


def is_numeric_levels(levels: Sequence[Hashable]) -> bool:
    """True when every level is a real number (not bool), so x can be a numeric axis."""
    return bool(levels) and all(
        isinstance(v, int | float | np.integer | np.floating) and not isinstance(v, bool | np.bool_)
        for v in levels
    )


def last_rows(df: pd.DataFrame, step: int | Literal["last"] = "last") -> pd.DataFrame:
    """One row per trial: its last recorded step, or the given step; tables without steps pass through."""
    if "step" not in df.columns:
        return df
    if step == "last":
        if "trial" not in df.columns:
            return df.loc[df["step"] == df["step"].max()]
        idx = df.groupby("trial", sort=False)["step"].idxmax()
        return df.loc[idx.to_numpy()]
    return df.loc[df["step"] == step]


def diverged_trials(df: pd.DataFrame) -> set[Hashable]:
    """The trials that diverged at any recorded step (empty when the table has no such column)."""
    if "diverged" not in df.columns:
        return set()
    key = "trial" if "trial" in df.columns else None
    flags = df["diverged"].fillna(False).astype(bool)
    if key is None:
        return set(df.index[flags])
    return set(df.loc[flags, key].unique())


def drop_diverged(df: pd.DataFrame) -> tuple[pd.DataFrame, set[Hashable]]:
    """Rows of trials that never diverged, and the set of trials that did."""
    bad = diverged_trials(df)
    if not bad:
        return df, bad
    if "trial" in df.columns:
        return df.loc[~df["trial"].isin(bad)], bad
    return df.drop(index=list(bad)), bad


def place_legend(ax: Axes, *, title: str | None = None, where: LegendPlace = "auto") -> None:
    """Put the legend outside the data: to the right for a few entries, below for many."""
    handles, labels = ax.get_legend_handles_labels()
    if where == "none" or not handles:
        return
    if where == "auto":
        long_labels = max(len(lbl) for lbl in labels) > 28
        where = "below" if len(handles) > 8 or long_labels else "right"
    if where == "right":
        ax.legend(handles, labels, title=title, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0)
    else:
        ncol = min(len(handles), 4)
        ax.legend(
            handles, labels, title=title, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=ncol,
            borderaxespad=0,
        )


def set_level_ticks(ax: Axes, levels: Sequence[float], *, logx: bool) -> None:
    """Tick exactly the factor's levels (when there are few), labelled plainly even on a log axis."""
    if logx:
        ax.set_xscale("log")
    if 0 < len(levels) <= 12:
        ax.set_xticks(list(levels), labels=[fmt_level(v) for v in levels])
        ax.minorticks_off()
