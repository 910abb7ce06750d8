"""Transforms: exact class counts, untouched test sets, rotations that are rotations, train-only fits."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy.spatial.distance import pdist

from atomlab.data import (
    add_dummy_dimensions,
    imbalance,
    load_mnist,
    make_dataset,
    make_gaussian_mixture,
    make_surface2d,
    minmax_scale,
    oversample_minority,
    pca,
    random_labels,
    random_rotation,
    standardize,
)
from atomlab.errors import ConfigError

RATIOS = [1, 2, 5, 10, 20, 50, 100]


@pytest.fixture(scope="module")
def pool():
    """000's class-imbalance setting: 2-d mixture, means 1/i apart; a balanced pool of 2,400 + test 300."""
    return make_gaussian_mixture(n_features=2, class_sep="1/i", n_train=2400, n_test=300, random_state=11)


def _frozen(ds):
    return {k: getattr(ds, k).copy() for k in ("X_train", "y_train", "X_test", "y_test")}


def _unchanged(ds, frozen):
    for k, v in frozen.items():
        np.testing.assert_array_equal(getattr(ds, k), v)


# ---------------------------------------------------------------------------------------- imbalance


@pytest.mark.parametrize("ratio", RATIOS)
def test_imbalance_gives_exact_counts_of_1200(pool, ratio):
    ds = imbalance(pool, ratio=ratio, n_train=1200, random_state=0)
    counts = np.bincount(ds.y_train, minlength=2)
    minority = int(np.floor(1200 / (ratio + 1) + 0.5))
    assert counts.tolist() == [minority, 1200 - minority]
    assert counts.sum() == 1200
    # as close to ratio:1 as integers allow: one more or one fewer minority point would be worse
    assert abs(counts[1] / counts[0] - ratio) <= min(
        abs((counts[1] + 1) / (counts[0] - 1) - ratio) if counts[0] > 1 else np.inf,
        abs((counts[1] - 1) / (counts[0] + 1) - ratio),
    )
    assert ds.params["transforms"][-1] == {"transform": "imbalance", "ratio": float(ratio), "n_train": 1200,
                                           "minority": 0, "random_state": 0}


def test_imbalance_ratio_is_exact_when_divisible(pool):
    for ratio, n in ((1, 1200), (2, 1200), (5, 1200), (9, 1000), (99, 1000)):
        counts = np.bincount(imbalance(pool, ratio=ratio, n_train=n).y_train)
        assert counts[1] == ratio * counts[0] and counts.sum() == n


def test_imbalance_test_set_is_identical_for_every_ratio(pool):
    fresh = make_gaussian_mixture(n_features=2, class_sep="1/i", n_train=2400, n_test=300, random_state=11)
    tests = [imbalance(pool, ratio=r, n_train=1200, random_state=5) for r in RATIOS]
    for ds in tests:
        np.testing.assert_array_equal(ds.X_test, fresh.X_test)
        np.testing.assert_array_equal(ds.y_test, fresh.y_test)
    assert np.bincount(fresh.y_test).tolist() == [150, 150]


def test_imbalance_keeps_real_rows_nested_across_ratios(pool):
    rows = {tuple(r) for r in pool.X_train}
    minority_sets = []
    for ratio in RATIOS:
        ds = imbalance(pool, ratio=ratio, n_train=1200, random_state=3)
        assert all(tuple(r) in rows for r in ds.X_train)
        assert len({tuple(r) for r in ds.X_train}) == 1200  # no duplicates
        minority_sets.append({tuple(r) for r in ds.X_train[ds.y_train == 0]})
    for bigger, smaller in zip(minority_sets, minority_sets[1:]):
        assert smaller <= bigger


def test_imbalance_is_deterministic_and_seed_dependent(pool):
    a = imbalance(pool, ratio=10, n_train=1200, random_state=1)
    b = imbalance(pool, ratio=10, n_train=1200, random_state=1)
    c = imbalance(pool, ratio=10, n_train=1200, random_state=2)
    np.testing.assert_array_equal(a.X_train, b.X_train)
    assert not np.array_equal(a.X_train, c.X_train)


