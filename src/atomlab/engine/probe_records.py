"""Reading what :class:`~atomlab.engine.probes.TrainingStatsProbe` recorded: the artefacts' names, their
series and summaries, and TensorBoard event files.

NumPy only (TensorBoard's reader is imported when a file is read), so that figures and reports can
read a recorded run without loading torch.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

QUANTITIES = ("weight", "bias", "net_input", "activation", "pool")


STATS = ("min", "max", "mean", "std")


PREFIX = "probe/"


def probe_series(artefacts: dict[str, np.ndarray]) -> list[str]:
    """The ``layer/quantity`` series recorded in ``artefacts`` (``["layer_0/weight", ...]``).

    Examples
    --------
    >>> import numpy as np
    >>> art = {"probe/layer_3/bias/stats": np.zeros((1, 4)), "probe/layer_0/weight/stats": np.zeros((1, 4))}
    >>> probe_series(art)
    ['layer_0/weight', 'layer_3/bias']
    """
    keys = [k[len(PREFIX):-len("/stats")] for k in artefacts if k.startswith(PREFIX) and k.endswith("/stats")]
    return sorted(keys, key=lambda k: (int(k.split("/")[0].split("_")[1]), QUANTITIES.index(k.split("/")[1])))


def read_scalars(log_dir: str | Path) -> dict[str, list[tuple[int, float]]]:
    """Every scalar series in the event files under ``log_dir`` (TensorBoard's own reader).

    Examples
    --------
    >>> import tempfile
    >>> import numpy as np
    >>> from atomlab.engine.probes import write_tensorboard
    >>> art = {"probe/steps": np.array([0, 100]), "probe/test_acc": np.array([0.1, 0.9]),
    ...        "probe/train_loss": np.array([2.3, 0.4]), "probe/test_loss": np.array([2.3, 0.5])}
    >>> log_dir = write_tensorboard(art, tempfile.mkdtemp())
    >>> [(s, round(v, 2)) for s, v in read_scalars(log_dir)["test/accuracy"]]
    [(0, 0.1), (100, 0.9)]
    """
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(log_dir), size_guidance={"scalars": 0, "histograms": 0})
    acc.Reload()
    return {tag: [(e.step, e.value) for e in acc.Scalars(tag)] for tag in acc.Tags()["scalars"]}


def summarize_layers(artefacts: dict[str, np.ndarray], at: Sequence[int] = (0, -1)) -> dict[str, Any]:
    """``{series: {stat: [values at records `at`]}}``, for tables and tests.

    Examples
    --------
    >>> import numpy as np
    >>> art = {"probe/layer_0/weight/stats": np.array([[-1.0, 1.0, 0.0, 0.5], [-2.0, 2.0, 0.1, 0.9]])}
    >>> summarize_layers(art)["layer_0/weight"]["max"]  # first and last record
    [1.0, 2.0]
    """
    out: dict[str, Any] = {}
    for series in probe_series(artefacts):
        stats = artefacts[f"{PREFIX}{series}/stats"]
        out[series] = {s: [float(stats[i, k]) for i in at] for k, s in enumerate(STATS)}
    return out
