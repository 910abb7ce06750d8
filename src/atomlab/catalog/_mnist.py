"""What the MNIST entries (003 part II, 004 parts 2 and 3) declare in common: the data spec, claim
helpers and small figure utilities.

Their CNNs are built by :mod:`atomlab.nn.cnn` and trained by the ``module`` trial kind
(:mod:`atomlab.engine.kinds.cnn_module`), which records 003's training statistics with
:class:`~atomlab.engine.probes.TrainingStatsProbe`.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import numpy as np

from atomlab._lazy import pyplot as plt
from atomlab.errors import ConfigError
from atomlab.lab import DataSpec, figures
from atomlab.lab.data import materialize
from atomlab.lab.figures import style, viz  # noqa: F401 (M.style, M.viz)

MNIST_SOURCES = ("full", "subset", "auto", "digits")
#: Figures at 90 dpi (small PNGs); ``M.style()`` is atomlab's figure style.
save = functools.partial(figures.save, dpi=90)

#: Settings every MNIST entry has: which MNIST, and how many images of it (0 = all).
DATA_SETTINGS = {"mnist_source": "full", "n_train": 0, "n_test": 0}


# -------------------------------------------------------------------------------------------
# Data
# -------------------------------------------------------------------------------------------

def mnist_spec(cfg: dict[str, Any], *, normalize: bool = True) -> DataSpec:
    """The MNIST :class:`DataSpec` of an entry's settings (``mnist_source``, ``n_train``, ``n_test``).

    The data is the same for every seed (``seed=0``): seeds vary the network, not the images.
    """
    source = cfg["mnist_source"]
    if source not in MNIST_SOURCES:
        raise ConfigError(f"unknown mnist_source {source!r}; known: {', '.join(MNIST_SOURCES)} "
                          "('full' needs the full MNIST files, see `atomlab data download mnist`)")
    n_train, n_test = int(cfg["n_train"] or 0), int(cfg["n_test"] or 0)
    if n_test and not n_train:
        raise ConfigError("n_test needs n_train too (both > 0 keeps a sample of each; 0 keeps all)")
    subset = [n_train, n_test] if n_test else (n_train or None)
    return DataSpec("mnist", {"source": source, "subset": subset, "normalize": normalize}, seed=0)


def steps_per_epoch(cfg: dict[str, Any], *, normalize: bool = True) -> int:
    """Iterations in one epoch of the settings' training set (to place records before training)."""
    n = int(cfg["n_train"] or 0) or materialize(mnist_spec(cfg, normalize=normalize)).n_train
    return -(-n // int(cfg["batch_size"]))


def data_note(result) -> str:
    """The data note of a run's first trial (full MNIST, the offline subset, or digits)."""
    return materialize(result.trials[0].data).note if result.trials else ""


def ensure_data_notes(result) -> None:
    """Put each data set's ``note`` in ``outcome.info["data_note"]`` where the engine did not.

    The population engine does not know the note; the report collects it from the outcomes.
    """
    for trial, outcome in zip(result.trials, result.outcomes):
        if not outcome.info.get("data_note"):
            outcome.info["data_note"] = materialize(trial.data).note


# -------------------------------------------------------------------------------------------
# The "module" trial kind
# -------------------------------------------------------------------------------------------

# -------------------------------------------------------------------------------------------
# Figures
# -------------------------------------------------------------------------------------------



interval = figures.interval  # M.interval: atomlab.stats.mean_interval of the finite values


def band(ax, x, values, *, color, label: str | None = None, lw: float = 1.6, marker: str | None = None,
         bounds: tuple[float, float] | None = None):
    """Mean over seeds (rows of ``values``) with a 95% band (:func:`atomlab.stats.mean_interval`)."""
    v = np.asarray(values, dtype=float)
    mean = np.nanmean(v, axis=0)
    if len(v) > 1:
        lo, hi = np.array([interval(v[:, j], bounds=bounds) for j in range(v.shape[1])]).T
        ax.fill_between(x, lo, hi, color=color, alpha=0.2, lw=0)
    ax.plot(x, mean, color=color, lw=lw, label=label, marker=marker, ms=4)
    return mean


def palette(n: int) -> list:
    """``n`` distinguishable colours."""
    cmap = plt.get_cmap("tab10")
    return [cmap(i % 10) for i in range(n)]


def export_tensorboard(result, out_dir: Path, *, arm_name=None) -> Path | None:
    """Write every probed trial's statistics as TensorBoard event files under ``out_dir``.

    One run directory per trial, ``<arm>-seed<k>``, so ``tensorboard --logdir out_dir`` overlays
    them. Returns ``out_dir``, or None when no trial has probe records.
    """
    from atomlab.engine.probes import write_tensorboard  # torch: only when a run exports

    wrote = False
    for trial, outcome in zip(result.trials, result.outcomes):
        if "probe/steps" not in outcome.artefacts:
            continue
        arm = arm_name(trial) if arm_name else trial.arm.replace(", ", "_").replace("=", "-")
        write_tensorboard(outcome.artefacts, Path(out_dir) / f"{arm}-seed{trial.seed}")
        wrote = True
    return Path(out_dir) if wrote else None