def test_imbalance_minority_can_be_class_1_and_input_is_not_modified(pool):
    frozen = _frozen(pool)
    ds = imbalance(pool, ratio=4, n_train=1000, minority=1)
    assert np.bincount(ds.y_train).tolist() == [800, 200]
    _unchanged(pool, frozen)
    assert "transforms" not in pool.params


def test_imbalance_refuses_impossible_requests(pool):
    with pytest.raises(ConfigError, match="needs 2376 training examples of class 1, but .* has 1200"):
        imbalance(pool, ratio=100, n_train=1200 * 2)
    with pytest.raises(ConfigError, match="ratio must be >= 1"):
        imbalance(pool, ratio=0.5, n_train=100)
    with pytest.raises(ConfigError, match="two classes"):
        imbalance(make_dataset("blobs", centers=3), ratio=2, n_train=30)
    with pytest.raises(ConfigError, match="classification"):
        imbalance(make_dataset("function1d"), ratio=2, n_train=30)


# ------------------------------------------------------------------------------------- oversampling


@pytest.mark.parametrize("method", ["random", "tile"])
def test_oversampling_balances_and_keeps_every_original(pool, method):
    skewed = imbalance(pool, ratio=20, n_train=1050, random_state=0)
    counts = np.bincount(skewed.y_train)
    out = oversample_minority(skewed, method=method, random_state=0)
    assert np.bincount(out.y_train).tolist() == [counts.max(), counts.max()]
    original = {tuple(r) for r in skewed.X_train}
    new = [tuple(r) for r in out.X_train]
    assert set(new) == original  # only copies of real examples, and every one of them
    minority_rows = [tuple(r) for r in out.X_train[out.y_train == 0]]
    assert len(minority_rows) == counts.max() and len(set(minority_rows)) == counts.min()
    if method == "tile":
        multiplicity = np.unique(np.array(minority_rows), axis=0, return_counts=True)[1]
        assert multiplicity.max() - multiplicity.min() <= 1
    np.testing.assert_array_equal(out.X_test, skewed.X_test)
    assert out.params["transforms"][-1]["transform"] == "oversample_minority"


def test_oversampling_multiclass_and_balanced_is_a_shuffle():
    blobs = make_dataset("blobs", n_train=403, centers=4)
    out = oversample_minority(blobs, random_state=0)
    assert np.bincount(out.y_train).tolist() == [101] * 4
    balanced = make_dataset("moons", n_train=100)
    same = oversample_minority(balanced, random_state=0)
    assert sorted(map(tuple, same.X_train)) == sorted(map(tuple, balanced.X_train))


# ------------------------------------------------------------------------------------ random labels


def test_random_labels_is_a_permutation_of_the_labels():
    ds = make_gaussian_mixture(n_features=6, n_train=300, class_ratio=2, random_state=0)
    out = random_labels(ds, random_state=0)
    assert sorted(out.y_train.tolist()) == sorted(ds.y_train.tolist())
    assert not np.array_equal(out.y_train, ds.y_train)
    np.testing.assert_array_equal(out.X_train, ds.X_train)
    np.testing.assert_array_equal(out.y_test, ds.y_test)
    # labels no longer carry the class: agreement with the truth is near chance (1/3^2 + 2/3^2 = 5/9)
    assert abs(np.mean(out.y_train == ds.y_train) - 5 / 9) < 0.1
    np.testing.assert_array_equal(random_labels(ds, random_state=0).y_train, out.y_train)


def test_random_labels_fraction_touches_only_that_many():
    ds = make_gaussian_mixture(n_features=6, n_train=1000, random_state=0)
    out = random_labels(ds, fraction=0.2, random_state=0)
    assert np.sum(out.y_train != ds.y_train) <= 200
    assert np.sum(out.y_train != ds.y_train) > 50
    assert np.bincount(out.y_train).tolist() == np.bincount(ds.y_train).tolist()
    np.testing.assert_array_equal(random_labels(ds, fraction=0.0).y_train, ds.y_train)


