"""The ``module`` trial kind: a CNN built from its spec dict and trained by the general engine, with 003's probe.

A trial whose ``model`` is a CNN spec dict (see :func:`atomlab.nn.cnn.build_cnn`) is built with its
initial weights drawn from the trial seed's ``init`` stream and trained by
:func:`atomlab.engine.general.train_module`; dropout masks come from the seed's ``dropout`` stream
(seeded inside ``torch.random.fork_rng``, so the caller's global generator is left as it was). With
``model["probe"]`` set, a :class:`~atomlab.engine.probes.TrainingStatsProbe` records 003's
statistics into the outcome's artefacts (``probe/...``).
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

import torch

from atomlab.engine.device import resolve_device
from atomlab.engine.general import train_module
from atomlab.engine.outcome import Outcome
from atomlab.engine.probes import TrainingStatsProbe, fixed_samples
from atomlab.engine.trial_kinds import register_trial_kind
from atomlab.nn.cnn import build_cnn, n_params, normalize_cnn_spec
from atomlab.nn.seeding import stream_seed, torch_generator

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

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> from atomlab.data import make_dataset
    >>> from atomlab.engine.spec import TrainSpec
    >>> mnist = make_dataset("mnist", source="subset", subset=[64, 32], random_state=0)
    >>> model = {"name": "small_cnn", "channels": [2, 4], "hidden": 8, "probe": {"every": 2, "stats_batch": 8}}
    >>> trial = SimpleNamespace(levels={}, seed=0, model=model, train=TrainSpec(steps=4, batch_size=16), kind="module")
    >>> out = train_cnn_trial(trial, mnist, device="cpu")
    >>> out.artefacts["probe/steps"].tolist(), out.info["model"]
    ([0, 2, 4], 'small_cnn')
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


@register_trial_kind("module")
def run_module(trials, datasets, *, device: str = "auto") -> list[Outcome]:
    """Trial kind ``module``: each trial's CNN trained alone (:func:`train_cnn_trial`).

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> from atomlab.data import make_dataset
    >>> from atomlab.engine.spec import TrainSpec
    >>> mnist = make_dataset("mnist", source="subset", subset=[32, 16], random_state=0)
    >>> model = {"name": "small_cnn", "channels": [2, 4], "hidden": 8}
    >>> recipe = TrainSpec(steps=2, batch_size=16)
    >>> trials = [SimpleNamespace(levels={}, seed=s, model=model, train=recipe, kind="module") for s in (0, 1)]
    >>> [o.final["step"] for o in run_module(trials, [mnist, mnist], device="cpu")]
    [2, 2]
    """
    return [train_cnn_trial(t, d, device=device) for t, d in zip(trials, datasets)]
