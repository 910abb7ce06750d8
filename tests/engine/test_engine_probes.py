"""003's training statistics probe: what it records, live and replayed into TensorBoard."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from atomlab.data import make_dataset
from atomlab.engine import TrainSpec, train_module
from atomlab.engine.probes import PREFIX, TrainingStatsProbe, read_scalars, summarize_layers, write_tensorboard
from atomlab.nn.cnn import build_cnn


@pytest.fixture(scope="module")
def tiny():
    """128 training and 64 test images of the offline MNIST subset."""
    return make_dataset("mnist", source="subset", subset=[128, 64], normalize=True, random_state=0)


def _probed_run(tiny, log_dir=None, steps=5):
    torch.manual_seed(0)
    net = build_cnn({"name": "mnist_cnn", "activation": "tanh"})
    X, y = torch.as_tensor(tiny.X_test), torch.as_tensor(tiny.y_test)
    probe = TrainingStatsProbe(net, X[:16], (X, y), (X, y), every=2, total_steps=steps, log_dir=log_dir)
    probe.observe(0, net)
    train_module(net, tiny, TrainSpec(optimizer="sgd", lr=0.05, batch_size=32, steps=steps), seed=0, device="cpu",
                 callbacks=[probe])
    probe.close()
    return net, probe


def test_probe_records_every_n_steps_and_the_last(tiny):
    net, probe = _probed_run(tiny)
    art = probe.artefacts()
    assert all(k.startswith(PREFIX) for k in art)
    assert art[PREFIX + "steps"].tolist() == [0, 2, 4, 5]
    for layer in ("layer_0", "layer_3", "layer_7", "layer_10"):
        for q in ("weight", "bias", "net_input", "activation"):
            assert art[f"{PREFIX}{layer}/{q}/hist"].sum(1).tolist() == art[f"{PREFIX}{layer}/{q}/n"].tolist()
    # the last record of the weights is the trained network's
    w = net[0].weight.detach().numpy()
    last = summarize_layers(art, at=(-1,))["layer_0/weight"]
    assert last["min"][0] == pytest.approx(float(w.min())) and last["max"][0] == pytest.approx(float(w.max()))
    # tanh activations stay in (-1, 1); max pooling keeps the largest activation
    act, pool = art[f"{PREFIX}layer_0/activation/stats"], art[f"{PREFIX}layer_0/pool/stats"]
    assert (act[:, 0] > -1).all() and (act[:, 1] < 1).all()
    np.testing.assert_allclose(pool[:, 1], act[:, 1])


def test_probe_writes_live_event_files_and_a_replay_matches_them(tiny, tmp_path):
    _, probe = _probed_run(tiny, log_dir=tmp_path / "live")
    scalars = read_scalars(tmp_path / "live")
    assert [s for s, _ in scalars["test/accuracy"]] == [0, 2, 4, 5]
    assert [s for s, _ in scalars["layer_7/net_input_min"]] == [0, 2, 4, 5]
    replay = read_scalars(write_tensorboard(probe.artefacts(), tmp_path / "replay"))
    assert replay["layer_10/weight_mean"] == scalars["layer_10/weight_mean"]
    assert np.isfinite([v for _, v in replay["layer_3/activation_std"]]).all()