# ------------------------------------------------------------------------------ dummy dims + rotation


@pytest.mark.parametrize("dim", [1, 2, 3, 10, 50])
def test_random_rotation_is_a_proper_rotation(dim):
    R = random_rotation(dim, random_state=dim)
    np.testing.assert_allclose(R @ R.T, np.eye(dim), atol=1e-12)
    assert np.linalg.det(R) == pytest.approx(1.0)


def test_random_rotation_is_uniform_not_biased():
    # Haar measure: the first column is uniform on the sphere, so its mean over many draws is ~0
    first = np.array([random_rotation(3, random_state=s)[:, 0] for s in range(2000)])
    np.testing.assert_allclose(first.mean(axis=0), 0, atol=0.05)
    np.testing.assert_allclose((first**2).mean(axis=0), 1 / 3, atol=0.03)


def test_orthogonal_dummy_dimensions_preserve_distances():
    ds = make_gaussian_mixture(n_features=10, n_train=100, n_test=40, random_state=0)
    plain = add_dummy_dimensions(ds, n_dummy=30, rotation=None, random_state=4)
    rotated = add_dummy_dimensions(ds, n_dummy=30, rotation="orthogonal", random_state=4)
    assert rotated.X_train.shape == (100, 40) and rotated.X_test.shape == (40, 40)
    # same noise, then a rotation: every pairwise distance is unchanged, train and test alike
    np.testing.assert_allclose(pdist(rotated.X_train), pdist(plain.X_train))
    both_plain = np.vstack([plain.X_train, plain.X_test])
    both_rot = np.vstack([rotated.X_train, rotated.X_test])
    np.testing.assert_allclose(pdist(both_rot), pdist(both_plain))
    # the dummy block is U[0, 1) noise and the original features are kept
    np.testing.assert_array_equal(plain.X_train[:, :10], ds.X_train)
    assert plain.X_train[:, 10:].min() >= 0 and plain.X_train[:, 10:].max() < 1
    # the rotation really mixes: no column is the identity's
    assert not np.allclose(rotated.X_train[:, :10], ds.X_train)
    np.testing.assert_allclose(rotated.target_fn(rotated.X_test), ds.target_fn(ds.X_test))


def test_gaussian_mixing_is_not_orthogonal_but_invertible():
    ds = make_gaussian_mixture(n_features=4, n_train=50, n_test=20, random_state=0)
    mixed = add_dummy_dimensions(ds, n_dummy=4, rotation="gaussian", noise_scale=0.1, random_state=0)
    plain = add_dummy_dimensions(ds, n_dummy=4, rotation=None, noise_scale=0.1, random_state=0)
    assert not np.allclose(pdist(mixed.X_train), pdist(plain.X_train))
    np.testing.assert_allclose(mixed.target_fn(mixed.X_test), ds.target_fn(ds.X_test), atol=1e-8)
    assert plain.X_train[:, 4:].max() < 0.1
    assert "non-orthogonal" in mixed.note


def test_uniform_mixing_is_000s_random_matrix_not_a_rotation():
    """000's Experiment6 multiplies by np.random.random((D, D)): U[0, 1) entries, a common all-ones direction."""
    ds = make_gaussian_mixture(n_features=10, n_train=400, n_test=20, random_state=0)
    plain = add_dummy_dimensions(ds, n_dummy=190, rotation=None, random_state=5)
    mixed = add_dummy_dimensions(ds, n_dummy=190, rotation="uniform", random_state=5)
    # the same noise, mixed by one matrix R with X_new = X R: recover R from the training rows
    R = np.linalg.lstsq(plain.X_train, mixed.X_train, rcond=None)[0]
    assert R.shape == (200, 200) and R.min() >= -1e-6 and R.max() < 1 + 1e-6
    assert abs(R.mean() - 0.5) < 0.02 and abs(R.std() - (1 / 12) ** 0.5) < 0.02  # U[0, 1) entries
    assert not np.allclose(R @ R.T, np.eye(200), atol=0.1)  # not orthogonal
    np.testing.assert_allclose(mixed.X_test, plain.X_test @ R, atol=1e-6)
    # half the sum of all inputs in every output feature: the leading singular value is about D / 2
    assert np.linalg.svd(R, compute_uv=False)[0] == pytest.approx(100, rel=0.05)
    np.testing.assert_allclose(mixed.target_fn(mixed.X_test), ds.target_fn(ds.X_test), atol=1e-6)
    assert "U[0,1)" in mixed.note and mixed.params["transforms"][-1]["rotation"] == "uniform"


