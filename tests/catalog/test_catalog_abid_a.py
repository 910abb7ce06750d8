"""Smoke tests of 000's experiments 2-6: depth at fixed parameters, data set size, class imbalance,
memorisation and PCA with dummy dimensions. Each runs at smoke scale and checks one piece of science."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import atomlab
from atomlab.lab.data import materialize


def _arms_and_seeds(result, factors):
    cfg = result.config
    final = result.final
    expected = int(np.prod([len(cfg[f]) for f in factors]))
    assert final.groupby(factors).ngroups == expected
    assert set(final["seed"]) == set(range(cfg["seed"], cfg["seed"] + cfg["seeds"]))


def test_depth_fixed_parameters(smoke):
    result = smoke("depth-fixed-parameters")
    _arms_and_seeds(result, ["depth"])
    # the point of the design: every depth has the source's 152 parameters
    assert {t.model.n_params(1, 2) for t in result.trials} == {152}
    assert len({t.model.layers for t in result.trials}) == len(result.config["depth"])
    # accuracy on 16 points moves in steps of 1/16, and the 1-D score curve was recorded
    acc = result.final["train_acc"].to_numpy()
    assert np.allclose(acc * 16, np.round(acc * 16))
    assert all(o.artefacts["grid"].shape == (result.config["curve_points"],) for o in result.outcomes)


def test_dataset_size_vs_classifier(smoke):
    result = smoke("dataset-size-vs-classifier")
    _arms_and_seeds(result, ["n", "classifier"])
    final = result.final
    assert (final["n_train"] == (final["n"] * 0.8).astype(int)).all()
    # one pool and one test set for every arm and seed (data_seed fixed)
    assert len({t.data.key for t in result.trials}) == 1
    assert final["test_acc"].between(0, 1).all()
    # the MLPClassifier's recipe is declared and honoured (max_iter caps its epochs)
    mlps = final[final["classifier"].isin(["mlp", "mlp_deep"])]
    assert (mlps["n_iter"] <= result.config["mlp_max_iter"]).all()
    # the source's SVC() predates scikit-learn 0.22: gamma="auto" (1 / n_features); today's "scale" is an extra arm
    gamma = {t.levels["classifier"]: t.model["params"].get("gamma") for t in result.trials
             if t.model["estimator"] == "svm"}
    assert gamma == {"svm": "auto", "svm_scale": "scale"}
    from atomlab.engine.kinds.sklearn_estimators import make_estimator

    built = {t.levels["classifier"]: make_estimator(t.model, t.train, t.seed) for t in result.trials}
    assert built["svm"].gamma == "auto" and built["svm_scale"].gamma == "scale"
    assert "gamma='auto'" in next(o.info["estimator"] for t, o in zip(result.trials, result.outcomes)
                                  if t.levels["classifier"] == "svm")
    # the smallest size is tested too, and the source's other two claims are there
    lead = next(c for c in result.claims if "every size" in c.text)
    assert {t.group for t in lead.tests} == {f"n={n}" for n in result.config["n"]}
    texts = " | ".join(c.text for c in result.claims)
    assert "deep networks perform a little better" in texts and "saturate sooner" in texts


def test_class_imbalance(smoke):
    result = smoke("class-imbalance")
    _arms_and_seeds(result, ["ratio", "oversample"])
    n_train = result.config["n_train"]
    tests = {}
    for t in result.trials:
        data = materialize(t.data)
        counts = np.bincount(data.y_train, minlength=2)
        ratio = float(t.levels["ratio"])
        if t.levels["oversample"]:
            assert counts[0] == counts[1] >= n_train / 2
        else:
            assert counts.sum() == n_train and counts[0] == round(n_train / (ratio + 1))
        # the source's code min-max normalises the training and the test set, each by its own range
        for X in (data.X_train, data.X_test):
            np.testing.assert_allclose(X.min(axis=0), 0.0, atol=1e-12)
            np.testing.assert_allclose(X.max(axis=0), 1.0, atol=1e-12)
        assert t.data.transforms[-1] == ("minmax_scale", {"fit": "each"})
        tests.setdefault(t.seed, []).append(data.X_test)
    # the balanced test set is the same for every ratio and arm of a seed
    for xs in tests.values():
        assert all(np.array_equal(xs[0], x) for x in xs[1:])
        assert len(xs[0]) == result.config["n_test"]
    # only the decision-boundary trials carry a grid
    gridded = [t for t, o in zip(result.trials, result.outcomes) if "grid" in o.artefacts]
    assert {(float(t.levels["ratio"]), t.seed) for t in gridded} == {(float(max(result.config["ratio"])), 0)}


def test_memorization(smoke):
    result = smoke("memorization")
    cfg = result.config
    main = result.final[result.final["budget"] == cfg["steps"]]
    assert main.groupby(["n", "labels"]).ngroups == len(cfg["n"]) * len(cfg["labels"])
    # random labels are a permutation: same class counts, same inputs
    for t in result.trials:
        if t.levels["labels"] == "random":
            shuffled = materialize(t.data)
            true = materialize(t.data.__class__(t.data.name, t.data.params, t.data.seed))
            assert np.array_equal(np.bincount(shuffled.y_train), np.bincount(true.y_train))
            assert np.array_equal(shuffled.X_train, true.X_train)
            assert not np.array_equal(shuffled.y_train, true.y_train)
    # the early-stopped trial of the speed claim is the main trial's prefix
    table = result.table
    early = result.final[result.final["budget"] == cfg["speed_step"]].set_index(["labels", "seed"])["train_acc"]
    at = table[(table["budget"] == cfg["steps"]) & (table["n"] == cfg["speed_n"])
               & (table["step"] == cfg["speed_step"])]
    at = at.set_index(["labels", "seed"])["train_acc"]
    pd.testing.assert_series_equal(early.sort_index(), at.sort_index(), check_names=False, atol=1e-6)


def test_pca_dummy_dimensions(smoke):
    result = smoke("pca-dummy-dimensions")
    _arms_and_seeds(result, ["dummy_dims", "pca_dims", "rotation"])
    cfg = result.config
    for t in result.trials:
        data = materialize(t.data)
        k = t.levels["pca_dims"]
        width = cfg["d"] + t.levels["dummy_dims"] if k == "none" else int(k)
        assert data.X_train.shape == (80, width) and data.X_test.shape == (20, width)
        # the source code's mixture: covariance factor 0.2 U[0, 1)
        assert t.data.params["covariance_scale"] == 0.2
    # the source's arm mixes with a U[0, 1) matrix (not distance-preserving); the orthogonal arm keeps distances
    d = lambda X: np.linalg.norm(X[:, None] - X[None], axis=-1)  # noqa: E731
    assert [r for r in cfg["rotation"]] == ["uniform", "orthogonal"]
    for rotation, keeps_distances in (("uniform", False), ("orthogonal", True)):
        t = next(t for t in result.trials if t.levels["pca_dims"] == "none" and t.levels["rotation"] == rotation)
        assert t.data.transforms[0][1]["rotation"] == rotation
        raw = materialize(t.data.__class__(t.data.name, t.data.params, t.data.seed, (
            ("add_dummy_dimensions", {**t.data.transforms[0][1], "rotation": "none"}),)))
        assert np.allclose(d(raw.X_train), d(materialize(t.data).X_train)) == keeps_distances
    # the contrast claim reads both arms
    assert any("contrast" in c.text for c in result.claims)


@pytest.mark.parametrize("name", ["pca-dummy-dimensions"])
def test_bad_setting_is_refused(name):
    with pytest.raises(atomlab.ConfigError):
        atomlab.run(name, scale="smoke", report=False, rotation="spiral")
