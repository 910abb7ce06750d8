"""Shared by the MNIST entries (003 part II, 004 parts 2 and 3): the data spec, the ``"module"``
trial kind that trains a CNN through the general engine with the statistics probe, claim helpers
and small figure utilities.

The trial kind ``"module"``: a trial whose ``model`` is a CNN spec dict (see
:func:`atomlab.nn.cnn.build_cnn`) is built with its initial weights drawn from the
trial seed's ``init`` stream and trained by :func:`atomlab.engine.general.train_module`; dropout
masks come from the seed's ``dropout`` stream (seeded inside ``torch.random.fork_rng``, so the
caller's global generator is left as it was). With ``model["probe"]`` set, a
:class:`~atomlab.engine.probes.TrainingStatsProbe` records 003's statistics into the
outcome's artefacts (``probe/...``).
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

from atomlab import stats  # noqa: E402
from atomlab.engine.device import resolve_device  # noqa: E402
from atomlab.engine.general import train_module  # noqa: E402
from atomlab.engine.outcome import Outcome  # noqa: E402
from atomlab.engine.probes import TrainingStatsProbe, fixed_samples, write_tensorboard  # noqa: E402
from atomlab.errors import ConfigError  # noqa: E402
from atomlab.lab import DataSpec, register_trial_kind, trial_kinds  # noqa: E402
from atomlab.lab.data import materialize  # noqa: E402
from atomlab.nn.cnn import build_cnn, n_params, normalize_cnn_spec  # noqa: E402
from atomlab.nn.seeding import stream_seed, torch_generator  # noqa: E402

MNIST_SOURCES = ("full", "subset", "auto", "digits")

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

#: The probe's defaults: 003 recorded "every 100 iterations".
PROBE_DEFAULTS = {"every": 100, "stats_batch": 256, "eval_size": 1000, "bins": 30}


def train_cnn_trial(trial, data, *, device: str = "auto", log_dir: str | Path | None = None) -> Outcome:
    """Train the CNN of ``trial`` on ``data`` (one trial of kind ``"module"``).

    Parameters
    ----------
    trial : Trial
        ``trial.model`` is a CNN spec dict; ``trial.model["probe"]`` (a dict, or None for no
        probe) overrides :data:`PROBE_DEFAULTS`.
    data : Dataset
        MNIST images ``(n, 1, 28, 28)``.
    device : str
        ``"auto"``, ``"cpu"`` or ``"cuda"``.
    log_dir : path, optional
        Write the probe's records live to TensorBoard event files here as well.

    Returns
    -------
    Outcome
        The trainer's rows, the probe's arrays in ``artefacts`` and ``info["data_note"]``.
    """
    spec = normalize_cnn_spec(trial.model)
    dev = resolve_device(device)
    fork_devices = [dev.index or 0] if dev.type == "cuda" else []
    start = time.perf_counter()
    threads_before = torch.get_num_threads()
    if spec["threads"] and dev.type == "cpu":
        # Measured on 2 cores: this small CNN runs faster on 1 intra-op thread than on 2 (see docs/mnist.md).
        torch.set_num_threads(int(spec["threads"]))
    with contextlib.ExitStack() as stack, torch.random.fork_rng(devices=fork_devices):
        stack.callback(torch.set_num_threads, threads_before)
        # torch's default init draws from the global generator: seed it from the trial's init stream
        torch.manual_seed(stream_seed(trial.seed, "init"))
        net = build_cnn(spec, generator=torch_generator(trial.seed, "init"))
        # nn.Dropout draws its masks from the global generator: give them the dropout stream
        torch.manual_seed(stream_seed(trial.seed, "dropout"))
        probe = None
        if spec["probe"] is not None:
            p = {**PROBE_DEFAULTS, **(spec["probe"] or {})}
            probe = TrainingStatsProbe(
                net, fixed_samples(data.X_train, data.y_train, int(p["stats_batch"]), seed=1)[0],
                fixed_samples(data.X_train, data.y_train, int(p["eval_size"]), seed=2),
                fixed_samples(data.X_test, data.y_test, int(p["eval_size"]), seed=3),
                every=int(p["every"]), total_steps=trial.train.total_steps(data.n_train), loss=trial.train.loss,
                bins=int(p["bins"]), log_dir=log_dir)
            probe.observe(0, net)
        try:
            out = train_module(net, data, trial.train, seed=trial.seed, device=device,
                               callbacks=[probe] if probe is not None else ())
        finally:
            if probe is not None:
                probe.close()
    if probe is not None:
        out.artefacts.update(probe.artefacts())
    out.wall_time = time.perf_counter() - start
    out.info.update({"data_note": data.note, "model": spec["name"]})
    if out.rows:  # a measurement of the trial, so a column of its final row
        out.rows[-1]["n_params"] = n_params(net)
    return out


def _run_module_trials(trials, datasets, *, device: str = "auto") -> list[Outcome]:
    return [train_cnn_trial(t, d, device=device) for t, d in zip(trials, datasets)]


if "module" not in trial_kinds:
    register_trial_kind("module")(_run_module_trials)


# -------------------------------------------------------------------------------------------
# Figures
# -------------------------------------------------------------------------------------------

from atomlab.catalog._figures import viz  # noqa: E402  (lazy access to atomlab.viz)


def style():
    """The atomlab figure style (``atomlab.viz.style.apply_style()``)."""
    return viz.style.apply_style()


def save(fig, out_dir: Path, name: str, caption: str, *, main: bool = False, formats=("png",), dpi: int = 90):
    """Save ``fig`` as ``out_dir/name.<fmt>`` (small PNGs: ``dpi`` 90) and return its FigureRecord."""
    paths = viz.style.save_figure(fig, Path(out_dir) / name, formats=formats, dpi=dpi)
    return viz.style.FigureRecord(name=name, path=paths[0], caption=caption, main=main)


def interval(values, bounds: tuple[float, float] | None = None) -> tuple[float, float]:
    """The 95% interval of the mean of the finite ``values`` (:func:`atomlab.stats.mean_interval`)."""
    v = np.asarray(values, dtype=float)
    return stats.mean_interval(v[np.isfinite(v)], bounds=bounds)[1:]


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
    wrote = False
    for trial, outcome in zip(result.trials, result.outcomes):
        if "probe/steps" not in outcome.artefacts:
            continue
        arm = arm_name(trial) if arm_name else trial.arm.replace(", ", "_").replace("=", "-")
        write_tensorboard(outcome.artefacts, Path(out_dir) / f"{arm}-seed{trial.seed}")
        wrote = True
    return Path(out_dir) if wrote else None