def test_dummy_dimensions_validation():
    ds = make_gaussian_mixture(n_features=2, n_train=10, n_test=10)
    with pytest.raises(ConfigError, match="unknown rotation 'orthogonl'; did you mean 'orthogonal'"):
        add_dummy_dimensions(ds, n_dummy=2, rotation="orthogonl")
    with pytest.raises(ConfigError, match="n_dummy must be >= 0"):
        add_dummy_dimensions(ds, n_dummy=-1)


# -------------------------------------------------------------------------------- PCA, standardise


def test_pca_is_fitted_on_the_training_set_only():
    from sklearn.decomposition import PCA

    ds = make_gaussian_mixture(n_features=12, n_train=200, n_test=100, random_state=0)
    reduced = pca(ds, n_components=5)
    reference = PCA(n_components=5, svd_solver="full").fit(ds.X_train)
    np.testing.assert_allclose(reduced.X_train, reference.transform(ds.X_train), atol=1e-10)
    np.testing.assert_allclose(reduced.X_test, reference.transform(ds.X_test), atol=1e-10)
    # wildly different test data changes nothing about the fitted projection
    shifted = make_gaussian_mixture(n_features=12, n_train=200, n_test=100, random_state=0)
    shifted.X_test = shifted.X_test * 100 + 1000
    other = pca(shifted, n_components=5)
    np.testing.assert_allclose(other.X_train, reduced.X_train)
    np.testing.assert_allclose(other.X_test, reference.transform(shifted.X_test), rtol=1e-9)
    # training projections are centred with decreasing variance; test ones are not centred exactly
    np.testing.assert_allclose(reduced.X_train.mean(axis=0), 0, atol=1e-10)
    assert np.all(np.diff(reduced.X_train.var(axis=0)) <= 0)
    assert reduced.target_fn is None and reduced.X_test.shape == (100, 5)


def test_pca_none_variance_fraction_and_limits():
    ds = make_gaussian_mixture(n_features=12, n_train=50, n_test=10, random_state=0)
    same = pca(ds, n_components=None)
    np.testing.assert_array_equal(same.X_train, ds.X_train)
    assert same.params["transforms"] == [{"transform": "pca", "n_components": None}]
    assert pca(ds, n_components=0.99).X_train.shape[1] <= 12
    with pytest.raises(ConfigError, match="n_components must be <= 12"):
        pca(ds, n_components=13)


def test_pca_flattens_images():
    mnist = load_mnist(source="subset", subset=(300, 50))
    out = pca(mnist, n_components=20)
    assert out.X_train.shape == (300, 20) and out.X_test.shape == (50, 20)


def test_standardize_uses_training_statistics_only():
    ds = make_surface2d(n_train=500, n_test=200, domain=(-1, 5), random_state=0)
    ds.X_test = ds.X_test + 5  # a shifted test set must stay shifted after standardising
    out = standardize(ds)
    mean, std = ds.X_train.mean(axis=0), ds.X_train.std(axis=0)
    np.testing.assert_allclose(out.X_train, (ds.X_train - mean) / std)
    np.testing.assert_allclose(out.X_test, (ds.X_test - mean) / std)
    np.testing.assert_allclose(out.target_fn(out.X_train), ds.target_fn(ds.X_train))
    lo, hi = out.domain[0]
    assert lo == pytest.approx((-1 - mean[0]) / std[0]) and hi == pytest.approx((5 - mean[0]) / std[0])


def test_standardize_keeps_image_shape_and_dtype():
    mnist = load_mnist(source="subset", subset=(200, 20), normalize=False)
    out = standardize(mnist)
    assert out.X_train.shape == (200, 1, 28, 28) and out.X_train.dtype == np.float32
    assert np.all(np.isfinite(out.X_train))  # constant border pixels are not divided by zero


