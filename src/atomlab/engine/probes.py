"""003's training statistics: a probe that records, every N iterations, per layer, the min, max,
mean, standard deviation and a histogram of the weights, the biases, the net inputs, the
activations and the pooling outputs, plus the train loss, test loss and test accuracy.

003 (part II) watched its PyTorch CNN in TensorBoard: "Additional statistics for the min, max,
mean, standard deviation, and histogram of the weights, biases, net inputs at each layer,
activations after ReLU at each layer, and activations after max-pooling at each layer every 100
iterations". :class:`TrainingStatsProbe` is a callback for
:func:`atomlab.engine.general.train_module` that records exactly these, as arrays (for the
report's figures and the trial cache) and, when asked, live into TensorBoard event files;
:func:`write_tensorboard` replays recorded arrays into event files, so a cached run can still be
opened with ``tensorboard --logdir``.

What is measured, precisely:

- ``weight``/``bias``: every element of the layer's parameters (003 showed only the first
  kernel, ``kernel_0``, of each convolution; we summarise all kernels).
- ``net_input``: the layer's output before the nonlinearity (``z = W x + b``),
  ``activation``: the output of the nonlinearity that follows, ``pool``: the output of the
  pooling layer that follows, all on one fixed batch of training images (``stats_batch``)
  passed through the network in evaluation mode (no dropout), so that successive records differ
  only because the weights changed.
- ``train_loss``, ``test_loss``, ``test_acc``: on fixed samples of ``eval_size`` training and test
  images, in evaluation mode. The trainer's own rows give the full-set numbers.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn

from atomlab.engine.probe_records import PREFIX, QUANTITIES, STATS, probe_series, read_scalars, summarize_layers  # noqa: F401
from atomlab.nn.cnn import Activation, param_layers
from atomlab.nn.losses import get_loss

_NONLINEAR = (Activation, nn.ReLU, nn.Tanh, nn.Sigmoid, nn.ELU, nn.GELU, nn.SiLU, nn.LeakyReLU,
              nn.Softmax, nn.LogSoftmax)
_POOLS = (nn.MaxPool2d, nn.AvgPool2d, nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)
def layer_taps(net: nn.Sequential) -> dict[str, dict[str, nn.Module]]:
    """For each parameter layer (tagged ``layer_<i>``), the modules whose outputs are its
    net input, activation and pooling output.

    The activation and the pooling are the first nonlinearity and the first pooling layer after
    the parameter layer and before the next one.

    Examples
    --------
    >>> from atomlab.nn.cnn import build_cnn
    >>> taps = layer_taps(build_cnn({"name": "mnist_cnn"}))
    >>> sorted(taps), sorted(taps["layer_0"])
    (['layer_0', 'layer_10', 'layer_3', 'layer_7'], ['activation', 'net_input', 'pool'])
    """
    modules = list(net)
    taps: dict[str, dict[str, nn.Module]] = {}
    for tag, layer in param_layers(net):
        i = next(k for k, m in enumerate(modules) if m is layer)
        tap: dict[str, nn.Module] = {"net_input": layer}
        for m in modules[i + 1:]:
            if isinstance(m, nn.Conv2d | nn.Linear):
                break
            if isinstance(m, _NONLINEAR) and "activation" not in tap:
                tap["activation"] = m
            if isinstance(m, _POOLS) and "pool" not in tap:
                tap["pool"] = m
        taps[tag] = tap
    return taps


def _summary(x: torch.Tensor, bins: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``[min, max, mean, std]``, histogram counts and bin edges of every element of ``x``."""
    x = x.detach().reshape(-1).to(torch.float64)
    lo, hi = (float(v) for v in torch.aminmax(x))
    if hi - lo < 1e-12:  # a constant tensor (zero biases at initialisation): give it a narrow bin range
        half = max(1e-6, 1e-3 * abs(lo))
        lo, hi = lo - half, hi + half
    counts = torch.histc(x, bins=bins, min=lo, max=hi)
    stats = np.array([float(x.min()), float(x.max()), float(x.mean()), float(x.std(unbiased=False))])
    return stats, counts.cpu().numpy(), np.linspace(lo, hi, bins + 1)


