"""The MNIST entries (003 part II, 004 parts 2 and 3) at smoke scale, the training-statistics probe
and its TensorBoard files, and the conv/pool arithmetic against the source's numbers."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import atomlab
from atomlab.catalog import _mnist as M
from atomlab.catalog.principles import mnist_depth_width as DW
from atomlab.catalog.principles import mnist_padding_pooling as PP
from atomlab.data import find_mnist
from atomlab.engine.probes import PREFIX
from atomlab.errors import ConfigError
from atomlab.lab import DataSpec
from atomlab.lab.data import materialize
from atomlab.nn.cnn import build_cnn, conv_layer_facts, conv_output_size, pool2x2

#: name -> (factor columns, number of arms at smoke scale, names of figures)
ENTRIES = {
    "mnist-cnn": (["recipe"], 3, {"training", "statistics-adam-relu", "ridges-sgd-tanh"}),
    "mnist-cnn-dropout": (["dropout"], 3, {"dropout-sweep", "train-test"}),
    "mnist-depth-vs-width": (["budget", "depth", "dropout"], 4, {"budgets", "accuracy-vs-parameters"}),
    "mnist-padding-pooling": (["case"], 6, {"padding-pooling"}),
}


@pytest.fixture(scope="module")
def results(smoke):
    """Every entry of the family, run once per session at smoke scale (conftest.py's ``smoke``)."""
    return {name: smoke(name) for name in ENTRIES}


@pytest.fixture(scope="module")
def tiny():
    """128 training and 64 test images of the offline subset."""
    return materialize(DataSpec("mnist", {"source": "subset", "subset": [128, 64], "normalize": True}, seed=0))


@pytest.mark.parametrize("name", list(ENTRIES))
def test_entry_writes_outputs_with_all_arms_and_seeds(results, name):
    r = results[name]
    for f in ("report.html", "results.csv", "verdict.json", "final.csv"):
        assert (r.out_dir / f).exists(), f
    factors, n_arms, figures = ENTRIES[name]
    seeds = r.config["seeds"]
    assert r.final["arm"].nunique() == n_arms and len(r.final) == n_arms * seeds
    assert r.final.groupby("arm")["seed"].nunique().eq(seeds).all()
    assert set(factors) <= set(r.final.columns)
    names = {f.name for f in r.figures}
    assert figures <= names and all(f.path.exists() and f.caption for f in r.figures)
    assert sum(f.main for f in r.figures) == 1
    # the report says which data was used: the offline subset, not full MNIST
    assert all("offline subset" in o.info["data_note"] for o in r.outcomes)
    assert "offline subset" in (r.out_dir / "report.html").read_text()


def test_cnn_is_the_source_network(results):
    r = results["mnist-cnn"]
    assert set(r.final["n_params"]) == {21840}  # 260 + 5020 + 16050 + 510 (the network: tests/nn/test_nn_cnn.py)
    arms = {t.levels["recipe"]: t for t in r.trials}
    assert arms["adam-relu"].model["activation"] == "relu" and arms["adam-relu"].train.optimizer == "adam"
    assert arms["sgd-tanh"].model["activation"] == "tanh"
    assert arms["sgd-tanh"].train.optimizer_params == {"momentum": 0.5}
    # Adam at its default step (the source states none), SGD as in PyTorch's MNIST example, Adam at 0.01: sensitivity
    assert arms["adam-relu"].train.lr == 0.001 and arms["sgd-tanh"].train.lr == 0.01
    assert arms["adam-relu-lr0.01"].train.optimizer == "adam" and arms["adam-relu-lr0.01"].train.lr == 0.01
    assert any(c.text.startswith("sensitivity") for c in r.claims)
    assert all(t.train.batch_size == 64 and t.train.loss == "cross_entropy" for t in r.trials)


def test_probe_records_every_layer_and_matches_final_weights(results):
    r = results["mnist-cnn"]
    for trial, out in zip(r.trials, r.outcomes):
        art = out.artefacts
        total = trial.train.total_steps(materialize(trial.data).n_train)
        every = trial.model["probe"]["every"]
        assert list(art[f"{PREFIX}steps"]) == sorted(set(range(0, total + 1, every)) | {total})
        for layer in ("layer_0", "layer_3", "layer_7", "layer_10"):
            for q in ("weight", "bias", "net_input", "activation"):
                assert art[f"{PREFIX}{layer}/{q}/hist"].sum(1).tolist() == art[f"{PREFIX}{layer}/{q}/n"].tolist()
        # the last record is of the trained network: its weight statistics are those of the final state
        w = out.state["1.weight"] if "1.weight" in out.state else out.state["0.weight"]
        last = art[f"{PREFIX}layer_0/weight/stats"][-1]
        np.testing.assert_allclose(last, [w.min(), w.max(), w.mean(), w.std()], rtol=1e-5, atol=1e-7)
        # max-pooling 24x24 -> 12x12 keeps the largest activation; tanh stays in (-1, 1), ReLU >= 0
        for layer in ("layer_0", "layer_3"):
            act, pool = art[f"{PREFIX}{layer}/activation/stats"], art[f"{PREFIX}{layer}/pool/stats"]
            np.testing.assert_allclose(pool[:, 1], act[:, 1])
            assert (pool[:, 0] >= act[:, 0]).all()
            if trial.levels["recipe"] == "sgd-tanh":
                assert (act[:, 0] > -1).all() and (act[:, 1] < 1).all()
            else:
                assert (act[:, 0] >= 0).all()


def test_run_writes_tensorboard_files_that_tensorboard_reads(results):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    r = results["mnist-cnn"]
    runs = sorted(p.name for p in (r.out_dir / "tensorboard").iterdir())
    assert runs == sorted(f"{arm}-seed{s}" for arm in r.config["recipe"] for s in range(r.config["seeds"]))
    acc = EventAccumulator(str(r.out_dir / "tensorboard" / "sgd-tanh-seed0"),
                           size_guidance={"scalars": 0, "histograms": 0})
    acc.Reload()
    tags = acc.Tags()
    scalars = {"train/loss", "test/loss", "test/accuracy", "layer_3/weight_std", "layer_10/bias_max"}
    assert scalars <= set(tags["scalars"])
    histograms = {"layer_0/weight_histogram", "layer_3/pool_histogram", "layer_7/activation_histogram"}
    assert histograms <= set(tags["histograms"])
    out = next(o for t, o in zip(r.trials, r.outcomes) if t.levels["recipe"] == "sgd-tanh" and t.seed == 0)
    steps = out.artefacts[f"{PREFIX}steps"].tolist()
    assert [e.step for e in acc.Scalars("test/accuracy")] == steps
    np.testing.assert_allclose([e.value for e in acc.Scalars("test/accuracy")], out.artefacts[f"{PREFIX}test_acc"],
                               rtol=1e-6)
    hist = acc.Histograms("layer_0/weight_histogram")[-1].histogram_value
    assert hist.num == 250 and sum(hist.bucket) == 250


def test_dropout_levels_reach_the_network(results):
    r = results["mnist-cnn-dropout"]
    assert sorted(r.final["dropout"].unique()) == [0.0, 0.5, 0.9]
    assert all(t.model["dropout"] == t.levels["dropout"] for t in r.trials)
    net = build_cnn({"name": "small_cnn", "dropout": 0.9})
    x = torch.rand(64, 1, 28, 28)
    torch.manual_seed(0)
    assert [type(m).__name__ for m in net].count("Dropout") == 2
    positive = (net.eval()[:7](x) != 0).float().mean().item()  # two conv blocks, then dropout (off)
    kept = (net.train()[:7](x) != 0).float().mean().item()
    assert 0.08 < kept / positive < 0.12  # 90 % of the units that were not zero anyway are dropped
    assert M.mnist_spec(r.config, normalize=False).params["normalize"] is False  # Keras-style [0, 1] pixels


def test_dropout_shape_claim_on_made_up_numbers():
    import pandas as pd

    from atomlab.catalog.principles.mnist_cnn_dropout import SOURCE_ACC, claims
    from atomlab.lab import check_claims

    rng = np.random.default_rng(0)
    levels = sorted(SOURCE_ACC)
    final = pd.DataFrame([{"seed": s, "dropout": p, "test_acc": SOURCE_ACC[p] + rng.normal(0, 0.002)}
                          for s in range(5) for p in levels])
    verdict, results = check_claims(claims({"dropout": levels}), final)
    assert [r.verdict for r in results] == ["supported", "supported"] and verdict == "supported"
    flat = final.assign(test_acc=0.98 + rng.normal(0, 0.002, len(final)))
    assert check_claims(claims({"dropout": levels}), flat)[1][1].verdict != "supported"


def test_depth_width_allocations_share_populations(results):
    r = results["mnist-depth-vs-width"]
    assert DW.layers_for(1000, 4) == (250,) * 4 and DW.layers_for(100, 1) == (100,)
    for trial, out in zip(r.trials, r.outcomes):
        assert trial.model.layers == DW.layers_for(trial.levels["budget"], trial.levels["depth"])
        assert out.info["population_size"] == r.config["seeds"] * len(r.config["dropout"])
    assert DW.MLPSpec(layers=(100,)).n_params(784, 10) == 79_510
    assert materialize(r.trials[0].data).X_train.shape[1:] == (1, 28, 28)  # flattened by the population engine


def test_padding_and_pooling_match_the_source(results):
    r = results["mnist-padding-pooling"]
    assert r.verdict == "supported" and (r.final["match"] == 1.0).all()
    facts = conv_layer_facts((32, 32, 3), filters=8, kernel=5)
    assert facts["n_params"] == 8 * 5 * 5 * 3 + 8 == 608
    assert facts["out_shape"] == (28, 28, 8)  # the source writes 28 x 28 x 3: one channel per filter, so 8
    assert conv_output_size(32, 5) == 32 - (5 - 1) and conv_output_size(32, 5, padding=2) == 32
    for img, avg in zip(PP.IMAGES, PP.SOURCE_AVG):
        np.testing.assert_array_equal(pool2x2(img, "avg"), avg)
        np.testing.assert_array_equal(pool2x2(img, "max"), np.ones((2, 2)))
    assert set(r.final["mnist_out_h"]) == {24.0}


def test_bad_settings_raise_clear_errors():
    with pytest.raises(ConfigError, match="mnist_source"):
        M.mnist_spec({"mnist_source": "ful", "n_train": 0, "n_test": 0})
    with pytest.raises(ConfigError, match="unknown case"):
        PP.make_trial({"mnist_source": "subset"}, {"case": "strided_conv"}, 0)


@pytest.mark.skipif(find_mnist() is None, reason="the full MNIST is not installed ($ATOMLAB_DATA has no mnist/; "
                                                  "`atomlab data download mnist`)")
def test_paper_scale_uses_full_mnist_and_checks_the_source_accuracies():
    exp = atomlab.get_experiment("mnist-cnn")
    cfg = exp.config("paper")
    data = materialize(M.mnist_spec(cfg))
    assert data.n_train == 60_000 and data.n_test == 10_000 and data.note.startswith("MNIST full")
    trial = exp.plan(cfg)[0]
    assert trial.train.total_steps(data.n_train) == 9380  # ~9,000 iterations in 10 epochs, as the source
    assert len(exp.claims_for(cfg)) == 3 and len(exp.claims_for(exp.config("quick"))) == 1  # + one Reaches per arm
    dw = atomlab.get_experiment("mnist-depth-vs-width")
    assert len(dw.claims_for(dw.config("paper"))) == 2