def test_minmax_scale_each_set_by_its_own_range_or_the_training_ones(pool):
    """000's class-imbalance code min-max normalises its training and test sets separately (fit="each")."""
    frozen = _frozen(pool)
    each = minmax_scale(pool, fit="each")
    lo, hi = pool.X_test.min(axis=0), pool.X_test.max(axis=0)
    np.testing.assert_allclose(each.X_test, (pool.X_test - lo) / (hi - lo))  # the test set's own range
    lo, hi = pool.X_train.min(axis=0), pool.X_train.max(axis=0)
    np.testing.assert_allclose(each.X_train, (pool.X_train - lo) / (hi - lo))
    train = minmax_scale(pool, fit="train")
    np.testing.assert_allclose(train.X_test, (pool.X_test - lo) / (hi - lo))  # the training set's range
    assert not np.allclose(train.X_test, each.X_test)
    np.testing.assert_array_equal(each.y_test, pool.y_test)
    assert each.params["transforms"][-1] == {"transform": "minmax_scale", "fit": "each"}
    _unchanged(pool, frozen)
    with pytest.raises(ConfigError, match="minmax fit"):
        minmax_scale(pool, fit="both")


def test_transforms_chain_and_record_their_history(pool):
    ds = oversample_minority(imbalance(pool, ratio=10, n_train=1200, random_state=0), random_state=0)
    assert [t["transform"] for t in ds.params["transforms"]] == ["imbalance", "oversample_minority"]
    assert "ratio 10:1" in ds.note and "oversampled" in ds.note
    more = pca(add_dummy_dimensions(random_labels(standardize(ds)), n_dummy=3), n_components=2)
    assert [t["transform"] for t in more.params["transforms"]][2:] == [
        "standardize", "random_labels", "add_dummy_dimensions", "pca"]
    json.dumps(more.params)


def test_materialize_builds_a_shared_prefix_once(monkeypatch):
    from atomlab.lab import DataSpec
    from atomlab.lab import data as lab_data

    calls = []
    original = lab_data.transforms.get("add_dummy_dimensions")

    def counting(ds, **kwargs):
        calls.append(kwargs["n_dummy"])
        return original(ds, **kwargs)

    monkeypatch.setitem(lab_data.transforms._entries, "add_dummy_dimensions", counting)
    monkeypatch.setattr(lab_data, "_cache", type(lab_data._cache)())
    base = DataSpec("gaussian_mixture", {"n_features": 4, "n": 60, "test_size": 0.25}, seed=7,
                    transforms=(("add_dummy_dimensions", {"n_dummy": 6}),))
    pcas = [DataSpec(base.name, base.params, base.seed, base.transforms + (("pca", {"n_components": k}),))
            for k in (1, 3, 5)]
    built = [lab_data.materialize(s) for s in pcas]
    assert calls == [6]  # the rotation of the shared prefix was drawn once for three PCA settings
    assert [d.input_dim for d in built] == [1, 3, 5]
    # the same numbers as building each spec from scratch
    monkeypatch.setattr(lab_data, "_cache", type(lab_data._cache)())
    again = lab_data.materialize(pcas[1])
    assert np.array_equal(again.X_train, built[1].X_train) and calls == [6, 6]


def test_materialize_cache_is_bounded_by_bytes(monkeypatch):
    from atomlab.lab import DataSpec
    from atomlab.lab import data as lab_data

    monkeypatch.setattr(lab_data, "_cache", type(lab_data._cache)())
    first = lab_data.materialize(DataSpec("moons", {"n_train": 100, "n_test": 10}, seed=0))
    monkeypatch.setattr(lab_data, "CACHE_BYTES", int(1.5 * lab_data._nbytes(first)))
    for s in range(1, 4):
        lab_data.materialize(DataSpec("moons", {"n_train": 100, "n_test": 10}, seed=s))
    assert len(lab_data._cache) == 1  # only the most recent fits