class TrainingStatsProbe:
    """A ``train_module`` callback recording 003's per-layer statistics every ``every`` steps.

    Parameters
    ----------
    net : nn.Sequential
        The network that will be trained (its layers are found once, here).
    stats_batch : Tensor
        Fixed training inputs on which net inputs, activations and pooling outputs are measured.
    train_eval, test_eval : (Tensor, Tensor)
        Fixed ``(X, y)`` samples for the train loss and the test loss and accuracy.
    every : int
        Record every this many iterations (and at step 0 through :meth:`observe`, and at
        ``total_steps``).
    total_steps : int, optional
        The run's last step, always recorded.
    loss : str
        Registered loss name (the trainer's).
    bins : int
        Histogram bins per record, spread between that record's min and max.
    log_dir : path, optional
        When given, also write each record live to TensorBoard event files there.

    Examples
    --------
    >>> import torch
    >>> from atomlab.nn.cnn import build_cnn
    >>> net = build_cnn({"name": "mnist_cnn"})
    >>> X, y = torch.randn(8, 1, 28, 28), torch.randint(0, 10, (8,))
    >>> probe = TrainingStatsProbe(net, X, (X, y), (X, y), every=100)
    >>> probe.observe(0, net)
    >>> art = probe.artefacts()
    >>> art["probe/layer_0/weight/stats"].shape, art["probe/layer_0/pool/hist"].shape
    ((1, 4), (1, 30))
    """

    def __init__(self, net: nn.Sequential, stats_batch: torch.Tensor,
                 train_eval: tuple[torch.Tensor, torch.Tensor], test_eval: tuple[torch.Tensor, torch.Tensor],
                 *, every: int = 100, total_steps: int | None = None, loss: str = "cross_entropy",
                 bins: int = 30, log_dir: str | Path | None = None) -> None:
        self.taps = layer_taps(net)
        self.layers = dict(param_layers(net))
        self.stats_batch = stats_batch
        self.train_eval, self.test_eval = train_eval, test_eval
        self.every, self.total_steps = int(every), total_steps
        self.loss_fn = get_loss(loss)
        self.bins = int(bins)
        self.steps: list[int] = []
        self.scalars: dict[str, list[float]] = {"train_loss": [], "test_loss": [], "test_acc": []}
        self.records: dict[str, dict[str, list[np.ndarray]]] = {}
        self._on: dict[torch.device, tuple] = {}
        self.writer = None
        if log_dir is not None:
            from torch.utils.tensorboard import SummaryWriter

            self.writer = SummaryWriter(log_dir=str(log_dir))

    def __call__(self, step: int, model: nn.Module, inputs: torch.Tensor) -> None:
        """The ``train_module`` callback: record when ``step`` is due."""
        if step % self.every == 0 or step == self.total_steps:
            self.observe(step, model)

    def _data(self, device: torch.device, dtype: torch.dtype) -> tuple:
        if device not in self._on:
            def move(t):
                return t.to(device=device, dtype=dtype if t.is_floating_point() else t.dtype)
            self._on[device] = (move(self.stats_batch), tuple(map(move, self.train_eval)),
                                tuple(map(move, self.test_eval)))
        return self._on[device]

    @torch.no_grad()
    def observe(self, step: int, model: nn.Module) -> None:
        """Record every statistic at ``step`` (call it once before training for step 0)."""
        if self.steps and self.steps[-1] == step:
            return
        p0 = next(model.parameters())
        xs, (Xtr, ytr), (Xte, yte) = self._data(p0.device, p0.dtype)
        was_training = model.training
        model.eval()
        outputs: dict[str, dict[str, torch.Tensor]] = {tag: {} for tag in self.taps}
        hooks = []
        for tag, tap in self.taps.items():
            for quantity, module in tap.items():
                def hook(_m, _inp, out, _tag=tag, _q=quantity):
                    outputs[_tag][_q] = out
                hooks.append(module.register_forward_hook(hook))
        try:
            model(xs)
        finally:
            for h in hooks:
                h.remove()
        for tag, layer in self.layers.items():
            tensors = {"weight": layer.weight, "bias": layer.bias, **outputs[tag]}
            for quantity in QUANTITIES:
                if tensors.get(quantity) is None:
                    continue
                stats, counts, edges = _summary(tensors[quantity], self.bins)
                rec = self.records.setdefault(f"{tag}/{quantity}", {"stats": [], "hist": [], "edges": [],
                                                                     "n": []})
                rec["stats"].append(stats)
                rec["hist"].append(counts)
                rec["edges"].append(edges)
                rec["n"].append(np.array(tensors[quantity].numel()))
        for split, X, y in (("train", Xtr, ytr), ("test", Xte, yte)):
            out = torch.cat([model(X[s:s + 2048]) for s in range(0, len(X), 2048)])
            self.scalars[f"{split}_loss"].append(float(self.loss_fn(out, y).mean()))
            if split == "test":
                self.scalars["test_acc"].append(float((out.argmax(-1) == y).to(torch.float64).mean()))
        model.train(was_training)
        self.steps.append(int(step))
        if self.writer is not None:
            _write_record(self.writer, self.artefacts(), len(self.steps) - 1)
            self.writer.flush()

    def artefacts(self) -> dict[str, np.ndarray]:
        """Everything recorded, as arrays keyed ``probe/...`` (see :func:`probe_tables`)."""
        out: dict[str, np.ndarray] = {f"{PREFIX}steps": np.asarray(self.steps, dtype=np.int64)}
        for name, values in self.scalars.items():
            out[f"{PREFIX}{name}"] = np.asarray(values, dtype=np.float64)
        for key, rec in self.records.items():
            out[f"{PREFIX}{key}/stats"] = np.stack(rec["stats"])
            out[f"{PREFIX}{key}/hist"] = np.stack(rec["hist"]).astype(np.float32)
            out[f"{PREFIX}{key}/edges"] = np.stack(rec["edges"])
            out[f"{PREFIX}{key}/n"] = np.asarray(rec["n"], dtype=np.int64)
        return out

    def close(self) -> None:
        """Flush and close the live TensorBoard writer, if any."""
        if self.writer is not None:
            self.writer.close()
            self.writer = None


