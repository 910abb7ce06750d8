"""002's prediction-surface suite (depth, width, dropout, batch norm, residual) at smoke scale."""

from __future__ import annotations

import json

import numpy as np
import pytest

import atomlab
from atomlab.catalog.surfaces_2d import _surface_suite as S
from atomlab.cli import main
from atomlab.lab.data import materialize

#: name -> (number of arms per function, the factor other than ``function``)
ENTRIES = {
    "depth-surfaces": (4, "depth"),
    "width-surfaces": (8, "layers"),
    "dropout-surfaces": (5, "keep_prob"),
    "batchnorm-surfaces": (3, "network"),
    "residual-surfaces": (4, "n_train"),  # 2 sizes x {plain, residual} at smoke
}


@pytest.fixture(scope="module")
def results(smoke):
    """Every entry of the family, run once per session at smoke scale (conftest.py's ``smoke``)."""
    return {name: smoke(name) for name in ENTRIES}


@pytest.mark.parametrize("name", list(ENTRIES))
def test_entry_writes_outputs_with_all_arms_and_seeds(results, name):
    r = results[name]
    for f in ("report.html", "results.csv", "verdict.json", "final.csv"):
        assert (r.out_dir / f).exists(), f
    n_arms, _ = ENTRIES[name]
    seeds = r.config["seeds"]
    assert len(r.final) == 4 * n_arms * seeds
    assert r.final.groupby("arm")["seed"].nunique().eq(seeds).all()
    names = {f.name for f in r.figures}
    assert {"surfaces", "disagreement"} <= names and all(f.path.exists() for f in r.figures)
    assert sum(f.main for f in r.figures) == 1 and all(f.caption for f in r.figures)
    # the summary table of the report carries the grid metrics
    assert "disagreement mean" in r.summary_table().columns


@pytest.mark.parametrize("name", list(ENTRIES))
def test_grid_disagreement_matches_test_error(results, name):
    """On uniform, noise-free test points the test error estimates the grid disagreement.

    A transposed or flipped grid would break this at once (y - x against x - y disagrees on half the box).
    """
    f = results[name].final
    assert f["disagreement"].between(0, 1).all() and f["confidence"].between(0, 1).all()
    gap = (f["disagreement"] - (1 - f["test_acc"])).abs()
    # 500 test points: Monte-Carlo sd <= 0.022; the 40 x 40 grid adds its own quadrature error
    assert gap.max() < 0.1, f[["arm", "seed", "disagreement", "test_acc"]].assign(gap=gap).sort_values("gap").tail()


def test_architectures_follow_the_source(results):
    width = {tuple(t.model.layers) for t in results["width-surfaces"].trials}
    assert (10, 5, 5, 10) in width and (40, 20, 10, 5) in width and (5, 10, 20, 40) in width
    # the source's "~5k vs ~1k": parameter counts with biases
    assert S.n_params((40,) * 4) == 5122 and S.n_params((10,) * 8) == 822
    dropout = results["dropout-surfaces"]
    assert {t.model.dropout for t in dropout.trials if t.levels["keep_prob"] == 1.0} == {0.0}
    # dropout reaches training: the same seed and function end with other weights at another keep_prob
    by_arm = {(t.levels["keep_prob"], t.levels["function"], t.seed): o for t, o in zip(dropout.trials,
                                                                                         dropout.outcomes)}
    kept = [k for k in by_arm if k[0] == 1.0]
    for _, fn, seed in kept:
        for p in {k[0] for k in by_arm} - {1.0}:
            assert not np.array_equal(by_arm[(p, fn, seed)].state["W0"], by_arm[(1.0, fn, seed)].state["W0"])
    bn = [t for t in results["batchnorm-surfaces"].trials if t.levels["network"] == "batchnorm"]
    # the source code's pyAIUtils BatchNorm: decay 0.95 (PyTorch momentum 0.05), epsilon 1e-4
    assert all(t.model.batchnorm and t.model.bn_momentum == 0.05 and t.model.bn_eps == 1e-4 for t in bn)
    # the source code's loss: 2 * mean(-log(p_y + 0.01)) + 1e-4 * sum ||W||^2 / 2 (l2_sum at half the strength)
    for name in ENTRIES:
        for t in results[name].trials:
            assert t.train.loss == "padded_cross_entropy" and t.train.regularizer == "l2_sum"
            assert t.train.reg_lambda == pytest.approx(results[name].config["l2"] / 2)
    res = results["residual-surfaces"]
    for t in res.trials:
        assert t.model.residual == t.levels["residual"] and t.data.params["n_train"] == t.levels["n_train"]
        # 100 epochs of batches of 100 (smoke: 4 epochs): more data also means more steps, as in the source
        assert t.train.batch_size == 100 and t.train.total_steps(t.levels["n_train"]) == 4 * t.levels["n_train"] // 100


def test_custom_function_and_animation_end_to_end(tmp_path):
    """``--set function="y - x**3"`` reaches the data set, and ``--set animate=true`` writes a GIF."""
    out = tmp_path / "depth"
    code = main(["run", "depth-surfaces", "--scale", "smoke", "--out", str(out), "--quiet", "--seeds", "1",
                 "--set", "function=y - x**3", "--set", "animate=true", "--set", "depth=1,2"])
    assert code == 0
    config = json.loads((out / "config.json").read_text())
    assert config["function"] == ["y - x**3"] and config["animate"] is True
    gif = out / "figures" / "training.gif"
    assert gif.exists() and "training.gif" in (out / "report.html").read_text()
    from PIL import Image

    with Image.open(gif) as im:
        assert im.n_frames >= 10
    final = __import__("pandas").read_csv(out / "final.csv")
    assert set(final["function"]) == {"y - x**3"}


def test_custom_function_reaches_activation_surfaces_and_labels(tmp_path):
    r = atomlab.run("activation-surfaces", scale="smoke", seeds=1, report=False, function="y - x**3",
                    activation=["relu"])
    assert [t.levels["function"] for t in r.trials] == ["y - x**3"] * 2  # the source's loss and atomlab's
    forms = {t.levels["loss_form"]: t.train for t in r.trials}
    assert forms["source"].loss == "padded_cross_entropy" and forms["atomlab"].loss == "cross_entropy"
    assert forms["atomlab"].reg_lambda == pytest.approx(2 * forms["source"].reg_lambda)
    data = materialize(r.trials[0].data)
    x, y = data.X_train[:, 0], data.X_train[:, 1]
    assert np.array_equal(data.y_train, (y - x**3 > 0).astype(data.y_train.dtype))


def test_write_animation_needs_frames(results):
    with pytest.raises(atomlab.ConfigError, match="animate=true"):
        S.write_animation(results["depth-surfaces"], results["depth-surfaces"].out_dir)