def _write_record(writer, art: dict[str, np.ndarray], r: int) -> None:
    step = int(art[f"{PREFIX}steps"][r])
    for name, tag in (("train_loss", "train/loss"), ("test_loss", "test/loss"), ("test_acc", "test/accuracy")):
        writer.add_scalar(tag, float(art[f"{PREFIX}{name}"][r]), step)
    for series in probe_series(art):
        stats = art[f"{PREFIX}{series}/stats"][r]
        for k, stat in enumerate(STATS):
            writer.add_scalar(f"{series}_{stat}", float(stats[k]), step)
        counts = art[f"{PREFIX}{series}/hist"][r].astype(np.float64)
        edges = art[f"{PREFIX}{series}/edges"][r]
        n = int(art[f"{PREFIX}{series}/n"][r])
        mean, std = float(stats[2]), float(stats[3])
        writer.add_histogram_raw(f"{series}_histogram", min=float(stats[0]), max=float(stats[1]), num=n,
                                 sum=mean * n, sum_squares=(std**2 + mean**2) * n,
                                 bucket_limits=edges[1:].tolist(), bucket_counts=counts.tolist(),
                                 global_step=step)


def write_tensorboard(artefacts: dict[str, np.ndarray], log_dir: str | Path) -> Path:
    """Replay a probe's recorded ``artefacts`` into TensorBoard event files under ``log_dir``.

    Scalars are tagged ``train/loss``, ``test/loss``, ``test/accuracy`` and
    ``layer_<i>/<quantity>_<min|max|mean|std>``; histograms ``layer_<i>/<quantity>_histogram``
    (quantity: weight, bias, net_input, activation, pool). Returns ``log_dir``.

    Examples
    --------
    >>> import tempfile
    >>> import numpy as np
    >>> from atomlab.engine.probe_records import read_scalars
    >>> art = {"probe/steps": np.array([0, 50]), "probe/train_loss": np.array([2.3, 0.6]),
    ...        "probe/test_loss": np.array([2.3, 0.7]), "probe/test_acc": np.array([0.1, 0.8])}
    >>> sorted(read_scalars(write_tensorboard(art, tempfile.mkdtemp())))
    ['test/accuracy', 'test/loss', 'train/loss']
    """
    from torch.utils.tensorboard import SummaryWriter

    log_dir = Path(log_dir)
    with SummaryWriter(log_dir=str(log_dir)) as writer:
        for r in range(len(artefacts[f"{PREFIX}steps"])):
            _write_record(writer, artefacts, r)
    return log_dir


def fixed_samples(X: np.ndarray, y: np.ndarray, n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """A fixed random sample of ``n`` rows (all when ``n`` is at least their number).

    Examples
    --------
    >>> import numpy as np
    >>> X, y = np.arange(20.0).reshape(10, 2), np.arange(10)
    >>> Xs, ys = fixed_samples(X, y, 3, seed=0)
    >>> tuple(Xs.shape), bool((Xs[:, 0] == 2 * ys).all())  # rows kept with their labels
    ((3, 2), True)
    """
    if n >= len(X):
        idx = np.arange(len(X))
    else:
        idx = np.sort(np.random.default_rng(seed).choice(len(X), size=n, replace=False))
    return torch.as_tensor(np.asarray(X)[idx]), torch.as_tensor(np.asarray(y)[idx])


